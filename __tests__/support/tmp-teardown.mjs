/**
 * Jest globalTeardown: the run's TMPDIR (tmp-setup.mjs) must be empty: every test removes what it
 * made. Whatever is left is named (and then removed, so the machine's temp dir stays clean), and
 * the run fails.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Node's own module compile cache, not a test's leftover: from Node 22 on, programs the tests run
 * (npm 11, for one) call module.enableCompileCache(), which keeps it under the temp dir.
 */
const NODE_OWN = new Set(['node-compile-cache']);

export default function teardown() {
  const dir = process.env.BW_TEST_TMPDIR;
  if (!dir) return;
  let left = [];
  try {
    left = readdirSync(dir)
      .filter((name) => !NODE_OWN.has(name))
      .map((name) => join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (left.length > 0)
    throw new Error(
      `the tests left ${left.length} temp ${left.length === 1 ? 'entry' : 'entries'} behind (every test removes what it made):\n  ${left.join('\n  ')}`,
    );
}
