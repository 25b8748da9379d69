/**
 * The runner's stages, pulled one at a time, each run or skipped by its `when` (rules in
 * policy/way-out.ts). The stages that run while the release succeeds decide its result; the stages on the
 * way out run under a signal of their own, which a cancel does not abort but bounds.
 */
import { cancelMessage, untilAborted } from '../../contract/abort.js';
import { errorMessage } from '../../contract/errors.js';
import type { Transport } from '../../contract/transport.js';
import type { EventListener } from '../report/events.js';
import { iteratorOf } from './iterate.js';
import type { JobSelection } from '../policy/job-selection.js';
import { hostsLeftBehind, type LeftBehind } from '../policy/left-behind.js';
import type { RunReport, StageReport } from '../report/report.js';
import type { RunContext, Runner } from '../model/runner.js';
import { runStage } from './run-stage.js';
import type { Stage } from '../model/stage.js';
import { runEnv, runsIn, skipReason } from '../policy/way-out.js';

export interface StagesScope {
  readonly transport: Transport;
  readonly emit: EventListener;
  readonly outputTailBytes: number;
  readonly selection: JobSelection;
  /** The run's cancellation. */
  readonly cancel: AbortSignal;
  /** Aborts when the cancel budget ran out: the run signal of the stages on the way out. */
  readonly wayOut: AbortSignal;
  /** A dry run: every stage runs whatever its `when`, so that the plan shows them all. */
  readonly dryRun: boolean;
}

/** Runs the runner's stages into `report` (its stages, result and reason). Never rejects. */
export async function runStages(
  runner: Runner,
  ctx: RunContext,
  report: RunReport,
  scope: StagesScope,
): Promise<void> {
  await new StageSequence(runner, ctx, report, scope).run();
}

class StageSequence {
  #stages: Iterator<Stage> | AsyncIterator<Stage> | undefined;
  /** The stage that failed the run. */
  #failedStage: string | null = null;
  /** Hosts whose job failed in a stage that tolerated it: the later success stages skip them. */
  readonly #leftBehind = new Map<string, LeftBehind>();
  /** In the canary part: hosts whose jobs earlier stages left to the shards (see run-stage.ts). */
  readonly #leftToShards = new Map<string, string>();
  /** The runner is busy in a `next()` we stopped waiting for: it cannot be pulled again. */
  #stuck = false;

  constructor(
    private readonly runner: Runner,
    private readonly ctx: RunContext,
    private readonly report: RunReport,
    private readonly scope: StagesScope,
  ) {}

  async run(): Promise<void> {
    let current: Stage | undefined;
    try {
      this.#stages = iteratorOf(this.runner.stages(this.ctx));
      for (let index = 1; ; index++) {
        this.#noticeCancel();
        current = undefined;
        const stage = await this.#pull();
        if (!stage) return;
        current = stage;
        await this.#runOrSkip(stage, index);
      }
    } catch (error) {
      this.#crashed(error, current);
    } finally {
      await this.#close();
    }
  }

