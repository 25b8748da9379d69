/**
 * Runs one stage: selects its jobs, runs the canary alone, then the rest in waves through a pool,
 * counting failures against the budget; reports every selected job, started or not.
 */
import pLimit from 'p-limit';
import { errorMessage } from '../contract/errors.js';
import type { Transport } from '../contract/transport.js';
import { cancelMessage, untilAborted } from '../contract/abort.js';
import type { EventListener } from './events.js';
import { FailureBudget } from './failure-budget.js';
import { collect } from './iterate.js';
import { isJob, type Job } from './job.js';
import { runJob, type JobScope } from './run-job.js';
import { unfinishedJob, type JobReport, type StageReport } from './report.js';
import type { Stage, StageContext } from './stage.js';
import { selectJobs, type JobSelection } from './job-selection.js';
import { sliceStage } from './sharding.js';
import { waveSizes } from './waves.js';

export interface StageScope {
  readonly transport: Transport;
  /** The run's cancellation: aborted with a CancelledError. */
  readonly runSignal: AbortSignal;
  readonly emit: EventListener;
  readonly outputTailBytes: number;
  readonly selection: JobSelection;
  /** 1-based position of the stage, and the runner's stage count when known. */
  readonly index: number;
  readonly total: number | null;
}

export interface StageOutcome {
  readonly report: StageReport;
  /** The run must not go on: the stage failed without `can-fail`, its canary failed, or it was cancelled. */
  readonly stopsRun: boolean;
}

/** Why jobs that never started were not run; the first cause wins. */
type Halt = { readonly result: 'skipped' | 'cancelled'; readonly error: string };

/** Why a stage failed; the cause decides whether `can-fail` may tolerate it. */
interface StageFailure {
  readonly cause: 'cancelled' | 'canary' | 'budget' | 'jobs';
  /** One line: `canary web-1 failed: exit code 1`. */
  readonly reason: string;
}

export async function runStage(stage: Stage, ctx: StageContext, scope: StageScope): Promise<StageOutcome> {
  const started = performance.now();
  const listed = await listJobs(stage, ctx, scope.runSignal);
  if ('failure' in listed) {
    emitStart(stage, scope, [], null);
    return finish(stage, started, scope, { canary: null, canaryLeftOut: null }, [], listed.failure);
  }
  const selected = selectJobs(listed.jobs, scope.selection);
  const { jobs, canary, canaryLeftOut, emptyBecause } = sliceStage(
    selected,
    stage.settings.canary,
    scope.selection.part,
  );
  const shape = { canary: canary?.host.name ?? null, canaryLeftOut };
  emitStart(stage, scope, jobs, canary);
  if (jobs.length === 0) {
    const why =
      emptyBecause ?? (listed.jobs.length === 0 ? 'it yielded no jobs' : 'the hosts filter left no jobs');
    scope.emit({ type: 'warning', stage: stage.name, message: `stage "${stage.name}" skipped: ${why}` });
    return finish(stage, started, scope, shape, [], null);
  }
  connectAhead(scope, jobs);
  const waves = new StageWaves(stage, ctx, scope, jobs, canary !== null);
  const reports = await waves.run();
  return finish(stage, started, scope, shape, reports, waves.failure(reports));
}

/** The stage's jobs, or why it has none to run: they could not be listed, or the run was cancelled. */
async function listJobs(
  stage: Stage,
  ctx: StageContext,
  runSignal: AbortSignal,
): Promise<{ jobs: Job[] } | { failure: StageFailure }> {
  try {
    const jobs = await untilAborted(collect(stage.jobs(ctx)), runSignal);
    const stray = jobs.findIndex((j) => !isJob(j));
    if (stray >= 0) throw new TypeError(`expected Job objects, got ${String(jobs[stray])}`);
    return { jobs };
  } catch (error) {
    return {
      failure: runSignal.aborted
        ? { cause: 'cancelled', reason: cancelMessage(runSignal) }
        : { cause: 'jobs', reason: `could not list its jobs: ${errorMessage(error)}` },
    };
  }
}

function emitStart(stage: Stage, scope: StageScope, jobs: readonly Job[], canary: Job | null): void {
  scope.emit({
    type: 'stage-start',
    stage: stage.name,
    index: scope.index,
    total: scope.total,
    hosts: jobs.map((j) => j.host.name),
    canary: canary?.host.name ?? null,
  });
}

/**
 * A stage's selected jobs at work: the canary alone, then the waves through the pool, counted
 * against the failure budget. A failed canary, an exceeded budget or a cancel halts the stage: no
 * new job starts, and the ones that never did are reported with the halt's reason.
 */
class StageWaves {
  readonly #reports: (JobReport | undefined)[];
  readonly #budget: FailureBudget;
  readonly #jobScope: JobScope;
  #halt: Halt | null = null;
  #canaryFailed = false;

