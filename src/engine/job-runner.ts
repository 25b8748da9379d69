/**
 * Runs one top-level job to its JobReport: every attempt with its own timeout, retries with
 * backoff through p-retry, and the bounded output tail. Never rejects: whatever happens becomes
 * the report.
 */
import { randomUUID } from 'node:crypto';
import pRetry from 'p-retry';
import { BoereworsError, CancelledError, JobFailedError, errorMessage } from '../errors.js';
import type { Transport } from '../transport/transport.js';
import { attemptSignal, cancelMessage, sleep } from './abort.js';
import type { EventListener } from './events.js';
import { JobAttempt } from './job-driver.js';
import type { Job } from './job.js';
import { OutputTail } from './output-tail.js';
import type { JobReport, JobResult } from './report.js';
import type { Outcome } from './result.js';
import { isRetryable, retryDelay } from './retry-policy.js';
import type { StageSettings } from './stage.js';
import type { UploadTotals } from './upload-totals.js';

export interface JobRunScope {
  readonly transport: Transport;
  /** The run's cancellation: aborted with a CancelledError. */
  readonly runSignal: AbortSignal;
  readonly stage: string;
  readonly settings: Pick<StageSettings, 'retries' | 'retryDelayMs' | 'timeoutMs'>;
  readonly runner: string;
  readonly release: string;
  readonly vars: Readonly<Record<string, string>>;
  readonly emit: EventListener;
  readonly outputTailBytes: number;
}

/**
 * p-retry sees only this wrapper, so our classification decides every retry (p-retry would
 * otherwise refuse to retry any TypeError a job throws, and turn non-Error throws into TypeErrors).
 */
class AttemptFailure extends Error {
  constructor(readonly error: unknown) {
    super(errorMessage(error));
  }
}

export async function runJob(job: Job, scope: JobRunScope): Promise<JobReport> {
  const { settings, runSignal, emit, stage } = scope;
  const host = job.host.name;
  const started = performance.now();
  const tail = new OutputTail(scope.outputTailBytes);
  let attempts = 0;
  let exitCode: number | null = null;
  let uploads: UploadTotals | null = null;
  // One per stage run, so the stage's uploads of one source read it once.
  const uploadSnapshot = snapshotOf(scope);

  const attemptOnce = async (attempt: number): Promise<Outcome> => {
    attempts = attempt;
    // The tail spans attempts: a divider keeps one attempt's output from running into the next's.
    if (attempt > 1) tail.push(attemptDivider(attempt));
    emit({ type: 'job-start', stage, host, attempt });
    const timed = attemptSignal(runSignal, settings.timeoutMs);
    const driver = new JobAttempt({
      transport: scope.transport,
      signal: timed.signal,
      stage,
      runner: scope.runner,
      release: scope.release,
      attempt,
      vars: scope.vars,
      emit,
      onLine: (line) => tail.push(line),
      uploadSnapshot,
    });
    try {
      const outcome = await driver.run(job);
      if (outcome.kind === 'err') throw new JobFailedError(outcome.reason);
      return outcome;
    } catch (error) {
      throw new AttemptFailure(error);
    } finally {
      exitCode = driver.exitCode;
      uploads = driver.uploads;
      timed.dispose();
    }
  };

  // The backoff wait lives here, not in p-retry, so the job-retry event states the real delay and
  // a cancel during the wait ends the job at once.
  const retryAfterWait = async ({ error, attemptNumber }: { error: Error; attemptNumber: number }) => {
    const cause = error instanceof AttemptFailure ? error.error : error;
    if (runSignal.aborted || !isRetryable(cause)) return false;
    const delayMs = retryDelay(settings.retryDelayMs, attemptNumber);
    emit({ type: 'job-retry', stage, host, attempt: attemptNumber, error: errorMessage(cause), delayMs });
    try {
      await sleep(delayMs, runSignal);
      return true;
    } catch {
      return false;
    }
  };

  const report = (result: JobResult, error: string | null, errorKind?: string): JobReport => ({
    host,
    result,
    attempts,
    durationMs: Math.round(performance.now() - started),
    exitCode,
    error,
    outputTail: tail.toString(),
    ...(uploads ? { uploads } : {}),
    ...(errorKind ? { errorKind } : {}),
  });

  try {
    const outcome = await pRetry(attemptOnce, {
      retries: settings.retries,
      minTimeout: 0,
      shouldRetry: retryAfterWait,
    });
    return outcome.kind === 'skip' ? report('skipped', outcome.reason) : report('success', null);
  } catch (thrown) {
    const error = thrown instanceof AttemptFailure ? thrown.error : thrown;
    // A command killed by the cancel may come back as a plain non-zero exit: still a cancel.
    if (runSignal.aborted || error instanceof CancelledError) {
      return report(
        'cancelled',
        runSignal.aborted ? cancelMessage(runSignal) : errorMessage(error),
        'cancelled',
      );
    }
    return report('failure', errorMessage(error), error instanceof BoereworsError ? error.kind : 'error');
  }
}

const snapshots = new WeakMap<JobRunScope, string>();

/** The stage's upload snapshot token: every job of one stage run shares its scope object. */
function snapshotOf(scope: JobRunScope): string {
  let token = snapshots.get(scope);
  if (!token) {
    token = randomUUID();
    snapshots.set(scope, token);
  }
  return token;
}

/** The line that opens attempt `n` (≥ 2) in a job's output tail: `── attempt 2 ──`. */
export function attemptDivider(n: number): string {
  return `── attempt ${n} ──`;
}