  /** True once the release's result is known: from then on only stages on the way out run. */
  get #decided(): boolean {
    return this.report.result !== 'success';
  }

  #fail(result: 'failure' | 'cancelled', reason: string): void {
    this.report.result = result;
    this.report.reason = reason;
  }

  #noticeCancel(): void {
    if (!this.#decided && this.scope.cancel.aborted)
      this.#fail('cancelled', cancelMessage(this.scope.cancel));
  }

  /** The next stage, or null when there is none (or the runner cannot give one in time). */
  async #pull(): Promise<Stage | null> {
    // Pulled only now: the runner may decide the next stage from the reports so far.
    const signal = this.#decided ? this.scope.wayOut : this.scope.cancel;
    try {
      const next = await untilAborted(Promise.resolve((this.#stages as Iterator<Stage>).next()), signal);
      return next.done ? null : next.value;
    } catch (error) {
      if (!signal.aborted) throw error;
      this.#stuck = true;
      this.#noticeCancel();
      return null;
    }
  }

  async #runOrSkip(stage: Stage, index: number): Promise<void> {
    const { scope } = this;
    const result = this.report.result;
    const { when } = stage.settings;
    if (!scope.dryRun && !runsIn(when, result)) return this.#skip(stage, index);
    const onTheWayOut = when !== 'success';
    const outcome = await runStage(stage, this.ctx, {
      transport: scope.transport,
      runSignal: onTheWayOut ? scope.wayOut : scope.cancel,
      env: runEnv(this.report, this.#failedStage),
      emit: scope.emit,
      outputTailBytes: scope.outputTailBytes,
      selection: scope.selection,
      // Stages on the way out see every host; a library stage may ask to (`runsLeftBehind`).
      leftBehind: onTheWayOut || stage.settings.runsLeftBehind ? undefined : this.#leftBehind,
      leftToShards: scope.selection.part?.kind === 'canary' && !onTheWayOut ? this.#leftToShards : undefined,
      dryRun: scope.dryRun,
      index,
      total: this.runner.stageCount,
    });
    this.report.stages.push(outcome.report);
    // Only a stage that runs while the release succeeds can decide it.
    if (onTheWayOut || result !== 'success') return;
    if (scope.cancel.aborted) {
      this.#fail('cancelled', `${cancelMessage(scope.cancel)} during stage "${stage.name}"`);
    } else if (outcome.stopsRun) {
      this.#failedStage = stage.name;
      this.#fail('failure', `stage "${stage.name}" failed: ${outcome.report.reason}`);
    } else if (!stage.settings.canFail) {
      this.#leaveBehind(outcome.report);
    }
  }

  /** A stage that tolerated failures within its budget: the hosts that failed in it stay where they are. */
  #leaveBehind(report: StageReport): void {
    for (const left of hostsLeftBehind(report)) {
      if (this.#leftBehind.has(left.host)) continue;
      this.#leftBehind.set(left.host, left);
      (this.report.leftBehind ??= []).push(left);
    }
  }

  /** A stage whose `when` does not match: reported `skipped` with the reason, its jobs not even listed. */
  #skip(stage: Stage, index: number): void {
    const report: StageReport = {
      name: stage.name,
      result: 'skipped',
      canary: null,
      jobs: [],
      durationMs: 0,
      reason: skipReason(stage.settings.when, this.report.result, this.#failedStage),
      when: stage.settings.when,
    };
    this.report.stages.push(report);
    this.scope.emit({ type: 'stage-end', stage: report, index, total: this.runner.stageCount });
  }

  #crashed(error: unknown, current: Stage | undefined): void {
    // runStage reports instead of throwing; reaching here with a stage means an engine bug,
    // which still deserves a report and a cleanup rather than a crash.
    const where = current
      ? `stage "${current.name}" crashed`
      : `runner "${this.runner.name}" could not produce its next stage`;
    if (this.#decided) {
      this.scope.emit({ type: 'warning', message: `${where}: ${errorMessage(error)}` });
    } else if (this.scope.cancel.aborted) {
      this.#fail('cancelled', cancelMessage(this.scope.cancel));
    } else {
      this.#fail('failure', `${where}: ${errorMessage(error)}`);
    }
  }

  /**
   * Closes a generator runner so its own `finally` blocks run even when we stop early. A generator
   * stuck in the `next()` we stopped waiting for would queue `return()` behind it, and a cancelled
   * run has no time for it: it is not awaited then. Its errors are the runner's business.
   */
  async #close(): Promise<void> {
    let closing: Promise<unknown>;
    try {
      closing = Promise.resolve(this.#stages?.return?.()).catch(() => {});
    } catch {
      return;
    }
    if (!this.#stuck && !this.scope.cancel.aborted) await closing;
  }
}
