/**
 * A stage's `verify` on one host: its check, again every `interval` until it passes or `timeout`
 * ends. It runs once the job's steps succeeded and is not one of their attempts: `retries` does not
 * re-run the steps for it, since the check already repeats itself.
 */
import { cancelMessage, sleep } from '../../contract/abort.js';
import { errorMessage, JobFailedError, TimeoutError } from '../../contract/errors.js';
import type { Host } from '../../contract/host.js';
import { checkJob, checkText } from '../model/check.js';
import type { EventListener } from '../report/events.js';
import { JobAttempt, type AttemptScope } from './job-attempt.js';
import type { VerifyReport } from '../report/report.js';
import { isRetryable } from '../policy/retry-policy.js';
import { formatMs } from './run-signals.js';
import type { VerifySettings } from '../model/stage.js';

export interface VerifyScope extends Omit<AttemptScope, 'signal'> {
  /** The run's cancellation (or the stage's, on the way out). */
  readonly runSignal: AbortSignal;
}

export interface VerifyOutcome {
  readonly report: VerifyReport;
  /** Exit code of the last check's command (null when it had none). */
  readonly exitCode: number | null;
  /** Why it did not pass; null when it did. */
  readonly error: string | null;
}

export async function verifyHost(
  host: Host,
  verify: VerifySettings,
  scope: VerifyScope,
): Promise<VerifyOutcome> {
  const started = performance.now();
  const within = formatMs(verify.timeoutMs);
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new TimeoutError(`verify did not pass within ${within}`)),
    verify.timeoutMs,
  );
  const signal = AbortSignal.any([scope.runSignal, deadline.signal]);
  const label = `verify: ${checkText(verify.check)}`;
  let attempts = 0;
  let exitCode: number | null = null;
  let last: unknown;
  /** What the check before `last` said, for when the deadline cut `last` off. */
  let previous: unknown;
  const done = (result: VerifyReport['result'], error: string | null): VerifyOutcome => ({
    report: { result, attempts, durationMs: Math.round(performance.now() - started) },
    exitCode,
    error,
  });
  /** The verify's end once an attempt did not pass: cancelled, out of time, or hopeless. */
  const ended = (): VerifyOutcome | null => {
    if (scope.runSignal.aborted) return done('cancelled', cancelMessage(scope.runSignal));
    // Out of time, or too little left for the next attempt after the interval: no attempt is
    // announced that would never run.
    const noTimeLeft = performance.now() + verify.intervalMs >= started + verify.timeoutMs;
    if (deadline.signal.aborted || (noTimeLeft && isRetryable(last))) {
      const lastWas = last === deadline.signal.reason ? cutOff(previous) : errorMessage(last);
      return done(
        'failure',
        `verify did not pass within ${within} (${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}): ${lastWas}`,
      );
    }
    if (!isRetryable(last)) return done('failure', `verify failed: ${errorMessage(last)}`);
    return null;
  };
  try {
    for (;;) {
      attempts += 1;
      // One `» verify: …` line per host, not one per attempt: the retry lines tell the rest.
      const emit = attempts === 1 ? scope.emit : withoutStepStart(scope.emit);
      const driver = new JobAttempt({ ...scope, signal, emit });
      try {
        const outcome = await driver.run(checkJob(verify.check, host, label));
        exitCode = driver.exitCode;
        if (outcome.kind !== 'err') return done('success', null);
        previous = last;
        last = new JobFailedError(outcome.reason);
      } catch (error) {
        previous = last;
        // A check the deadline cut off has no exit code: the report keeps the last one known.
        if (error !== deadline.signal.reason) exitCode = driver.exitCode;
        last = error;
      }
      const end = ended();
      if (end) return end;
      scope.emit({
        type: 'verify-retry',
        stage: scope.stage,
        host: host.name,
        attempt: attempts,
        error: errorMessage(last),
        delayMs: verify.intervalMs,
      });
      try {
        await sleep(verify.intervalMs, signal);
      } catch {
        return ended() as VerifyOutcome;
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The error's tail when the deadline cut the last check off: what the one before it said. */
function cutOff(previous: unknown): string {
  if (previous === undefined) return 'the last was still running';
  return `the last was still running; the one before: ${errorMessage(previous)}`;
}

function withoutStepStart(emit: EventListener): EventListener {
  return (e) => {
    if (e.type !== 'step-start') emit(e);
  };
}
