import type { EngineEvent } from '../engine/report/events.js';
import type { RunPart } from '../engine/report/run-part.js';
import {
  unfinishedJob,
  type JobReport,
  type RunReport,
  type StageReport,
  type StageWhen,
  type WaveReport,
} from '../engine/report/report.js';

interface OpenStage {
  name: string;
  hosts: string[];
  canary: string | null;
  when: StageWhen;
  gate: boolean;
  startedAt: number;
  jobs: Map<string, JobReport>;
  attempts: Map<string, number>;
  /** The step each host last started. */
  steps: Map<string, string>;
  waves: WaveReport[];
}

/**
 * Rebuilds the run's report from its events, so that a cancelled run whose engine has not
 * returned in time (a command that ignores its signal, a socket that will not close) can still be
 * reported: a job that had not ended counts as cancelled, or, in a stage on the way out (which the
 * cancel does not stop: an undo, say), as `unknown`: it may well have finished on its host.
 */
export class PartialReport {
  #runner: string;
  #release = '';
  #startedAt = new Date();
  #part: RunPart | undefined;
  #stages: StageReport[] = [];
  #warnings: string[] = [];
  #open: OpenStage | undefined;
  #final: RunReport | undefined;

  constructor(
    runner: string,
    private readonly now: () => number = Date.now,
  ) {
    this.#runner = runner;
  }

  readonly onEvent = (e: EngineEvent): void => {
    switch (e.type) {
      case 'run-start':
        this.#runner = e.runner;
        this.#release = e.release;
        this.#startedAt = new Date(e.startedAt);
        this.#part = e.part;
        return;
      case 'stage-start':
        this.#open = {
          name: e.stage,
          hosts: e.hosts,
          canary: e.canary,
          when: e.when,
          gate: e.gate,
          startedAt: this.now(),
          jobs: new Map(),
          attempts: new Map(),
          steps: new Map(),
          waves: [],
        };
        return;
      case 'wave-end':
        this.#open?.waves.push(e.wave);
        return;
      case 'warning':
        this.#warnings.push(e.host ? `${e.host}: ${e.message}` : e.message);
        return;
      case 'job-start':
        this.#open?.attempts.set(e.host, e.attempt);
        return;
      case 'step-start':
        this.#open?.steps.set(e.host, e.label);
        return;
      case 'job-end':
        this.#open?.jobs.set(e.job.host, e.job);
        return;
      case 'stage-end':
        this.#stages.push(e.stage);
        this.#open = undefined;
        return;
      case 'run-end':
        this.#final = e.report;
        return;
      default:
        return;
    }
  };

  /**
   * The engine's own report when it finished, else the run as far as the events tell: `cancelled`
   * (the engine did not return in time) or `failure` (it threw).
   */
  snapshot(reason: string, result: 'cancelled' | 'failure' = 'cancelled'): RunReport {
    if (this.#final) return this.#final;
    const stages = [...this.#stages];
    const open = this.#open;
    if (open) {
      const jobs = open.hosts.map((host) => open.jobs.get(host) ?? this.#unfinished(open, host, reason));
      const unknown = jobs.some((j) => j.result === 'unknown') && !jobs.some((j) => j.result === 'failure');
      stages.push({
        name: open.name,
        result: unknown ? 'unknown' : 'failure',
        canary: open.canary,
        jobs,
        durationMs: this.now() - open.startedAt,
        when: open.when,
        waves: open.waves,
        ...(open.gate ? { gate: true } : {}),
        // On the way out a stage cut short is a warning, as when the engine reports it.
        ...(open.when === 'success' || unknown ? {} : { tolerated: true }),
      });
    }
    return {
      version: 1,
      runner: this.#runner,
      release: this.#release,
      result,
      startedAt: this.#startedAt.toISOString(),
      durationMs: Math.max(0, this.now() - this.#startedAt.getTime()),
      stages,
      reason,
      warnings: [...this.#warnings],
      ...(this.#part ? { part: this.#part } : {}),
    };
  }

  /** A job of the open stage without a `job-end`: cancelled, or not known on the way out. */
  #unfinished(open: OpenStage, host: string, reason: string): JobReport {
    const attempts = open.attempts.get(host) ?? 0;
    if (open.when === 'success' || attempts === 0) return unfinishedJob(host, 'cancelled', reason, attempts);
    const step = open.steps.get(host);
    const at = step === undefined ? '' : ` at step "${step}"`;
    const why = `not known: still running${at} when the run stopped waiting for it (${reason}); look at the host`;
    return unfinishedJob(host, 'unknown', why, attempts);
  }
}
