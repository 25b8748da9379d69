import type { Host } from '../contract/host.js';
import type { Job } from './job.js';
import type { StageReport } from './report.js';

/** A count, or a share of the stage's jobs (`{ percent: 25 }`, rounded up). */
export type Amount = number | { readonly percent: number };

export interface StageContext {
  readonly runner: string;
  readonly release: string;
  readonly vars: Readonly<Record<string, string>>;
  /** Reports of the stages that already ran, in order. */
  readonly previous: readonly StageReport[];
}

export interface StageOptions {
  name: string;
  /** Run the first job alone; if it fails no other job starts and the run stops. Default true. */
  canary?: boolean;
  /** Run the other jobs in a pool of `poolSize`; false = one after another. Default true. */
  parallel?: boolean;
  /** Default 10. */
  poolSize?: number;
  /** Waves after the canary; the last size repeats. Default: none (a plain pool). */
  batch?: readonly Amount[];
  /** The stage fails when failures exceed this. Default 0. */
  maxFailures?: Amount;
  /** A failed stage does not stop the run (a failed canary still does). Default false. */
  canFail?: boolean;
  /** Extra attempts per job. Default 0. */
  retries?: number;
  /** Backoff base between attempts, ms. Default 1000. */
  retryDelayMs?: number;
  /** Per-attempt timeout, ms. Default: none. */
  timeoutMs?: number;
  /** The jobs of this stage. Alternatively subclass Stage and override `jobs`. */
  jobs?: (ctx: StageContext) => Iterable<Job> | AsyncIterable<Job>;
}

export interface StageSettings {
  readonly canary: boolean;
  readonly parallel: boolean;
  readonly poolSize: number;
  readonly batch: readonly Amount[];
  readonly maxFailures: Amount;
  readonly canFail: boolean;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly timeoutMs: number | undefined;
}

/** Yields jobs (usually one per host) and decides how they run. */
export class Stage {
  readonly name: string;
  readonly settings: StageSettings;
  readonly #jobs: StageOptions['jobs'];

  constructor(opts: StageOptions) {
    this.name = opts.name;
    this.#jobs = opts.jobs;
    this.settings = Object.freeze({
      canary: opts.canary ?? true,
      parallel: opts.parallel ?? true,
      poolSize: opts.poolSize ?? 10,
      batch: opts.batch ?? [],
      maxFailures: opts.maxFailures ?? 0,
      canFail: opts.canFail ?? false,
      retries: opts.retries ?? 0,
      retryDelayMs: opts.retryDelayMs ?? 1000,
      timeoutMs: opts.timeoutMs,
    });
    checkSettings(this.name, this.settings);
  }

  jobs(ctx: StageContext): Iterable<Job> | AsyncIterable<Job> {
    return this.#jobs ? this.#jobs(ctx) : [];
  }

  /** One job per host. */
  static forHosts(
    opts: Omit<StageOptions, 'jobs'> & { hosts: readonly Host[]; job: (host: Host) => Job },
  ): Stage {
    const { hosts, job, ...rest } = opts;
    return new Stage({ ...rest, jobs: () => hosts.map(job) });
  }
}

/**
 * Library users build stages by hand; catch nonsense here with the value quoted, rather than as a
 * hang (poolSize 0) or a silent no-op (retries -1) later. The YAML config is validated before this.
 */
function checkSettings(stage: string, s: StageSettings): void {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new TypeError(
      `stage "${stage}": ${field} must be ${expected}, got ${JSON.stringify(got) ?? String(got)}`,
    );
  };
  const isInt = (n: unknown, min: number): boolean => Number.isInteger(n) && (n as number) >= min;
  // `positive`: batch sizes must move the release forward; a zero failure budget is the default.
  const isAmount = (a: Amount, positive: boolean): boolean =>
    typeof a === 'number'
      ? isInt(a, positive ? 1 : 0)
      : typeof a === 'object' &&
        a !== null &&
        Number.isFinite(a.percent) &&
        (positive ? a.percent > 0 : a.percent >= 0) &&
        a.percent <= 100;
  if (!isInt(s.poolSize, 1)) bad('poolSize', 'a positive integer', s.poolSize);
  if (!isInt(s.retries, 0)) bad('retries', 'a non-negative integer', s.retries);
  if (!(Number.isFinite(s.retryDelayMs) && s.retryDelayMs >= 0))
    bad('retryDelayMs', 'a non-negative number', s.retryDelayMs);
  if (s.timeoutMs !== undefined && !(Number.isFinite(s.timeoutMs) && s.timeoutMs > 0)) {
    bad('timeoutMs', 'a positive number', s.timeoutMs);
  }
  if (!isAmount(s.maxFailures, false))
    bad('maxFailures', 'a non-negative integer or { percent: 0..100 }', s.maxFailures);
  if (!Array.isArray(s.batch)) bad('batch', 'an array', s.batch);
  for (const b of s.batch)
    if (!isAmount(b, true)) bad('batch', 'positive integers or { percent: 1..100 }', s.batch);
}
