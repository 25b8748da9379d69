/**
 * The deploy lock of a run (docs/lock.md): taken through the transport on the lock host before the
 * first stage, its heartbeat refreshed while the run goes on, released at the end (success, failure
 * and cancel alike) and only by its holder. The commands themselves are in src/steps/lock-scripts.ts.
 */
import { sleep } from '../../contract/abort.js';
import { BoereworsError, errorMessage } from '../../contract/errors.js';
import { hostLabel, type Host } from '../../contract/host.js';
import type { Transport } from '../../contract/transport.js';
import { truncateText } from '../../reporters/github-escape.js';
import {
  acquireLockCommand,
  heartbeatLockCommand,
  LOCKS_DIR,
  lockStatusCommand,
  releaseLockCommand,
  type LockCommand,
  type LockReply,
} from '../../steps/lock-scripts.js';
import { describeHolder, parseOwner, type LockOwner } from './lock-owner.js';
import { readLockCommand } from './lock-reply-reader.js';

/** Where and how a run takes its lock. */
export interface LockTarget {
  readonly host: Host;
  readonly name: string;
  /** How long to wait for a held lock; 0: give up at once. */
  readonly waitMs: number;
  readonly staleAfterMs: number;
  /** The SSH user of hosts that name none, for `user@host:port` in messages. */
  readonly defaultUser?: string;
  /** Each lock command's deadline; default LOCK_COMMAND_TIMEOUT_MS. */
  readonly commandTimeoutMs?: number;
}

/** What BW_LOCK_TOKEN may hold: a token as we make them (or as a user passes one on). */
export const LOCK_TOKEN_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;

/** The lock could not be asked about (unreachable host, a failing command): the run must not start. */
export class LockHostError extends BoereworsError {
  readonly kind = 'connect';
  readonly retryable = false;
}

export type AcquireOutcome =
  | { readonly state: 'acquired' | 'reentered'; readonly owner?: Partial<LockOwner> }
  | { readonly state: 'taken-over'; readonly owner: Partial<LockOwner>; readonly ageSeconds: number }
  | { readonly state: 'refused'; readonly owner: Partial<LockOwner>; readonly ageSeconds: number };

export interface DeployLockHooks {
  /** A line for the log (waiting, taken, released). */
  info?: (message: string) => void;
  /** Something the user must know (a stale lock taken over, the lock lost, a release that failed). */
  warn?: (message: string) => void;
}

/** How often a held lock is polled while we wait for it. */
export const WAIT_POLL_MS = 2000;
/** Connection failures of the lock command are retried this many times, after 1 s, 2 s. */
const CONNECT_RETRIES = 2;

/** The lock of one run, on one host. */
export class DeployLock {
  readonly #label: string;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #beat: AbortController | undefined;
  #lost = false;
  #held: 'acquired' | 'reentered' | 'taken-over' | undefined;

  constructor(
    private readonly transport: Transport,
    readonly target: LockTarget,
    /** Ours; the token in it is what releases the lock. */
    readonly owner: LockOwner,
    private readonly hooks: DeployLockHooks = {},
    private readonly pollMs = WAIT_POLL_MS,
  ) {
    this.#label = `deploy lock "${target.name}" on ${target.host.name}`;
  }

  /** `~/.boerewors/locks/NAME on web-1 (deploy@10.0.0.1:22)`: where it lives. */
  get where(): string {
    const host = this.target.host;
    const at = host.local ? 'this machine' : hostLabel(host, this.target.defaultUser);
    return `~/${LOCKS_DIR}/${this.target.name} on ${host.name} (${at})`;
  }

