/**
 * Runs one runner: setup, its stages pulled one at a time, cleanup; turns what happened into the
 * RunReport and the event stream. Scheduling inside a stage lives in run-stage.ts.
 */
import { CancelledError, errorMessage } from '../../contract/errors.js';
import type { Transport } from '../../contract/transport.js';
import { cancelMessage, untilAborted } from '../../contract/abort.js';
import { cancellationSignal, wayOutSignal } from './run-signals.js';
import { safeEmitter } from '../report/emitter.js';
import type { EventListener } from '../report/events.js';
import { DEFAULT_OUTPUT_TAIL_BYTES } from '../report/output-tail.js';
import { defaultReleaseId, releaseIdProblem } from '../model/release-id.js';
import type { RunReport } from '../report/report.js';
import type { RunContext, Runner } from '../model/runner.js';
import { runStages } from './run-stages.js';
import type { RunPart } from '../report/run-part.js';
import { runHostsOf, type JobSelection } from '../policy/job-selection.js';

/** How long the stages on the way out may still run after a cancel, by default. */
export const DEFAULT_CANCEL_BUDGET_MS = 2500;

export interface ExecutorOptions {
  /** Executes subtasks; route `local:` hosts and controller commands inside it (see RoutingTransport). */
  transport: Transport;
  /** Cap on jobs per stage, the canary included. Default: no cap. */
  limit?: number;
  /** Only jobs whose host name is in this list run (controller jobs always run). Default: all. */
  hosts?: readonly string[];
  /**
   * Run one part of every stage, when a release is spread over several machines: its canaries
   * alone, or one shard of the rest (see policy/sharding.ts). Default: the whole stage.
   */
  part?: RunPart;
  /** Aborting it cancels the run: no new job starts, running ones are aborted, results `cancelled`. */
  signal?: AbortSignal;
  /** Variables for every job (already merged: config < --var). */
  vars?: Readonly<Record<string, string>>;
  /**
   * Release id (BW_RELEASE): it names a directory on every host, so one that cannot (see
   * `releaseIdProblem`) is refused here. Default: `defaultReleaseId` of the run's start.
   */
  release?: string;
  /** Receives every engine event, synchronously, in order. A listener that throws is ignored. */
  onEvent?: EventListener;
  /** Bytes of output kept per job for the report. Default 64 KiB. */
  outputTailBytes?: number;
  /**
   * After a cancel, the stages on the way out (`when: cancelled | always`, and one already running)
   * still run for this long, counted from the cancel; then they are cancelled too. Default 2500 ms.
   */
  cancelBudgetMs?: number;
  /**
   * The transport runs nothing (a dry run): every stage runs whatever its `when`, so that the plan
   * shows them all, and gates do not wait out their soak. Default false.
   */
  dryRun?: boolean;
}

