/**
 * What the OpenSSH client leaves behind must not outlive the process: masters, the agent, the
 * run's directories. The transport ends them in close(); this is the last resort when the process
 * exits without it (a cancelled run whose front end exits at once): on `exit`, synchronously,
 * every process still registered gets SIGTERM and every directory is removed. A process killed
 * outright has no `exit` event: the lifeline (lifeline.ts) does the same for it.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tieDirToLifeline, tieToLifeline, untieDir } from './lifeline.js';

const processes = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;

function onExit(): void {
  for (const child of processes) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', onExit);
}

/** Ends `child` when the process exits, unless it has ended (or was forgotten) before. */
export function endOnExit(child: ChildProcess): void {
  hook();
  processes.add(child);
  tieToLifeline(child);
  child.once('exit', () => processes.delete(child));
}

/** Removes `dir` when the process exits, unless `forgetDir` was called. */
export function removeOnExit(dir: string): void {
  hook();
  dirs.add(dir);
  tieDirToLifeline(dir);
}

export function forgetDir(dir: string): void {
  dirs.delete(dir);
  untieDir(dir);
}
