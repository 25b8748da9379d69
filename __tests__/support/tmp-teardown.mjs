/**
 * Jest globalTeardown: the run's TMPDIR (tmp-setup.mjs) must be empty: every test removes what it
 * made. Whatever is left is named (and then removed, so the machine's temp dir stays clean), and
 * the run fails.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export default function teardown() {
  const dir = process.env.BW_TEST_TMPDIR;
  if (!dir) return;
  let left = [];
  try {
    left = readdirSync(dir).map((name) => join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (left.length > 0)
    throw new Error(
      `the tests left ${left.length} temp ${left.length === 1 ? 'entry' : 'entries'} behind (every test removes what it made):\n  ${left.join('\n  ')}`,
    );
}
