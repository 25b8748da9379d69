/**
 * Runs one runner: setup, its stages pulled one at a time, cleanup; turns what happened into the
 * RunReport and the event stream. Scheduling inside a stage lives in run-stage.ts.
 */
import { CancelledError, errorMessage } from '../contract/errors.js';
import type { Transport } from '../contract/transport.js';
import { cancelMessage, untilAborted } from '../contract/abort.js';
import { cancellationSignal } from './run-signals.js';
import { safeEmitter } from './emitter.js';
import type { EventListener } from './events.js';
import { iteratorOf } from './iterate.js';
import { DEFAULT_OUTPUT_TAIL_BYTES } from './output-tail.js';
import { defaultReleaseId } from './release-id.js';
import type { RunReport } from './report.js';
import type { RunContext, Runner } from './runner.js';
import type { Stage } from './stage.js';
import { runStage } from './run-stage.js';
import type { RunPart } from './run-part.js';

export interface ExecutorOptions {
  /** Executes subtasks; route `local:` hosts and controller commands inside it (see RoutingTransport). */
  transport: Transport;
  /** Cap on jobs per stage, the canary included. Default: no cap. */
  limit?: number;
  /** Only jobs whose host name is in this list run (controller jobs always run). Default: all. */
  hosts?: readonly string[];
  /**
   * Run one part of every stage, when a release is spread over several machines: its canaries
   * alone, or one shard of the rest (see sharding.ts). Default: the whole stage.
   */
  part?: RunPart;
  /** Aborting it cancels the run: no new job starts, running ones are aborted, results `cancelled`. */
  signal?: AbortSignal;
  /** Variables for every job (already merged: config < --var). */
  vars?: Readonly<Record<string, string>>;
  /** Release id (BW_RELEASE). Default: UTC timestamp `YYYYMMDDTHHMMSSZ`. */
  release?: string;
  /** Receives every engine event, synchronously, in order. A listener that throws is ignored. */
  onEvent?: EventListener;
  /** Bytes of output kept per job for the report. Default 64 KiB. */
  outputTailBytes?: number;
}

/** Runs one runner. Never rejects for anything a runner, stage or job does: that goes in the report. */
export class Executor {
  constructor(readonly options: ExecutorOptions) {
    const { limit, outputTailBytes, part } = options;
    if (part) checkPart(part);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
      throw new TypeError(`limit must be a positive integer, got ${String(limit)}`);
    }
    if (outputTailBytes !== undefined && !(Number.isInteger(outputTailBytes) && outputTailBytes > 0)) {
      throw new TypeError(`outputTailBytes must be a positive integer, got ${String(outputTailBytes)}`);
    }
  }

  async run(runner: Runner): Promise<RunReport> {
    const startedAt = new Date();
    const t0 = performance.now();
    const emit = safeEmitter(this.options.onEvent);
    const cancel = cancellationSignal(this.options.signal);
    const report: RunReport = {
      version: 1,
      runner: runner.name,
      release: this.options.release ?? defaultReleaseId(startedAt),
      result: 'success',
      startedAt: startedAt.toISOString(),
      durationMs: 0,
      stages: [],
      ...(this.options.part ? { part: this.options.part } : {}),
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
      if (cancel.signal.aborted) fail('cancelled', `${cancelMessage(cancel.signal)} before the first stage`);
      else if (await this.#setup(runner, ctx, fail)) await this.#stages(runner, ctx, report, fail, emit);
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
    }
    report.durationMs = Math.round(performance.now() - t0);
    emit({ type: 'run-end', report });
    return report;
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

  async #stages(
    runner: Runner,
    ctx: RunContext,
    report: RunReport,
    fail: (r: 'failure' | 'cancelled', why: string) => void,
    emit: EventListener,
  ): Promise<void> {
    const signal = ctx.signal;
    let stages: Iterator<Stage> | AsyncIterator<Stage> | undefined;
    let current: Stage | undefined;
    try {
      stages = iteratorOf(runner.stages(ctx));
      for (let index = 1; ; index++) {
        if (signal.aborted) return fail('cancelled', cancelMessage(signal));
        current = undefined;
        // Pulled only now: the runner may decide the next stage from the reports so far.
        const next = await untilAborted(Promise.resolve(stages.next()), signal);
        if (next.done) return;
        const stage = (current = next.value);
        const outcome = await runStage(stage, ctx, {
          transport: this.options.transport,
          runSignal: signal,
          emit,
          outputTailBytes: this.options.outputTailBytes ?? DEFAULT_OUTPUT_TAIL_BYTES,
          selection: { hosts: this.options.hosts, limit: this.options.limit, part: this.options.part },
          index,
          total: runner.stageCount,
        });
        report.stages.push(outcome.report);
        if (signal.aborted) return fail('cancelled', `${cancelMessage(signal)} during stage "${stage.name}"`);
        if (outcome.stopsRun)
          return fail('failure', `stage "${stage.name}" failed: ${outcome.report.reason}`);
      }
    } catch (error) {
      if (signal.aborted) return fail('cancelled', cancelMessage(signal));
      // runStage reports instead of throwing; reaching here with a stage means an engine bug,
      // which still deserves a report and a cleanup rather than a crash.
      const where = current
        ? `stage "${current.name}" crashed`
        : `runner "${runner.name}" could not produce its next stage`;
      fail('failure', `${where}: ${errorMessage(error)}`);
    } finally {
      await closeQuietly(stages, signal);
    }
  }
}

/**
 * Closes a generator runner so its own `finally` blocks run even when we stop early. After a
 * cancel the generator may be stuck in the `next()` we stopped waiting for; `return()` would queue
 * behind it, so it is not awaited then. Its errors are the runner's business, not the run's.
 */
async function closeQuietly(stages: Iterator<Stage> | AsyncIterator<Stage> | undefined, signal: AbortSignal) {
  let closing: Promise<unknown>;
  try {
    closing = Promise.resolve(stages?.return?.()).catch(() => {});
  } catch {
    return;
  }
  if (!signal.aborted) await closing;
}

function checkPart(part: RunPart): void {
  if (part.kind === 'canary') return;
  const { index, count } = part;
  if (!(Number.isInteger(count) && count >= 1 && Number.isInteger(index) && index >= 1 && index <= count)) {
    throw new TypeError(`part: expected shard index 1..count, got ${JSON.stringify(part)}`);
  }
}