  /**
   * Take the lock, waiting up to `waitMs` while another run holds it. `reenter`: a token we were
   * given (BW_LOCK_TOKEN); when the holder has it we join its lock and leave its release to it.
   * Rejects with a LockHostError when the lock host cannot be asked, and with the signal's reason
   * on cancel.
   */
  async acquire(signal: AbortSignal, reenter?: string): Promise<AcquireOutcome> {
    const deadline = Date.now() + this.target.waitMs;
    let waiting = false;
    for (;;) {
      const reply = await this.#run(
        acquireLockCommand({
          name: this.target.name,
          token: this.owner.token,
          owner: JSON.stringify(this.owner),
          staleAfterSeconds: Math.max(1, Math.ceil(this.target.staleAfterMs / 1000)),
          ...(reenter ? { reenter } : {}),
        }),
        signal,
      );
      const owner = parseOwner(reply.owner);
      const ageSeconds = reply.ageSeconds ?? 0;
      if (reply.answer === 'acquired' || reply.answer === 'reentered') {
        this.#held = reply.answer;
        return { state: reply.answer, owner };
      }
      if (reply.answer === 'taken-over') {
        this.#held = 'taken-over';
        return { state: 'taken-over', owner, ageSeconds };
      }
      if (reply.answer !== 'held') throw this.#unexpected(reply);
      const left = deadline - Date.now();
      if (left <= 0) return { state: 'refused', owner, ageSeconds };
      if (!waiting) {
        this.hooks.info?.(
          `🔒 ${this.#label} is held by ${describeHolder(owner, ageSeconds)}: waiting up to ${seconds(left)} for it`,
        );
        waiting = true;
      }
      await sleep(Math.min(this.pollMs, left), signal);
    }
  }

  /**
   * Refresh the heartbeat every `intervalMs` until `release` (or until the lock turns out lost).
   * Not for a re-entered lock: its holder refreshes it (and our token is not the one in it).
   */
  startHeartbeat(intervalMs: number = heartbeatInterval(this.target.staleAfterMs)): void {
    if (!this.#held || this.#held === 'reentered' || this.#heartbeat) return;
    this.#heartbeat = setInterval(() => void this.#beatOnce(), intervalMs);
    this.#heartbeat.unref();
  }

  async #beatOnce(): Promise<void> {
    if (this.#beat || this.#lost) return; // the last one is still on its way
    const beat = (this.#beat = new AbortController());
    try {
      const reply = await this.#run(heartbeatLockCommand(this.target.name, this.owner.token), beat.signal, 0);
      if (reply.answer === 'lost') {
        this.#lost = true;
        this.#stopHeartbeat();
        const owner = parseOwner(reply.owner);
        this.hooks.warn?.(
          `${this.#label} is no longer ours: ${owner.who ? `now held by ${describeHolder(owner)}` : 'it was removed'}; another run may be deploying at the same time`,
        );
      }
    } catch (e) {
      if (!beat.signal.aborted)
        this.hooks.warn?.(`${this.#label}: heartbeat failed (tried again in a moment): ${errorMessage(e)}`);
    } finally {
      if (this.#beat === beat) this.#beat = undefined;
    }
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#beat?.abort();
  }

  /**
   * Stop the heartbeat and remove the lock if it is still ours, within `timeoutMs`. A re-entered
   * lock is left to its holder. A lock the heartbeat found lost is asked about all the same: the
   * end of the run then says who holds it now (or that it is gone). Never rejects: a lock that could not be removed is a warning (it
   * goes stale, or `boerewors lock release --force` removes it).
   */
  async release(timeoutMs: number): Promise<void> {
    this.#stopHeartbeat();
    const held = this.#held;
    this.#held = undefined;
    if (!held || held === 'reentered') return;
    try {
      const reply = await this.#run(
        releaseLockCommand(this.target.name, this.owner.token),
        AbortSignal.timeout(timeoutMs),
        0,
      );
      if (reply.answer === 'released') this.hooks.info?.(`🔓 ${this.#label} released`);
      else if (reply.answer === 'not-ours') {
        this.hooks.warn?.(
          `${this.#label} was not released: it is now held by ${describeHolder(parseOwner(reply.owner))}`,
        );
      } else if (reply.answer === 'absent')
        this.hooks.warn?.(`${this.#label} was already gone at the end of the run`);
    } catch (e) {
      const why =
        e instanceof Error && e.name === 'TimeoutError'
          ? `no answer within ${seconds(timeoutMs)}`
          : errorMessage(e);
      this.hooks.warn?.(
        `${this.#label} could not be released (${why}): it goes stale ${seconds(this.target.staleAfterMs)} after its last heartbeat, ` +
          `or \`boerewors lock release --force\` removes it now`,
      );
    }
  }

  /** `free`, or who holds it. */
  async status(signal: AbortSignal): Promise<LockReply> {
    return this.#run(lockStatusCommand(this.target.name), signal);
  }

  /** Remove the lock: ours (our token), or anyone's with `force`. */
  async releaseByHand(signal: AbortSignal, force: boolean): Promise<LockReply> {
    return this.#run(releaseLockCommand(this.target.name, this.owner.token, { force }), signal);
  }

  /** The command's reply; connection failures are retried (twice), anything else is a LockHostError. */
  async #run(command: LockCommand, signal: AbortSignal, retries = CONNECT_RETRIES): Promise<LockReply> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#runOnce(command, signal);
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        const transient =
          e instanceof BoereworsError && (e.kind === 'connect' || e.kind === 'connection-lost');
        if (!transient || e instanceof LockHostError || attempt >= retries) {
          if (e instanceof LockHostError) throw e;
          throw new LockHostError(`${this.#label}: could not reach the lock host: ${errorMessage(e)}`, {
            cause: e,
          });
        }
        await sleep(1000 * 2 ** attempt, signal);
      }
    }
  }

  async #runOnce(command: LockCommand, signal: AbortSignal): Promise<LockReply> {
    const read = await readLockCommand(
      this.transport,
      this.target.host,
      command,
      signal,
      this.target.commandTimeoutMs,
    );
    const { result, reply } = read;
    if (read.failure) {
      const what =
        read.failure.why === 'flood'
          ? `answered more than ${read.failure.limit} bytes: stopped reading`
          : `gave no answer within ${seconds(read.failure.limit)}`;
      throw new LockHostError(`${this.#label} (${this.where}): the lock command ${what}`);
    }
    if (reply && (result === null || result.exitCode === 0)) return reply;
    const said = [...read.stderr, ...(reply ? [] : read.stdout.slice(-8))]
      .map((line) => truncateText(line, 300))
      .join('\n')
      .trim();
    throw new LockHostError(
      `${this.#label} (${this.where}): the lock command failed` +
        `${result?.exitCode == null ? '' : ` with exit code ${result.exitCode}`}${said ? `: ${said}` : ''}`,
    );
  }

  #unexpected(reply: LockReply): LockHostError {
    return new LockHostError(`${this.#label}: unexpected answer "${reply.answer}" from the lock command`);
  }
}

/** Every 30 s, or every third of `stale-after` when that is shorter: two beats may be missed. */
export function heartbeatInterval(staleAfterMs: number): number {
  return Math.max(100, Math.min(30_000, Math.floor(staleAfterMs / 3)));
}

function seconds(ms: number): string {
  return ms % 1000 === 0 || ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}
