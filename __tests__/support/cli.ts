import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
export const BIN = join(REPO, 'bin/boerewors.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Directories made by tempDir() in this test file: removed after its last test. */
const made: string[] = [];
if (typeof afterAll === 'function')
  afterAll(() => Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true }))));

/** A fresh directory under the run's TMPDIR, removed (with all in it) after the test file's last test. */
export async function tempDir(prefix = 'bw-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/**
 * An `onStdout` that sends `signal` once, when the output so far is `ready` (a line that says the
 * step has started, say); `sentAt()` is when (0: never), for a test that bounds the exit from it.
 * `before` runs just before the signal (freezing a host, say).
 */
export function signalWhen(
  ready: (stdout: string) => boolean,
  signal: NodeJS.Signals = 'SIGINT',
  before: () => void = () => {},
): { onStdout: (stdout: string, child: ChildProcess) => void; sentAt: () => number } {
  let sentAt = 0;
  return {
    onStdout: (stdout, child) => {
      if (sentAt !== 0 || !ready(stdout)) return;
      before();
      sentAt = Date.now();
      child.kill(signal);
    },
    sentAt: () => sentAt,
  };
}

/**
 * The environment that preloads stretch-cancel-grace.mjs into a CLI or action process: its timers
 * of `ms` (the cancel grace) last 60 s, and it says so on stderr (`a … ms timer stretched`).
 */
export function stretchedTimerEnv(ms: number): NodeJS.ProcessEnv {
  const preload = join(REPO, '__tests__/support/stretch-cancel-grace.mjs');
  return {
    BW_STRETCH_TIMER_MS: String(ms),
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(),
  };
}

/** How many times `pattern` occurs in `text` (`/│ started/g`: how many hosts have started). */
export const occurrences = (text: string, pattern: RegExp): number => (text.match(pattern) ?? []).length;

export interface NodeRunOptions {
  cwd?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Called with all stdout so far on every chunk (e.g. to send a signal once a line appears). */
  onStdout?: (text: string, child: ChildProcess) => void;
  /** Called with all stderr so far on every chunk. */
  onStderr?: (text: string, child: ChildProcess) => void;
  /** Flags for node itself, before the script (e.g. cliNodeFlags()). */
  nodeFlags?: readonly string[];
}

/** The node flags the CLI runs with: those of its shebang (`#!/usr/bin/env -S node FLAGS…`). */
export function cliNodeFlags(): string[] {
  const shebang = readFileSync(BIN, 'utf8').split('\n', 1)[0] ?? '';
  const words = shebang.split(/\s+/);
  const node = words.indexOf('node');
  if (!shebang.startsWith('#!') || node === -1) throw new Error(`${BIN}: no node shebang: ${shebang}`);
  return words.slice(node + 1).filter((w) => w !== '');
}

/** Runs `node script args…` in a child process, collecting its output; SIGKILLs it after `timeoutMs`. */
export function runNode(script: string, args: readonly string[], opts: NodeRunOptions = {}): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), script, ...args], {
    cwd: opts.cwd ?? REPO,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    opts.onStdout?.(stdout, child);
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    opts.onStderr?.(stderr, child);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  return new Promise((resolvePromise) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Runs the built CLI (`bin/boerewors.js`). */
export function runCli(args: readonly string[], opts: NodeRunOptions = {}): Promise<CliRun> {
  return runNode(BIN, args, { ...opts, env: { ...process.env, ...opts.env } });
}
