/**
 * Runs one stage: selects its jobs, runs the canary alone, then the rest in waves through a pool
 * (stage-waves.ts), counting failures against the budget; reports every selected job, started or not.
 */
import { errorMessage } from '../../contract/errors.js';
import type { Transport } from '../../contract/transport.js';
import { cancelMessage, untilAborted } from '../../contract/abort.js';
import type { EventListener } from '../report/events.js';
import { collect } from './iterate.js';
import { isJob, type Job } from '../model/job.js';
import { epochMs, type JobReport, type StageReport, type WaveReport } from '../report/report.js';
import type { Stage, StageContext } from '../model/stage.js';
import { selectJobs, type JobSelection } from '../policy/job-selection.js';
import { StageWaves, type StageFailure } from './stage-waves.js';
import { canaryAheadOfItsShard, sliceStage } from '../policy/sharding.js';
import { inStageOrder, leaveBehind, type LeftBehind } from '../policy/left-behind.js';
import { waveSizes } from '../policy/waves.js';

export interface StageScope {
  readonly transport: Transport;
  /**
   * The run's cancellation, aborted with a CancelledError; for a stage on the way out, the signal
   * that aborts when the cancel budget ran out.
   */
  readonly runSignal: AbortSignal;
  /** BW_RESULT, BW_FAILED_STAGE, BW_FAILED_HOSTS: the run so far, for every job of the stage. */
  readonly env: Readonly<Record<string, string>>;
  readonly emit: EventListener;
  readonly outputTailBytes: number;
  readonly selection: JobSelection;
  /**
   * In the canary part, on the release's way: the hosts whose jobs earlier stages left to the
   * shards (host → stage), so a canary that would run ahead of its own earlier stage is refused.
   */
  readonly leftToShards?: Map<string, string> | undefined;
  /** Hosts left behind by earlier stages: their jobs here are `skipped`. Absent: every host runs. */
  readonly leftBehind?: ReadonlyMap<string, LeftBehind> | undefined;
  /** A dry run: gates do not wait out their soak. */
  readonly dryRun: boolean;
  /** 1-based position of the stage, and the runner's stage count when known. */
  readonly index: number;
  readonly total: number | null;
}

export interface StageOutcome {
  readonly report: StageReport;
  /** The run must not go on: the stage failed without `can-fail`, its canary failed, or it was cancelled. */
  readonly stopsRun: boolean;
}

export async function runStage(stage: Stage, ctx: StageContext, scope: StageScope): Promise<StageOutcome> {
  const started = performance.now();
  const startedAtMs = epochMs();
  const listed = await listJobs(stage, ctx, scope.runSignal);
  if ('failure' in listed) {
    emitStart(stage, scope, [], null, []);
    return finish(stage, { started, startedAtMs }, scope, {
      canary: null,
      jobs: [],
      failure: listed.failure,
    });
  }
  const selected = selectJobs(listed.jobs, scope.selection);
  // A stage that reads for every part (inEveryPart) runs on the run's whole selection in each.
  const part = stage.settings.inEveryPart ? undefined : scope.selection.part;
  const whole = sliceStage(selected, stage.settings.canary, part, scope.selection.runHosts);
  const out = leaveBehind(whole, scope.leftBehind, stage.settings.canary, part);
  const { jobs, canary, canaryLeftOut, emptyBecause, shards } = out.slice;
  const ahead =
    scope.leftToShards && !stage.settings.inEveryPart
      ? canaryAheadOfItsShard(stage.name, selected, canary, scope.leftToShards)
      : null;
  if (ahead) {
    emitStart(stage, scope, [], null, []);
    return finish(stage, { started, startedAtMs }, scope, {
      canary: null,
      jobs: [],
      failure: { cause: 'canary', reason: ahead },
    });
  }
  // The canary is this part's own: a shard has none, whatever the stage says.
  const sizes = waveSizes({ canary: canary !== null, batch: stage.settings.batch }, jobs.length);
  emitStart(stage, scope, whole.jobs, canary, sizes);
  for (const report of out.skipped.values()) scope.emit({ type: 'job-end', stage: stage.name, job: report });
  if (jobs.length === 0) {
    const why =
      emptyBecause ??
      (out.skipped.size > 0
        ? 'every host was left behind by an earlier stage'
        : listed.jobs.length === 0
          ? 'it yielded no jobs'
          : 'the hosts filter left no jobs');
    scope.emit({ type: 'warning', stage: stage.name, message: `stage "${stage.name}" skipped: ${why}` });
    const skipped = [...out.skipped.values()];
    const reason = skipped.length > 0 ? why : undefined;
    return finish(stage, { started, startedAtMs }, scope, {
      canary: null,
      canaryLeftOut,
      shards,
      jobs: skipped,
      failure: null,
      reason,
    });
  }
  if (stage.settings.gate && listed.jobs.length === 1) {
    // Allowed (the gate runs once, after the job), but a gate is for waves: likely a misunderstanding.
    scope.emit({
      type: 'warning',
      stage: stage.name,
      message: `stage "${stage.name}" has one job, so its gate runs once, after it; verify checks each host until it passes`,
    });
  }
  connectAhead(scope, jobs);
  const waves = new StageWaves(
    stage,
    jobScope(stage, ctx, scope),
    jobs,
    canary !== null,
    sizes,
    scope.dryRun,
  );
  const reports = inStageOrder(whole.jobs, await waves.run(), out);
  return finish(stage, { started, startedAtMs }, scope, {
    canary: canary?.host.name ?? null,
    canaryLeftOut,
    shards,
    jobs: reports,
    failure: waves.failure(reports),
    waves: waves.waves,
  });
}

