/**
 * Runs one lock command on the lock host with bounds, since that host is not trusted: the answer
 * is read up to a size (a host that floods is stopped, not buffered), a complete answer ends the
 * reading (a host that goes on talking or never exits is cut off once it has answered), and the
 * whole command has a deadline (a host that accepts the command and sleeps cannot hold the run).
 */
import type { Host } from '../../contract/host.js';
import { DEFAULT_SHELL, type ExecResult, type Transport } from '../../contract/transport.js';
import { parseLockReply, replyComplete, type LockCommand, type LockReply } from '../../steps/lock-scripts.js';

/** The lock command's stdout is read up to this many bytes: an answer is a few hundred. */
export const LOCK_REPLY_MAX_BYTES = 64 * 1024;
/** Every lock command (acquire, heartbeat, status, release) ends within this, answered or not. */
export const LOCK_COMMAND_TIMEOUT_MS = 30_000;
/** How long a command that has answered may take to exit before it is cut off. */
const EXIT_GRACE_MS = 2000;
/** stderr kept for the error message: its last lines, each cut. */
const STDERR_LINES = 8;
const STDERR_LINE_CHARS = 300;

/** Why a lock command gave no usable answer: too much, too slow. */
export type LockReadFailure = { readonly why: 'flood' | 'timeout'; readonly limit: number };

export interface LockRead {
  readonly result: ExecResult | null;
  /** The answer, when one arrived (even if the command was then cut off). */
  readonly reply: LockReply | undefined;
  /** stdout as read, up to the cap: for the error message when there is no answer. */
  readonly stdout: readonly string[];
  readonly stderr: readonly string[];
  readonly failure?: LockReadFailure;
}

/** Runs `command` on `host`; rejects only with `signal`'s reason or a transport failure. */
export async function readLockCommand(
  transport: Transport,
  host: Host,
  command: LockCommand,
  signal: AbortSignal,
  timeoutMs = LOCK_COMMAND_TIMEOUT_MS,
): Promise<LockRead> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const stop = new AbortController();
  let bytes = 0;
  let ended: 'answered' | LockReadFailure | undefined;
  const end = (why: typeof ended): void => {
    ended ??= why;
    stop.abort();
  };
  const deadline = setTimeout(() => end({ why: 'timeout', limit: timeoutMs }), timeoutMs);
  let grace: ReturnType<typeof setTimeout> | undefined;
  const onOutput = (stream: 'stdout' | 'stderr', line: string): void => {
    if (ended) return;
    if (stream === 'stderr') {
      stderr.push(line.slice(0, STDERR_LINE_CHARS));
      if (stderr.length > STDERR_LINES) stderr.shift();
      return;
    }
    bytes += Buffer.byteLength(line) + 1;
    if (bytes > LOCK_REPLY_MAX_BYTES) return end({ why: 'flood', limit: LOCK_REPLY_MAX_BYTES });
    stdout.push(line);
    if (!grace && replyComplete(stdout)) grace = setTimeout(() => end('answered'), EXIT_GRACE_MS);
  };
  try {
    const result = await transport.exec(
      host,
      { script: command.script, shell: DEFAULT_SHELL, env: command.env },
      { signal: AbortSignal.any([signal, stop.signal]), onOutput },
    );
    return { result, reply: parseLockReply(stdout), stdout, stderr };
  } catch (e) {
    if (signal.aborted || !stop.signal.aborted) throw e;
    const reply = ended === 'answered' ? parseLockReply(stdout) : undefined;
    const failure = ended === 'answered' || ended === undefined ? undefined : ended;
    return { result: null, reply, stdout, stderr, ...(failure ? { failure } : {}) };
  } finally {
    clearTimeout(deadline);
    clearTimeout(grace);
  }
}
