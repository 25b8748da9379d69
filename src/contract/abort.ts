/**
 * Promise and AbortSignal helpers shared by the engine, the transports and the front ends: waiting
 * while a signal may abort, an abortable sleep, what a cancel says, and settling a promise once.
 */
import { CancelledError } from './errors.js';

/** Why `signal` aborted: its reason, or a plain CancelledError when it gave none. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new CancelledError('cancelled');
}

/** What a cancel says: `cancelled`, or the caller's CancelledError message (`cancelled by SIGTERM`). */
export function cancelMessage(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : 'cancelled';
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it aborts, whichever comes
 * first; without a signal, `promise` itself. Whoever awaits must be able to stop waiting even when
 * the work ignores the signal (a slow transport, a stuck job body) or is shared with other callers
 * (a connect); the work itself goes on. A late rejection of the abandoned promise is swallowed so
 * it cannot become an unhandled one.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => {});
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Waits `ms`, or rejects with the signal's reason when it aborts first. The timer stays ref'd: a
 * retry backoff (of a job, or of a connect to a refusing host) can be the only pending work, and
 * Node must not exit with the release still unsettled.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A promise's resolve and reject, of which only the first call counts. */
export interface Settle<T> {
  /** True once resolve or reject was called. */
  readonly settled: boolean;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

/**
 * Wraps a promise's `resolve` and `reject` so the first call wins and later ones do nothing; `cleanup`
 * (clear timers, remove listeners) runs once, just before it settles. For promises that many
 * events race to settle: a timer, an abort, an error and a success.
 */
export function settleOnce<T>(
  resolve: (value: T) => void,
  reject: (reason: unknown) => void,
  cleanup: () => void = () => {},
): Settle<T> {
  let settled = false;
  const first = (): boolean => {
    if (settled) return false;
    settled = true;
    cleanup();
    return true;
  };
  return {
    get settled() {
      return settled;
    },
    resolve: (value) => {
      if (first()) resolve(value);
    },
    reject: (reason) => {
      if (first()) reject(reason);
    },
  };
}
