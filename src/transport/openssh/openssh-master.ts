/**
 * One host's ControlMaster: an `ssh -M -N` child of ours, in the foreground, logged in once for the
 * whole run; every session of the host goes through its socket. It is ready when the socket
 * appears (OpenSSH listens on it only once authenticated), failed when it exits first, and closed
 * with `ssh -O exit` (SIGTERM if that does not end it).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ConnectError, CancelledError, ConnectionLostError } from '../../contract/errors.js';
import { DetachedRuns } from '../remote/detached-runs.js';
import { Semaphore } from '../remote/semaphore.js';
import type { ExecChannel, ExecConnection } from '../remote/exec.js';
import { exitArgs, masterArgs, sessionArgs, type OpensshTarget } from './openssh-args.js';
import { classifyConnectFailure } from './openssh-errors.js';
import { ProcessChannel } from './process-channel.js';
import { endOnExit } from './run-cleanup.js';

/** How long close() waits for the master to exit after `-O exit` before SIGTERM, then SIGKILL. */
const CLOSE_WAIT_MS = 3000;

export interface MasterSettings {
  readonly ssh: string;
  readonly common: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly maxSessions: number;
  readonly connectTimeoutMs: number;
}

export class OpensshMaster implements ExecConnection {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #sessions: Semaphore;
  readonly #detached = new DetachedRuns();
  #stderr = '';
  #exited = false;
  #closing: Promise<void> | undefined;
  #lost: Error | null = null;

  private constructor(
    readonly target: OpensshTarget,
    private readonly settings: MasterSettings,
  ) {
    this.#sessions = new Semaphore(settings.maxSessions);
    this.#child = spawn(settings.ssh, masterArgs(settings.common, target), {
      env: settings.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    endOnExit(this.#child);
    this.#child.stdin.end();
    this.#child.stdout.resume();
    this.#child.stderr.on('data', (c: Buffer) => (this.#stderr = (this.#stderr + c.toString()).slice(-4096)));
    this.#child.once('exit', () => {
      this.#exited = true;
      if (!this.#closing)
        this.#lost ??= new ConnectionLostError(`${target.label}: connection lost (its ssh master exited)`);
    });
  }

  /** Starts the master of `target`; resolves once it is logged in, rejects with the classified failure. */
  static async open(
    target: OpensshTarget,
    settings: MasterSettings,
    signal: AbortSignal,
  ): Promise<OpensshMaster> {
    signal.throwIfAborted();
    // Watch before spawning: the socket may appear at once.
    const watcher = watch(dirname(target.controlPath));
    const master = new OpensshMaster(target, settings);
    try {
      await master.#ready(watcher, signal);
      return master;
    } catch (err) {
      await master.close();
      throw err;
    } finally {
      watcher.close();
    }
  }

  #ready(watcher: FSWatcher, signal: AbortSignal): Promise<void> {
    const name = basename(this.target.controlPath);
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#child.removeListener('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const check = (): void => {
        if (existsSync(this.target.controlPath)) done();
      };
      watcher.on('change', (_event, file) => {
        if (file === name || String(file).startsWith(`${name}.`)) check();
      });
      const onClose = (): void => done(classifyConnectFailure(this.target.label, this.#stderr));
      const onAbort = (): void =>
        done(
          signal.reason instanceof Error
            ? signal.reason
            : new CancelledError(`${this.target.label}: cancelled`),
        );
      // OpenSSH's ConnectTimeout covers the TCP connect only; a server that accepts and then says
      // nothing must not hold the run: twice the timeout, as a last resort, for the whole login.
      const timer = setTimeout(
        () =>
          done(
            new ConnectError(
              `${this.target.label}: connect timed out (no login within ${(2 * this.settings.connectTimeoutMs) / 1000}s)`,
            ),
          ),
        2 * this.settings.connectTimeoutMs,
      );
      this.#child.once('close', onClose);
      signal.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }

  get label(): string {
    return this.target.label;
  }

  get alive(): boolean {
    return !this.#exited && !this.#closing && this.#lost === null;
  }

  get lostError(): Error | null {
    return this.#lost;
  }

  /** A session through the master, holding one of `max-sessions` slots until it closes. */
  async exec(command: string, signal: AbortSignal): Promise<ExecChannel> {
    const release = await this.#sessions.acquire(signal);
    if (!this.alive) {
      release();
      throw this.#lost ?? new ConnectionLostError(`${this.label}: the connection is closed`);
    }
    const child = spawn(this.settings.ssh, sessionArgs(this.target, command), {
      env: this.settings.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    endOnExit(child);
    const channel = new ProcessChannel(child, this.label, () => this.alive);
    channel.once('close', release);
    return channel;
  }

  runDetached(command: string): void {
    this.#detached.start(() => this.exec(command, new AbortController().signal));
  }

  /** Ends the master (`-O exit`, then signals); resolves once it has exited. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.#exited) return;
    await Promise.race([Promise.all(this.#detached.pending), delay(CLOSE_WAIT_MS)]);
    const exited = new Promise<void>((resolve) => {
      if (this.#exited) resolve();
      else this.#child.once('exit', () => resolve());
    });
    if (existsSync(this.target.controlPath)) {
      const ask = spawn(this.settings.ssh, exitArgs(this.target), {
        env: this.settings.env,
        stdio: 'ignore',
      });
      endOnExit(ask);
      ask.on('error', () => {});
    } else {
      this.#child.kill('SIGTERM');
    }
    if (await Promise.race([exited.then(() => true), delay(CLOSE_WAIT_MS).then(() => false)])) return;
    this.#child.kill('SIGTERM');
    if (await Promise.race([exited.then(() => true), delay(CLOSE_WAIT_MS).then(() => false)])) return;
    this.#child.kill('SIGKILL');
    await exited;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
