/**
 * One established SSH connection to one host, shared by every step that runs there. It hands out
 * channels under a per-connection limit (below sshd's MaxSessions), lowers that limit when the
 * server proves stricter, and remembers why it died so running commands can say so.
 */
import { promisify } from 'node:util';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { ConnectionLostError } from '../../contract/errors.js';
import { connectionLostError } from './errors.js';
import type { SshHooks } from '../remote/hooks.js';
import { DetachedRuns } from '../remote/detached-runs.js';
import { Semaphore } from '../remote/semaphore.js';

/** How long `close()` waits for the server to acknowledge the disconnect before destroying the socket. */
export const CLOSE_WAIT_MS = 1000;

/** A channel could not be opened because the connection is gone: safe to retry on a new connection. */
export class ChannelOpenError extends ConnectionLostError {}

interface ChannelOpenFailure extends Error {
  reason?: number | string;
}

export class SshConnection {
  readonly #channels: Semaphore;
  #lost: ConnectionLostError | null = null;
  #lastError: unknown;
  #closing = false;
  #closingDone: Promise<void> | undefined;
  readonly #closed: Promise<void>;
  /** Commands started by runDetached and not yet ended: close() gives them a moment first. */
  readonly #detached = new DetachedRuns();

  constructor(
    private readonly client: Client,
    readonly label: string,
    maxSessions: number,
    keepaliveMs: number,
    private readonly hooks: SshHooks,
  ) {
    this.#channels = new Semaphore(maxSessions);
    client.on('error', (err) => (this.#lastError = err));
    this.#closed = new Promise((resolve) => {
      client.on('close', () => {
        this.#lost ??= this.#closing
          ? new ConnectionLostError(`${label}: connection closed`)
          : connectionLostError(label, this.#lastError, keepaliveMs);
        if (!this.#closing) this.hooks.onDebug?.(this.#lost.message);
        this.#channels.rejectWaiters(new ChannelOpenError(this.#lost.message));
        resolve();
      });
    });
  }

  get alive(): boolean {
    return this.#lost === null && !this.#closing;
  }

  /** Why the connection died (null while it is alive). */
  get lostError(): ConnectionLostError | null {
    return this.#lost;
  }

  /** Starts `command`; the channel holds a slot until it closes. */
  exec(command: string, signal: AbortSignal): Promise<ClientChannel> {
    return this.#open<ClientChannel>(signal, (cb) => this.client.exec(command, cb)).then(limitWriteBuffer);
  }

  /** Runs `command` on a channel of its own, nothing waiting for it (see DetachedRuns). */
  runDetached(command: string): void {
    this.#detached.start(() => this.exec(command, new AbortController().signal));
  }

  sftp(signal: AbortSignal): Promise<SFTPWrapper> {
    return this.#open(signal, (cb) => this.client.sftp(cb));
  }

  /** A TCP stream to `address:port` from the server's side (jump host). Not a session: no slot. */
  forwardOut(address: string, port: number): Promise<ClientChannel> {
    this.#assertAlive();
    return promisify<string, number, string, number, ClientChannel>(this.client.forwardOut.bind(this.client))(
      '127.0.0.1',
      0,
      address,
      port,
    );
  }

  async #open<T extends ClientChannel | SFTPWrapper>(
    signal: AbortSignal,
    open: (cb: (err: Error | undefined, channel: T) => void) => void,
  ): Promise<T> {
    for (let emptyRetries = 0; ;) {
      const release = await this.#channels.acquire(signal);
      this.#assertAlive(release);
      try {
        const channel = await new Promise<T>((resolve, reject) => {
          try {
            open((err, ch) => (err ? reject(err) : resolve(ch)));
          } catch (err) {
            // ssh2 throws "Not connected" synchronously: the server has closed the connection and
            // its 'close' event has not reached us yet. It is lost now: the pool replaces it, and
            // the step (nothing ran) reconnects once.
            this.#lost ??= new ConnectionLostError(
              `${this.label}: connection closed (${(err as Error).message})`,
            );
            reject(err);
          }
        });
        channel.once('close', release);
        return channel;
      } catch (err) {
        release();
        if (!this.alive)
          throw new ChannelOpenError(this.#lost?.message ?? `${this.label}: connection closed`);
        if (typeof (err as ChannelOpenFailure).reason !== 'number') throw this.#openError(err);
        // A refused session channel (CHANNEL_OPEN_FAILURE; OpenSSH says "open failed") means the
        // server allows fewer sessions than we assumed (its MaxSessions): run at most as many as
        // are open right now and wait for one to finish. With none open, the refusal may be a
        // slot still being freed server-side; retry briefly before giving up.
        const open = this.#channels.inUse;
        if (open > 0) {
          if (open < this.#channels.limit) {
            this.hooks.onDebug?.(`${this.label}: server refused channel ${open + 1}; limiting to ${open}`);
          }
          this.#channels.shrinkTo(open);
        } else if (++emptyRetries > 3) {
          throw this.#openError(err);
        } else {
          await new Promise((r) => setTimeout(r, 50 * emptyRetries));
        }
      }
    }
  }

  #openError(err: unknown): Error {
    return new Error(`${this.label}: cannot open an SSH channel: ${(err as Error).message}`);
  }

  #assertAlive(release?: () => void): void {
    if (this.alive) return;
    release?.();
    throw new ChannelOpenError(this.#lost?.message ?? `${this.label}: connection closed`);
  }

  /**
   * Disconnect politely, then for sure: a host that does not answer (frozen, partitioned) gets
   * CLOSE_WAIT_MS, then its socket is destroyed. Resolves when the socket is closed.
   */
  close(): Promise<void> {
    this.#closingDone ??= this.#close();
    return this.#closingDone;
  }

  async #close(): Promise<void> {
    // Before anything marks the connection as closing: a detached command may still be opening
    // its channel, which a closing connection refuses.
    const detached = this.#detached.pending;
    if (detached.length > 0) await settledWithin(detached, CLOSE_WAIT_MS);
    this.#closing = true;
    this.client.end();
    const timer = setTimeout(() => destroySocket(this.client), CLOSE_WAIT_MS);
    await this.#closed;
    clearTimeout(timer);
  }
}

/** Waits for `work` to settle, at most `ms`. */
async function settledWithin(work: readonly Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([Promise.allSettled(work), timeout]);
  clearTimeout(timer);
}

/**
 * ssh2's `destroy()` does nothing once its socket is no longer writable, which `end()` has just
 * made it: a host that never answers the disconnect would hold the socket (and the process) open
 * forever. So the socket itself is destroyed: a net.Socket, or the forwarded channel of a jump host.
 */
function destroySocket(client: Client): void {
  const socket = (client as unknown as { _sock?: { destroy(): void } })._sock;
  if (socket) socket.destroy();
  else client.destroy();
}

/**
 * What a channel buffers beyond the server's window before `write()` says "wait": ssh2's own
 * default is 2 MiB, on top of the 2 MiB window OpenSSH grants. A smaller buffer keeps a slow link's
 * backlog out of the controller's memory and lets a writer (an upload's archive) see early that the
 * host is behind (see compressed-members.ts).
 */
export const CHANNEL_WRITE_BUFFER = 256 * 1024;

function limitWriteBuffer(channel: ClientChannel): ClientChannel {
  // Node keeps the limit in the stream's state; ssh2 sets it once, in the channel's constructor.
  const state = (channel as unknown as { _writableState?: { highWaterMark: number } })._writableState;
  if (state && state.highWaterMark > CHANNEL_WRITE_BUFFER) state.highWaterMark = CHANNEL_WRITE_BUFFER;
  return channel;
}
