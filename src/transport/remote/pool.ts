/**
 * One connection per `user@host:port`, opened on first use and shared by every step of every
 * stage. Concurrent first uses share one connect. A connection that died (server restart, idle
 * timeout, keepalive failure) is replaced on the next use; a failed connect is not cached, so the
 * engine's next attempt tries afresh. `close()` ends everything so the process can exit.
 */
import { setMaxListeners } from 'node:events';
import { untilAborted } from '../../contract/abort.js';
import { CancelledError } from '../../contract/errors.js';
import type { SshHooks } from './hooks.js';

/** What the pool keeps: an ssh2 connection, or an OpenSSH master (openssh/). */
export interface PooledConnection {
  readonly alive: boolean;
  readonly lostError: Error | null;
  close(): Promise<void>;
}

export type OpenConnection<T extends { label: string }, C extends PooledConnection> = (
  target: T,
  signal: AbortSignal,
) => Promise<C>;

export class ConnectionPool<T extends { label: string }, C extends PooledConnection> {
  readonly #connections = new Map<string, Promise<C>>();
  /** Aborts connects still in flight when the pool closes. */
  readonly #shutdown = new AbortController();

  constructor(
    private readonly open: OpenConnection<T, C>,
    private readonly hooks: SshHooks = {},
  ) {
    // Every connect in flight (and every host queued for a handshake slot) listens on this one
    // signal: 100 hosts mean 100 listeners by design, so Node's leak warning at 10 is only noise.
    setMaxListeners(0, this.#shutdown.signal);
  }

  /** The connection to `target`, opened or shared; `signal` only ends this caller's wait. */
  async get(target: T, signal?: AbortSignal): Promise<C> {
    if (this.#shutdown.signal.aborted)
      throw new CancelledError(`${target.label}: the SSH transport is closed`);
    const existing = this.#connections.get(target.label);
    if (existing) {
      const conn = await untilAborted(existing, signal);
      if (conn.alive) return conn;
      // Only the first caller to notice replaces it; the others pick up the replacement.
      if (this.#connections.get(target.label) === existing) {
        this.#connections.delete(target.label);
        this.hooks.onDebug?.(
          `${target.label}: reconnecting (${conn.lostError?.message ?? 'connection closed'})`,
        );
      }
      return this.get(target, signal);
    }
    const opening = this.open(target, this.#shutdown.signal);
    this.#connections.set(target.label, opening);
    opening.catch(() => {
      if (this.#connections.get(target.label) === opening) this.#connections.delete(target.label);
    });
    return untilAborted(opening, signal);
  }

  /** Close every connection; `closeLast` (jump hosts) after the others, since they carry them. */
  async close(closeLast: (label: string) => boolean = () => false): Promise<void> {
    this.#shutdown.abort(new CancelledError('the SSH transport is closed'));
    const all = [...this.#connections.entries()];
    this.#connections.clear();
    const settle = async ([, p]: [string, Promise<C>]): Promise<void> => {
      const conn = await p.catch(() => null);
      await conn?.close();
    };
    await Promise.all(all.filter(([label]) => !closeLast(label)).map(settle));
    await Promise.all(all.filter(([label]) => closeLast(label)).map(settle));
  }
}