function jobScope(stage: Stage, ctx: StageContext, scope: StageScope) {
  return {
    transport: scope.transport,
    runSignal: scope.runSignal,
    stage: stage.name,
    settings: stage.settings,
    runner: ctx.runner,
    release: ctx.release,
    vars: ctx.vars,
    env: scope.env,
    emit: scope.emit,
    outputTailBytes: scope.outputTailBytes,
  };
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

function emitStart(
  stage: Stage,
  scope: StageScope,
  jobs: readonly Job[],
  canary: Job | null,
  waves: number[],
): void {
  scope.emit({
    type: 'stage-start',
    stage: stage.name,
    index: scope.index,
    total: scope.total,
    hosts: jobs.map((j) => j.host.name),
    canary: canary?.host.name ?? null,
    when: stage.settings.when,
    gate: stage.settings.gate !== null,
    waves,
  });
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

/** What became of a stage's jobs. */
interface Ran {
  readonly canary: string | null;
  /** In a shard: the stage's canary, which the canary-only part runs. */
  readonly canaryLeftOut?: string | null;
  /** In a shard: the hosts of every shard of the stage. */
  readonly shards?: string[][] | undefined;
  readonly jobs: JobReport[];
  readonly failure: StageFailure | null;
  readonly waves?: WaveReport[];
  /** Why a stage that ran no job did not, when it says so in its report. */
  readonly reason?: string | undefined;
}

/**
 * Builds the report, applies `can-fail` (and the rule that a stage on the way out never stops the
 * run), emits the warning and `stage-end`.
 */
function finish(
  stage: Stage,
  { started, startedAtMs }: { started: number; startedAtMs: number },
  scope: StageScope,
  ran: Ran,
): StageOutcome {
  const { failure, jobs } = ran;
  const { when, gate, canFail } = stage.settings;
  const report: StageReport = {
    name: stage.name,
    result: failure ? 'failure' : jobs.length === 0 || ran.reason !== undefined ? 'skipped' : 'success',
    canary: ran.canary,
    ...(ran.canaryLeftOut ? { canaryLeftOut: ran.canaryLeftOut } : {}),
    ...(ran.shards ? { shards: ran.shards } : {}),
    jobs,
    durationMs: Math.round(performance.now() - started),
    startedAtMs,
    ...(failure ? { reason: failure.reason } : ran.reason ? { reason: ran.reason } : {}),
    when,
    ...(ran.waves ? { waves: ran.waves } : {}),
    ...(gate ? { gate: true } : {}),
  };
  if (failure && when !== 'success') {
    // On the way out a failure is only a warning: the run's result is already decided.
    report.tolerated = true;
    scope.emit({
      type: 'warning',
      stage: stage.name,
      message: `stage "${stage.name}" (when: ${when}) failed, which does not change the result: ${failure.reason}`,
    });
    scope.emit({ type: 'stage-end', stage: report, index: scope.index, total: scope.total });
    return { report, stopsRun: false };
  }
  // A failed canary, a failed gate and a cancel stop the run whatever `can-fail` says.
  const tolerated =
    failure !== null &&
    canFail &&
    failure.cause !== 'canary' &&
    failure.cause !== 'gate' &&
    failure.cause !== 'cancelled';
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
