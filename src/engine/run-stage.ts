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
import { hasCanary, waveSizes } from './waves.js';

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
  const { emit, index, total } = scope;
  const name = stage.name;
  const settings = stage.settings;

  let listed: Job[];
  try {
    listed = await untilAborted(collect(stage.jobs(ctx)), scope.runSignal);
    const stray = listed.findIndex((j) => !isJob(j));
    if (stray >= 0) throw new TypeError(`expected Job objects, got ${String(listed[stray])}`);
  } catch (error) {
    emit({ type: 'stage-start', stage: name, index, total, hosts: [], canary: null });
    const failure: StageFailure = scope.runSignal.aborted
      ? { cause: 'cancelled', reason: cancelMessage(scope.runSignal) }
      : { cause: 'jobs', reason: `could not list its jobs: ${errorMessage(error)}` };
    return finish(stage, started, scope, null, [], failure);
  }
  const jobs = selectJobs(listed, scope.selection);
  const canary = hasCanary(settings, jobs.length) ? (jobs[0] as Job) : null;
  emit({
    type: 'stage-start',
    stage: name,
    index,
    total,
    hosts: jobs.map((j) => j.host.name),
    canary: canary?.host.name ?? null,
  });

  if (jobs.length === 0) {
    const why = listed.length === 0 ? 'it yielded no jobs' : 'the hosts filter left no jobs';
    emit({ type: 'warning', stage: name, message: `stage "${name}" skipped: ${why}` });
    return finish(stage, started, scope, null, [], null);
  }

  preconnect(scope, jobs);

  const reports: (JobReport | undefined)[] = new Array<JobReport | undefined>(jobs.length);
  const budget = new FailureBudget(settings.maxFailures, jobs.length);
  let halt: Halt | null = null;
  let canaryFailed = false;
  const haltOnce = (h: Halt): void => {
    halt ??= h;
  };

  const jobScope: JobScope = {
    transport: scope.transport,
    runSignal: scope.runSignal,
    stage: name,
    settings,
    runner: ctx.runner,
    release: ctx.release,
    vars: ctx.vars,
    emit,
    outputTailBytes: scope.outputTailBytes,
  };

  // A job checks for a halt when its pool slot comes up, not when it was queued: that is what makes
  // "no new job starts" hold for jobs already waiting in the pool.
  const start = async (i: number): Promise<void> => {
    if (scope.runSignal.aborted) haltOnce({ result: 'cancelled', error: cancelMessage(scope.runSignal) });
    if (halt) return;
    const job = jobs[i] as Job;
    const report = await runJob(job, jobScope);
    reports[i] = report;
    if (report.result === 'failure') budget.recordFailure(report.host);
    emit({ type: 'job-end', stage: name, job: report });
    if (i === 0 && canary && report.result === 'failure') {
      canaryFailed = true;
      haltOnce({ result: 'skipped', error: `canary ${report.host} failed` });
    } else if (budget.exceeded) {
      haltOnce({ result: 'skipped', error: `failure budget exceeded: ${budget.describe()}` });
    }
  };

  const pool = pLimit(settings.parallel ? settings.poolSize : 1);
  let next = 0;
  for (const size of waveSizes(settings, jobs.length)) {
    // A wave starts only when the previous one finished within the budget.
    if (halt || scope.runSignal.aborted) break;
    const wave = Array.from({ length: size }, (_, k) => next + k);
    next += size;
    await Promise.all(wave.map((i) => pool(() => start(i))));
  }

  // Without a halt, jobs are left only when a cancel came between two waves.
  const notStarted: Halt = halt ?? { result: 'cancelled', error: cancelMessage(scope.runSignal) };
  const all = jobs.map((job, i) => {
    const existing = reports[i];
    if (existing) return existing;
    const report = unfinishedJob(job.host.name, notStarted.result, notStarted.error);
    emit({ type: 'job-end', stage: name, job: report });
    return report;
  });

  const failure = stageFailure(all, canaryFailed, budget, scope.runSignal);
  return finish(stage, started, scope, canary?.host.name ?? null, all, failure);
}

/**
 * Lets the transport open the stage's connections ahead, so the hosts queued behind the canary do
 * not each pay a handshake when their pool slot comes up. Only a hint: it can never fail the stage.
 */
function preconnect(scope: StageScope, jobs: readonly Job[]): void {
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

function stageFailure(
  jobs: readonly JobReport[],
  canaryFailed: boolean,
  budget: FailureBudget,
  runSignal: AbortSignal,
): StageFailure | null {
  const cancelled = jobs.find((j) => j.result === 'cancelled');
  if (cancelled) {
    return {
      cause: 'cancelled',
      reason: runSignal.aborted ? cancelMessage(runSignal) : (cancelled.error ?? 'cancelled'),
    };
  }
  if (canaryFailed) {
    const c = jobs[0] as JobReport;
    return { cause: 'canary', reason: `canary ${c.host} failed: ${c.error ?? 'failed'}` };
  }
  if (budget.exceeded) return { cause: 'budget', reason: budget.describe() };
  return null;
}

/** Builds the report, applies `can-fail`, emits the warning and `stage-end`. */
function finish(
  stage: Stage,
  started: number,
  scope: StageScope,
  canary: string | null,
  jobs: JobReport[],
  failure: StageFailure | null,
): StageOutcome {
  const report: StageReport = {
    name: stage.name,
    result: failure ? 'failure' : jobs.length === 0 ? 'skipped' : 'success',
    canary,
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
