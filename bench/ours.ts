/**
 * Runs our side of a case in a fresh worker process (bench/worker/main.ts) and times it from the
 * outside, like a user timing the CLI: from fork to exit. Set BENCH_CPU_PROF=DIR to write a V8 CPU
 * profile of every worker into DIR (open it in Chrome DevTools or speedscope).
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WorkerReply, WorkerResult, WorkerTask } from './worker/protocol.js';

const WORKER = fileURLToPath(new URL('./worker/main.js', import.meta.url));
/**
 * The node flags the CLI runs with (its shebang, `#!/usr/bin/env -S node FLAGS…`): the worker gets
 * the same, so the figures are the CLI's.
 */
export const CLI_NODE_FLAGS: readonly string[] = cliNodeFlags();

function cliNodeFlags(): string[] {
  const bin = fileURLToPath(new URL('../../../bin/boerewors.js', import.meta.url));
  const shebang = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  const words = shebang.split(/\s+/);
  const node = words.indexOf('node');
  if (!shebang.startsWith('#!') || node === -1) throw new Error(`${bin}: no node shebang: ${shebang}`);
  return words.slice(node + 1).filter((w) => w !== '');
}

/** How long a worker may stay alive after replying before we call it a leak and kill it. */
const EXIT_GRACE_MS = 10_000;

export interface OursRun<R extends WorkerResult = WorkerResult> {
  readonly result: R;
  /** Fork to exit (or to the reply, when the process did not exit on its own), ms. */
  readonly processMs: number;
  /** False when an open handle kept the worker alive after the release ended. */
  readonly exitedOnItsOwn: boolean;
}

export async function runOurs<K extends WorkerTask['kind']>(
  task: Extract<WorkerTask, { kind: K }>,
): Promise<OursRun<Extract<WorkerResult, { kind: K }>>> {
  const prof = process.env.BENCH_CPU_PROF;
  const started = performance.now();
  const child = fork(WORKER, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...CLI_NODE_FLAGS, ...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [])],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const reply = await new Promise<WorkerReply>((resolve, reject) => {
    child.once('message', (m) => resolve(m as WorkerReply));
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`bench worker exited ${code ?? signal} without a result`)),
    );
    child.send(task);
  });
  const repliedAt = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const exitedOnItsOwn = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), EXIT_GRACE_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!exitedOnItsOwn) {
    child.kill('SIGKILL');
    await exited;
  }
  if (!reply.ok) throw new Error(`our ${task.kind} run failed: ${reply.error}`);
  const processMs = (exitedOnItsOwn ? performance.now() : repliedAt) - started;
  return { result: reply.result as Extract<WorkerResult, { kind: K }>, processMs, exitedOnItsOwn };
}
