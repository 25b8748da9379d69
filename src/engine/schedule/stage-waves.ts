/**
 * A stage's selected jobs at work: the canary alone, then the waves through the pool, counted
 * against the failure budget, each wave followed by the stage's gate when it has one. A failed
 * canary, a failed gate, an exceeded budget or a cancel halts the stage: no new job starts, and the
 * ones that never did are reported with the halt's reason.
 */
import pLimit from 'p-limit';
import { cancelMessage } from '../../contract/abort.js';
import type { EventListener } from '../report/events.js';
import { FailureBudget } from '../policy/failure-budget.js';
import { runGate } from './gate.js';
import type { Job } from '../model/job.js';
import { unfinishedJob, type JobReport, type WaveReport } from '../report/report.js';
import { runJob, type JobScope } from './run-job.js';
import type { Stage } from '../model/stage.js';

/** Why jobs that never started were not run; the first cause wins. */
type Halt = { readonly result: 'skipped' | 'cancelled'; readonly error: string };

/** Why a stage failed; the cause decides whether `can-fail` may tolerate it. */
export interface StageFailure {
  readonly cause: 'cancelled' | 'canary' | 'gate' | 'budget' | 'jobs';
  /** One line: `canary web-1 failed: exit code 1`. */
  readonly reason: string;
}

export class StageWaves {
  readonly #reports: (JobReport | undefined)[];
  readonly #waves: WaveReport[] = [];
  readonly #budget: FailureBudget;
  readonly #emit: EventListener;
  #halt: Halt | null = null;
  #canaryFailed = false;
  #gateFailed: { wave: WaveReport; error: string } | null = null;

  constructor(
    private readonly stage: Stage,
    private readonly scope: JobScope,
    private readonly jobs: readonly Job[],
    private readonly hasCanary: boolean,
    /** Sizes of the waves, the canary's first. */
    private readonly sizes: readonly number[],
    /** A dry run: no soak before the gates. */
    private readonly dryRun = false,
  ) {
    this.#reports = new Array<JobReport | undefined>(jobs.length);
    this.#budget = new FailureBudget(stage.settings.maxFailures, jobs.length);
    this.#emit = scope.emit;
  }

  /** The waves that started, with their gates. */
  get waves(): WaveReport[] {
    return this.#waves;
  }

  /** Runs the waves; every selected job's report, in stage order, the unstarted ones included. */
  async run(): Promise<JobReport[]> {
    const { settings } = this.stage;
    const runSignal = this.scope.runSignal;
    const pool = pLimit(settings.parallel ? settings.poolSize : 1);
    let next = 0;
    for (const size of this.sizes) {
      // A wave starts only when the previous one (and its gate) finished within the budget.
      if (this.#halt || runSignal.aborted) break;
      const members = Array.from({ length: size }, (_, k) => next + k);
      next += size;
      await Promise.all(members.map((i) => pool(() => this.#start(i))));
      await this.#endWave(members);
    }
    return this.#reportAll();
  }

  /** Why the stage failed, from its jobs' reports and its gates; null when it did not. */
  failure(jobs: readonly JobReport[]): StageFailure | null {
    const runSignal = this.scope.runSignal;
    const cancelled = jobs.find((j) => j.result === 'cancelled');
    const gateCancelled = this.#waves.some((w) => w.gate?.result === 'cancelled');
    if (cancelled || gateCancelled) {
      return {
        cause: 'cancelled',
        reason: runSignal.aborted ? cancelMessage(runSignal) : (cancelled?.error ?? 'cancelled'),
      };
    }
    if (this.#canaryFailed) {
      const c = jobs[0] as JobReport;
      return { cause: 'canary', reason: `canary ${c.host} failed: ${c.error ?? 'failed'}` };
    }
    if (this.#budget.exceeded) return { cause: 'budget', reason: this.#budget.describe() };
    if (this.#gateFailed) {
      const { wave, error } = this.#gateFailed;
      return { cause: 'gate', reason: `gate after wave ${wave.index} failed: ${error}` };
    }
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
    const report = await runJob(this.jobs[i] as Job, this.scope);
    this.#reports[i] = report;
    if (report.result === 'failure') this.#budget.recordFailure(report.host);
    this.#emit({ type: 'job-end', stage: this.stage.name, job: report });
    if (i === 0 && this.hasCanary && report.result === 'failure') {
      this.#canaryFailed = true;
      this.#haltOnce({ result: 'skipped', error: `canary ${report.host} failed` });
    } else if (this.#budget.exceeded) {
      this.#haltOnce({ result: 'skipped', error: `failure budget exceeded: ${this.#budget.describe()}` });
    }
  }

  /**
   * Records a wave whose jobs all ended, and runs the gate after it unless the wave already halted
   * the stage (a failed gate then halts it like a failed canary).
   */
  async #endWave(members: readonly number[]): Promise<void> {
    // Jobs a halt kept from starting are not part of the wave: it is what ran.
    const started = members.filter((i) => this.#reports[i] !== undefined);
    if (started.length === 0) return;
    const wave: WaveReport = {
      index: this.#waves.length + 1,
      hosts: started.map((i) => (this.jobs[i] as Job).host.name),
      gate: null,
    };
    this.#waves.push(wave);
    const { gate } = this.stage.settings;
    if (gate && !this.#halt && !this.scope.runSignal.aborted) {
      wave.gate = await runGate(gate, wave, this.scope, { soak: !this.dryRun });
      if (wave.gate.result === 'failure') {
        const error = wave.gate.error ?? 'failed';
        this.#gateFailed = { wave, error };
        this.#haltOnce({ result: 'skipped', error: `gate after wave ${wave.index} failed` });
      }
    }
    this.#emit({ type: 'wave-end', stage: this.stage.name, wave, total: this.sizes.length });
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
      this.#emit({ type: 'job-end', stage: this.stage.name, job: report });
      return report;
    });
  }
}
