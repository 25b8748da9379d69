/**
 * Proof that a cancelled command is gone, without guessing how long to wait. The command appends
 * its pid (and its children's) to a file as it starts and, should it survive the kill, writes a
 * marker a few seconds later and ends. The test waits until every recorded process has ended (an
 * event, however slow the machine) and only then looks for the marker: a command the kill missed
 * ends by writing it, so the check fails. No Jest APIs here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { waitUntil } from './sshd-fixtures.js';
import { isRunning } from './sshd-procs.js';

/** Pids the command appended to `file` (`echo $$ >> file`), one a line; none while it does not exist. */
export function readPids(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const pid = Number(l);
      if (!Number.isInteger(pid) || pid <= 1) throw new Error(`${file}: not a pid: ${JSON.stringify(l)}`);
      return pid;
    });
}

/** Resolves once every one of `pids` has ended (a zombie has); rejects after `timeoutMs`. */
export function waitForExit(pids: readonly number[], timeoutMs: number): Promise<void> {
  if (pids.length === 0) throw new Error('waitForExit: no pids (did the command record them?)');
  return waitUntil(
    () => pids.every((pid) => !isRunning(pid)),
    timeoutMs,
    `processes ${pids.filter(isRunning).join(', ')} to end`,
  );
}