/** Runs one runner. Never rejects for anything a runner, stage or job does: that goes in the report. */
export class Executor {
  constructor(readonly options: ExecutorOptions) {
    const { limit, outputTailBytes, cancelBudgetMs, part, release } = options;
    if (part) checkPart(part);
    // Checked once here: the release id names a directory on every host (`releases/ID`).
    const problem = release === undefined ? undefined : releaseIdProblem(release);
    if (problem) throw new TypeError(`release: ${problem}`);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
      throw new TypeError(`limit must be a positive integer, got ${String(limit)}`);
    }
    if (outputTailBytes !== undefined && !(Number.isInteger(outputTailBytes) && outputTailBytes > 0)) {
      throw new TypeError(`outputTailBytes must be a positive integer, got ${String(outputTailBytes)}`);
    }
    if (cancelBudgetMs !== undefined && !(Number.isFinite(cancelBudgetMs) && cancelBudgetMs >= 0)) {
      throw new TypeError(`cancelBudgetMs must be a non-negative number, got ${String(cancelBudgetMs)}`);
    }
  }

  async run(runner: Runner): Promise<RunReport> {
    const t0 = performance.now();
    // On the clock the stages' and jobs' start times use (epochMs), so they all fall within the run
    // even when the wall clock has drifted from it since the process started.
    const startedAt = new Date(Math.round(performance.timeOrigin + t0));
    const cancel = cancellationSignal(this.options.signal);
    const wayOut = wayOutSignal(cancel.signal, this.options.cancelBudgetMs ?? DEFAULT_CANCEL_BUDGET_MS);
    const report: RunReport = {
      version: 1,
      runner: runner.name,
      release: this.options.release ?? defaultReleaseId(startedAt),
      result: 'success',
      startedAt: startedAt.toISOString(),
      durationMs: 0,
      stages: [],
      warnings: [],
      ...(this.options.part ? { part: this.options.part } : {}),
    };
    const listener = safeEmitter(this.options.onEvent);
    const emit: EventListener = (e) => {
      if (e.type === 'warning') report.warnings?.push(e.host ? `${e.host}: ${e.message}` : e.message);
      listener(e);
    };
    // `previous` is the live list of stage reports, so a lazy runner sees each stage as it ends.
    const ctx: RunContext = {
      runner: runner.name,
      release: report.release,
      vars: this.options.vars ?? {},
      previous: report.stages,
      signal: cancel.signal,
    };
    const fail = (result: 'failure' | 'cancelled', reason: string): void => {
      report.result = result;
      report.reason = reason;
    };
    emit({
      type: 'run-start',
      runner: report.runner,
      release: report.release,
      startedAt: report.startedAt,
      stageCount: runner.stageCount,
      ...(this.options.part ? { part: this.options.part } : {}),
    });

    try {
      // A run that never got past its setup runs no stage at all, not even those on the way out:
      // setup is where a run takes what it needs first (a deploy lock), and a run that did not get
      // it must touch nothing.
      if (cancel.signal.aborted) fail('cancelled', `${cancelMessage(cancel.signal)} before the first stage`);
      else if (await this.#setup(runner, ctx, fail)) {
        await runStages(runner, ctx, report, {
          transport: this.options.transport,
          emit,
          outputTailBytes: this.options.outputTailBytes ?? DEFAULT_OUTPUT_TAIL_BYTES,
          selection: this.#selection(runner),
          cancel: cancel.signal,
          wayOut: wayOut.signal,
          dryRun: this.options.dryRun ?? false,
        });
      }
    } finally {
      try {
        await runner.cleanup(ctx);
      } catch (error) {
        emit({
          type: 'warning',
          message: `cleanup of runner "${runner.name}" failed: ${errorMessage(error)}`,
        });
      }
      cancel.dispose();
      wayOut.dispose();
    }
    report.durationMs = Math.round(performance.now() - t0);
    emit({ type: 'run-end', report });
    return report;
  }

  /** The hosts filter, the limit and the part, with the run's hosts that decide each host's shard. */
  #selection(runner: Runner): JobSelection {
    const { hosts, limit, part } = this.options;
    const selection = { hosts, limit, part };
    const runHosts = part?.kind === 'shard' && runner.hosts ? runHostsOf(runner.hosts, selection) : undefined;
    return { ...selection, runHosts };
  }

  async #setup(runner: Runner, ctx: RunContext, fail: (r: 'failure' | 'cancelled', why: string) => void) {
    try {
      // Raced with the cancel: a setup that ignores ctx.signal must not hold a cancelled run.
      await untilAborted(Promise.resolve(runner.setup(ctx)), ctx.signal);
      return true;
    } catch (error) {
      if (ctx.signal.aborted) fail('cancelled', `${cancelMessage(ctx.signal)} during setup`);
      else if (error instanceof CancelledError) fail('cancelled', `${error.message} during setup`);
      else fail('failure', `setup of runner "${runner.name}" failed: ${errorMessage(error)}`);
      return false;
    }
  }
}

function checkPart(part: RunPart): void {
  if (part.kind === 'canary') return;
  const { index, count } = part;
  if (!(Number.isInteger(count) && count >= 1 && Number.isInteger(index) && index >= 1 && index <= count)) {
    throw new TypeError(`part: expected shard index 1..count, got ${JSON.stringify(part)}`);
  }
}
