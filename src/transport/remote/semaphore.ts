/**
 * A counting semaphore with abortable waits and a capacity that can shrink at run time (a server
 * may allow fewer channels than we were told). Used for the per-connection channel limit and the
 * global cap on concurrent handshakes.
 */
export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  fail: (reason: unknown) => void;
}

export class Semaphore {
  #inUse = 0;
  readonly #waiters: Waiter[] = [];

  constructor(private capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new TypeError(`capacity must be a positive integer, got ${String(capacity)}`);
    }
  }

  get limit(): number {
    return this.capacity;
  }

  get inUse(): number {
    return this.#inUse;
  }

  /** Resolves with a release function once a slot is free; rejects with `signal.reason` if aborted first. */
  acquire(signal?: AbortSignal): Promise<Release> {
    signal?.throwIfAborted();
    if (this.#inUse < this.capacity) return Promise.resolve(this.#take());
    return new Promise<Release>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        fail: (reason) => {
          signal?.removeEventListener('abort', onAbort);
          reject(reason);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Lower the capacity (never below 1); slots in use are not revoked, they just are not handed out again. */
  shrinkTo(capacity: number): void {
    this.capacity = Math.max(1, Math.min(this.capacity, capacity));
  }

  /** Reject every waiter (the connection is gone). */
  rejectWaiters(reason: unknown): void {
    for (const w of this.#waiters.splice(0)) w.fail(reason);
  }

  #take(): Release {
    this.#inUse += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse -= 1;
      this.#dispatch();
    };
  }

  #dispatch(): void {
    while (this.#inUse < this.capacity && this.#waiters.length > 0) {
      this.#waiters.shift()?.grant(this.#take());
    }
  }
}
