/**
 * Runs a command under GNU time (`/usr/bin/time`), as a user would time it: wall time from spawn to
 * exit, CPU of the command and of every child it waited for, the largest process's peak RSS, and
 * (sampled from /proc) the peak RSS of its whole process tree.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TreeRssSampler } from './process-tree.js';

export const GNU_TIME = '/usr/bin/time';

export function hasGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

export interface TimedRun {
  readonly exitCode: number | null;
  readonly wallMs: number;
  /** User + system CPU seconds of the command and its children. */
  readonly cpuSeconds: number;
  /** Peak RSS of the largest single process, MB. */
  readonly maxRssMB: number;
  /** Peak RSS of the whole process tree, sampled, MB. */
  readonly treeRssMB: number;
  /** Bytes the command wrote to stdout. */
  readonly stdoutBytes: number;
  /** The last 4 KiB of stdout and stderr, for error messages. */
  readonly tail: string;
}

export async function runTimed(
  command: string,
  args: readonly string[],
  opts: { scratch: string; env?: NodeJS.ProcessEnv },
): Promise<TimedRun> {
  const out = join(opts.scratch, `time-${process.pid}-${Date.now()}.txt`);
  const started = performance.now();
  const child = spawn(GNU_TIME, ['-f', '%U %S %M', '-o', out, command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
  });
  const sampler = new TreeRssSampler(child.pid ?? 0);
  let stdoutBytes = 0;
  let tail = '';
  const keep = (c: Buffer): void => {
    tail = (tail + c.toString()).slice(-4096);
  };
  child.stdout.on('data', (c: Buffer) => {
    stdoutBytes += c.length;
    keep(c);
  });
  child.stderr.on('data', keep);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  const wallMs = performance.now() - started;
  const treeRssMB = sampler.stop();
  const [user = NaN, system = NaN, maxKb = NaN] = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .at(-1)!
    .split(' ')
    .map(Number);
  rmSync(out, { force: true });
  return {
    exitCode,
    wallMs,
    cpuSeconds: user + system,
    maxRssMB: (maxKb * 1024) / 1e6,
    treeRssMB,
    stdoutBytes,
    tail,
  };
}
