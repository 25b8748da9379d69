/**
 * Jest globalSetup: every test run gets a TMPDIR of its own, a fresh directory in the machine's
 * temp dir, so that what the tests (and the CLI, action and sshd processes they start) leave
 * behind can be told apart from what other runs on the same machine leave. tmp-teardown.mjs
 * checks that it is empty at the end.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'bw-jest-run-'));
  // sshd's login user reads and writes below it (its scratch dirs, authorized_keys).
  chmodSync(dir, 0o755);
  process.env.BW_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
}
