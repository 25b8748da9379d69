/**
 * Runs one top-level job to its JobReport: every attempt with its own timeout, retries with
 * backoff through p-retry, and the bounded output tail. Never rejects: whatever happens becomes
 * the report.
 */
import { randomUUID } from 'node:crypto';
import pRetry from 'p-retry';
import { BoereworsError, CancelledError, JobFailedError, errorMessage } from '../../contract/errors.js';
import type { Transport } from '../../contract/transport.js';
import { cancelMessage, sleep } from '../../contract/abort.js';
import { attemptSignal } from './run-signals.js';
import type { EventListener } from '../report/events.js';
import { JobAttempt } from './job-attempt.js';
import type { Job } from '../model/job.js';
import { OutputTail } from '../report/output-tail.js';
import { epochMs, type JobReport, type JobResult, type VerifyReport } from '../report/report.js';
import type { Outcome } from '../model/result.js';
import { isRetryable, retryDelay } from '../policy/retry-policy.js';
import type { StageSettings } from '../model/stage.js';
import { joinMoves, type ReleaseMove } from '../report/release-move.js';
import { verifyHost } from './verify.js';
import type { UploadTotals } from '../report/upload-totals.js';

export interface JobScope {
  readonly transport: Transport;
  /** The run's cancellation: aborted with a CancelledError. */
  readonly runSignal: AbortSignal;
  readonly stage: string;
  readonly settings: Pick<StageSettings, 'retries' | 'retryDelayMs' | 'timeoutMs' | 'verify'>;
  readonly runner: string;
  readonly release: string;
  readonly vars: Readonly<Record<string, string>>;
  /** BW_* names the engine adds to every job's env (the run so far, a gate's wave). */
  readonly env: Readonly<Record<string, string>>;
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

export function runJob(job: Job, scope: JobScope): Promise<JobReport> {
  return new JobRun(job, scope).run();
}

/** One job's attempts, and what they add up to: the output tail, the last exit code, the report. */
class JobRun {
  readonly #host: string;
  readonly #started = performance.now();
  readonly #startedAtMs = epochMs();
  readonly #tail: OutputTail;
  #attempts = 0;
  #exitCode: number | null = null;
  #step: string | null = null;
  #verify: VerifyReport | undefined;
  #uploads: UploadTotals | null = null;
  /** Across attempts: a switch in attempt 1 stays a switch when attempt 2 finds nothing to do. */
  #release: ReleaseMove | null = null;

  constructor(
    private readonly job: Job,
    private readonly scope: JobScope,
  ) {
    this.#host = job.host.name;
    this.#tail = new OutputTail(scope.outputTailBytes);
  }

  async run(): Promise<JobReport> {
    const { runSignal } = this.scope;
    try {
      const outcome = await pRetry((attempt) => this.#attempt(attempt), {
        retries: this.scope.settings.retries,
        minTimeout: 0,
        shouldRetry: (context) => this.#retryAfterWait(context),
      });
      if (outcome.kind === 'skip') return this.#report('skipped', outcome.reason);
      return await this.#verified();
    } catch (thrown) {
      const error = thrown instanceof AttemptFailure ? thrown.error : thrown;
      // A command killed by the cancel may come back as a plain non-zero exit: still a cancel.
      if (runSignal.aborted || error instanceof CancelledError) {
        const why = runSignal.aborted ? cancelMessage(runSignal) : errorMessage(error);
        return this.#report('cancelled', why, 'cancelled');
      }
      return this.#report(
        'failure',
        errorMessage(error),
        error instanceof BoereworsError ? error.kind : 'error',
      );
    }
  }

  /** The report of a job whose steps succeeded: after the stage's `verify`, when it has one. */
  async #verified(): Promise<JobReport> {
    const { verify } = this.scope.settings;
    if (!verify) return this.#report('success', null);
    const v = await verifyHost(this.job.host, verify, {
      ...this.#attemptScope(this.#attempts),
      runSignal: this.scope.runSignal,
    });
    this.#verify = v.report;
    this.#exitCode = v.exitCode;
    if (v.report.result === 'success') return this.#report('success', null);
    if (v.report.result === 'cancelled') return this.#report('cancelled', v.error, 'cancelled');
    return this.#report('failure', v.error, 'verify');
  }

  #attemptScope(attempt: number) {
    const { scope } = this;
    return {
      transport: scope.transport,
      stage: scope.stage,
      runner: scope.runner,
      release: scope.release,
      attempt,
      vars: scope.vars,
      env: scope.env,
      emit: scope.emit,
      onLine: (line: string) => this.#tail.push(line),
    };
  }

  async #attempt(attempt: number): Promise<Outcome> {
    const { scope } = this;
    this.#attempts = attempt;
    // The tail spans attempts: a divider keeps one attempt's output from running into the next's.
    if (attempt > 1) this.#tail.push(attemptDivider(attempt));
    scope.emit({ type: 'job-start', stage: scope.stage, host: this.#host, attempt });
    const timed = attemptSignal(scope.runSignal, scope.settings.timeoutMs);
    const driver = new JobAttempt({
      ...this.#attemptScope(attempt),
      signal: timed.signal,
      uploadSnapshot: snapshotOf(scope),
    });
    try {
      const outcome = await driver.run(this.job);
      if (outcome.kind === 'err') throw new JobFailedError(outcome.reason);
      return outcome;
    } catch (error) {
      throw new AttemptFailure(error);
    } finally {
      this.#exitCode = driver.exitCode;
      this.#uploads = driver.uploads;
      this.#step = driver.failedStep;
      if (driver.release) this.#release = joinMoves(this.#release, driver.release);
      timed.dispose();
    }
  }

  /**
   * The backoff wait lives here, not in p-retry, so the job-retry event states the real delay and a
   * cancel during the wait ends the job at once.
   */
  async #retryAfterWait({ error, attemptNumber }: { error: Error; attemptNumber: number }): Promise<boolean> {
    const { runSignal, settings, emit, stage } = this.scope;
    const cause = error instanceof AttemptFailure ? error.error : error;
    if (runSignal.aborted || !isRetryable(cause)) return false;
    const delayMs = retryDelay(settings.retryDelayMs, attemptNumber);
    emit({
      type: 'job-retry',
      stage,
      host: this.#host,
      attempt: attemptNumber,
      error: errorMessage(cause),
      delayMs,
    });
    try {
      await sleep(delayMs, runSignal);
      return true;
    } catch {
      return false;
    }
  }

  #report(result: JobResult, error: string | null, errorKind?: string): JobReport {
    return {
      host: this.#host,
      result,
      attempts: this.#attempts,
      durationMs: Math.round(performance.now() - this.#started),
      startedAtMs: this.#startedAtMs,
      exitCode: this.#exitCode,
      error,
      ...(result === 'failure' && this.#step ? { step: this.#step } : {}),
      outputTail: this.#tail.toString(),
      ...(this.#uploads ? { uploads: this.#uploads } : {}),
      ...(this.#release ? { release: this.#release } : {}),
      ...(errorKind ? { errorKind } : {}),
      ...(this.#verify ? { verify: this.#verify } : {}),
    };
  }
}

const snapshots = new WeakMap<JobScope, string>();

/**
 * The stage's upload snapshot token: every job of one stage run shares its scope object, so the
 * stage's uploads of one source read and pack it once.
 */
function snapshotOf(scope: JobScope): string {
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