  constructor(
    private readonly stage: Stage,
    ctx: StageContext,
    private readonly scope: StageScope,
    private readonly jobs: readonly Job[],
    private readonly hasCanary: boolean,
  ) {
    this.#reports = new Array<JobReport | undefined>(jobs.length);
    this.#budget = new FailureBudget(stage.settings.maxFailures, jobs.length);
    this.#jobScope = {
      transport: scope.transport,
      runSignal: scope.runSignal,
      stage: stage.name,
      settings: stage.settings,
      runner: ctx.runner,
      release: ctx.release,
      vars: ctx.vars,
      emit: scope.emit,
      outputTailBytes: scope.outputTailBytes,
    };
  }

  /** Runs the waves; every selected job's report, in stage order, the unstarted ones included. */
  async run(): Promise<JobReport[]> {
    const { settings } = this.stage;
    const runSignal = this.scope.runSignal;
    const pool = pLimit(settings.parallel ? settings.poolSize : 1);
    let next = 0;
    // The canary is this part's own: a shard has none, whatever the stage says.
    for (const size of waveSizes({ canary: this.hasCanary, batch: settings.batch }, this.jobs.length)) {
      // A wave starts only when the previous one finished within the budget.
      if (this.#halt || runSignal.aborted) break;
      const wave = Array.from({ length: size }, (_, k) => next + k);
      next += size;
      await Promise.all(wave.map((i) => pool(() => this.#start(i))));
    }
    return this.#reportAll();
  }

  /** Why the stage failed, from its jobs' reports; null when it did not. */
  failure(jobs: readonly JobReport[]): StageFailure | null {
    const runSignal = this.scope.runSignal;
    const cancelled = jobs.find((j) => j.result === 'cancelled');
    if (cancelled) {
      return {
        cause: 'cancelled',
        reason: runSignal.aborted ? cancelMessage(runSignal) : (cancelled.error ?? 'cancelled'),
      };
    }
    if (this.#canaryFailed) {
      const c = jobs[0] as JobReport;
      return { cause: 'canary', reason: `canary ${c.host} failed: ${c.error ?? 'failed'}` };
    }
    if (this.#budget.exceeded) return { cause: 'budget', reason: this.#budget.describe() };
    return null;
  }

  /**
   * A job checks for a halt when its pool slot comes up, not when it was queued: that is what makes
   * "no new job starts" hold for jobs already waiting in the pool.
   */
  async #start(i: number): Promise<void> {
    const runSignal = this.scope.runSignal;
    if (runSignal.aborted) this.#haltOnce({ result: 'cancelled', error: cancelMessage(runSignal) });
    if (this.#halt) return;
    const report = await runJob(this.jobs[i] as Job, this.#jobScope);
    this.#reports[i] = report;
    if (report.result === 'failure') this.#budget.recordFailure(report.host);
    this.scope.emit({ type: 'job-end', stage: this.stage.name, job: report });
    if (i === 0 && this.hasCanary && report.result === 'failure') {
      this.#canaryFailed = true;
      this.#haltOnce({ result: 'skipped', error: `canary ${report.host} failed` });
    } else if (this.#budget.exceeded) {
      this.#haltOnce({ result: 'skipped', error: `failure budget exceeded: ${this.#budget.describe()}` });
    }
  }

  #haltOnce(halt: Halt): void {
    this.#halt ??= halt;
  }

  /** The reports, with one (and a `job-end`) for each job that never started. */
  #reportAll(): JobReport[] {
    // Without a halt, jobs are left only when a cancel came between two waves.
    const notStarted = this.#halt ?? { result: 'cancelled', error: cancelMessage(this.scope.runSignal) };
    return this.jobs.map((job, i) => {
      const existing = this.#reports[i];
      if (existing) return existing;
      const report = unfinishedJob(job.host.name, notStarted.result, notStarted.error);
      this.scope.emit({ type: 'job-end', stage: this.stage.name, job: report });
      return report;
    });
  }
}

/**
 * Lets the transport open the stage's connections ahead, so the hosts queued behind the canary do
 * not each pay a handshake when their pool slot comes up. Only a hint: it can never fail the stage.
 */
function connectAhead(scope: StageScope, jobs: readonly Job[]): void {
  if (!scope.transport.connectAhead || scope.runSignal.aborted) return;
  try {
    scope.transport.connectAhead(
      jobs.map((j) => j.host),
      scope.runSignal,
    );
  } catch {
    // A transport that breaks the "must not throw" contract still gets its steps run.
  }
}

/** Builds the report, applies `can-fail`, emits the warning and `stage-end`. */
function finish(
  stage: Stage,
  started: number,
  scope: StageScope,
  shape: { canary: string | null; canaryLeftOut: string | null },
  jobs: JobReport[],
  failure: StageFailure | null,
): StageOutcome {
  const report: StageReport = {
    name: stage.name,
    result: failure ? 'failure' : jobs.length === 0 ? 'skipped' : 'success',
    canary: shape.canary,
    ...(shape.canaryLeftOut ? { canaryLeftOut: shape.canaryLeftOut } : {}),
    jobs,
    durationMs: Math.round(performance.now() - started),
    ...(failure ? { reason: failure.reason } : {}),
  };
  // A failed canary and a cancel stop the run whatever `can-fail` says.
  const tolerated =
    failure !== null && stage.settings.canFail && failure.cause !== 'canary' && failure.cause !== 'cancelled';
  if (tolerated) {
    report.tolerated = true;
    scope.emit({
      type: 'warning',
      stage: stage.name,
      message: `stage "${stage.name}" failed but can-fail lets the run go on: ${failure.reason}`,
    });
  }
  scope.emit({ type: 'stage-end', stage: report, index: scope.index, total: scope.total });
  return { report, stopsRun: failure !== null && !tolerated };
}
