/**
 * The engine's signals: the run's cancellation and each attempt's timeout. (Waiting on promises
 * that may ignore a signal, and sleeping, are in src/contract/abort.ts, shared with the transports.)
 */
import { setMaxListeners } from 'node:events';
import { cancelMessage } from '../../contract/abort.js';
import { CancelledError, TimeoutError } from '../../contract/errors.js';

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
 * The signal of the stages on the way out (`when: failure | cancelled | always`): the run's cancel
 * does not abort it, it starts a budget; `budgetMs` after the cancel it aborts too (with a
 * CancelledError), so that a cancelled run still ends in bounded time, its last stages included.
 */
export function wayOutSignal(cancel: AbortSignal, budgetMs: number): ScopedSignal {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const start = (): void => {
    // Ref'd, like an attempt's deadline: while the stages on the way out run, it is real work.
    timer = setTimeout(() => {
      const why = `${cancelMessage(cancel)}: the cancel budget of ${formatMs(budgetMs)} ran out`;
      controller.abort(new CancelledError(why));
    }, budgetMs);
  };
  if (cancel.aborted) start();
  else cancel.addEventListener('abort', start, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      cancel.removeEventListener('abort', start);
    },
  };
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

/** `500ms`, `10s`, `1.5s`, `5m`, `1h`: the config's own duration syntax, for messages. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Number((ms / 1000).toFixed(3))}s`;
}
