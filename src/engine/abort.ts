/**
 * AbortSignal plumbing for the engine: the run's cancellation, per-attempt timeouts, and racing
 * promises that may not honour a signal (a slow transport, a stuck job body).
 */
import { setMaxListeners } from 'node:events';
import { CancelledError, TimeoutError } from '../errors.js';

/** A signal plus the function that releases its timers and listeners. */
export interface ScopedSignal {
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * The run's own cancellation signal, aborted with a `CancelledError` whatever reason the caller
 * gave: every job then sees one reason type and reports `cancelled`.
 */
export function cancellationSignal(external: AbortSignal | undefined): ScopedSignal {
  const controller = new AbortController();
  // Every running job listens on this signal (a pool of 50 means 50+ listeners): that is the
  // design, not a leak, so Node's leak warning at 10 would only be noise.
  setMaxListeners(0, controller.signal);
  const reason = (): CancelledError =>
    external?.reason instanceof CancelledError ? external.reason : new CancelledError('cancelled');
  if (!external) return { signal: controller.signal, dispose: () => {} };
  if (external.aborted) {
    controller.abort(reason());
    return { signal: controller.signal, dispose: () => {} };
  }
  const onAbort = (): void => controller.abort(reason());
  external.addEventListener('abort', onAbort, { once: true });
  return { signal: controller.signal, dispose: () => external.removeEventListener('abort', onAbort) };
}

/**
 * The signal of one attempt: aborted by the run's cancellation or, after `timeoutMs`, with a
 * `TimeoutError`. The timer stays ref'd: while an attempt runs, its deadline is real pending work
 * (an unref'd timer let Node exit mid-release with code 13 when nothing else was pending). `dispose`
 * clears it.
 */
export function attemptSignal(runSignal: AbortSignal, timeoutMs: number | undefined): ScopedSignal {
  if (timeoutMs === undefined) return { signal: runSignal, dispose: () => {} };
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new TimeoutError(`timed out after ${formatMs(timeoutMs)}`)),
    timeoutMs,
  );
  const signal = AbortSignal.any([runSignal, timeout.signal]);
  setMaxListeners(0, signal);
  return {
    signal,
    dispose: () => clearTimeout(timer),
  };
}

/**
 * Settles like `promise`, or rejects with `signal.reason` as soon as the signal aborts, whichever
 * comes first. The engine must end an attempt promptly even when what it awaits ignores the signal;
 * a late rejection of the abandoned promise is swallowed so it cannot become an unhandled one.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason as unknown);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => {});
      reject(signal.reason as unknown);
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
 * Waits `ms`, or rejects with `signal.reason` when it aborts first. The timer stays ref'd: a retry
 * backoff is the only pending work when one job is between attempts, and Node must not exit then.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as unknown);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as unknown);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** What a cancel says: `cancelled`, or the caller's CancelledError message (`cancelled by SIGTERM`). */
export function cancelMessage(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : 'cancelled';
}

/** `500ms`, `10s`, `1.5s`, `5m`, `1h`: the config's own duration syntax, for messages. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Number((ms / 1000).toFixed(3))}s`;
}
