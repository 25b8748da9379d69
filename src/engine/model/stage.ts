import type { Host } from '../../contract/host.js';
import type { Job } from './job.js';
import type { StageReport, StageWhen } from '../report/report.js';
import type { ExecTask } from './subtask.js';

/** A count, or a share of the stage's jobs (`{ percent: 25 }`, rounded up). */
export type Amount = number | { readonly percent: number };

export interface StageContext {
  readonly runner: string;
  readonly release: string;
  readonly vars: Readonly<Record<string, string>>;
  /** Reports of the stages that already ran, in order. */
  readonly previous: readonly StageReport[];
}

export type { StageWhen };

export const STAGE_WHEN: readonly StageWhen[] = Object.freeze(['success', 'failure', 'cancelled', 'always']);

/**
 * A check for `verify` or `gate`: a command (`remote(…)` on the job's host, `local(…)` on the
 * controller), or a job built for the host. It passes when the command exits 0, or the job ends
 * `Ok` or `Skip`.
 */
export type Check = ExecTask | ((host: Host) => Job);

export interface VerifyOptions {
  check: Check;
  /** Give up this long after the first attempt started, ms. Default 30 000. */
  timeoutMs?: number;
  /** Wait between two attempts, ms. Default 1000. */
  intervalMs?: number;
}

export interface GateOptions {
  /** Runs on the controller (its host is `controller`), with BW_WAVE and BW_WAVE_HOSTS in its env. */
  check: Check;
  /** Per run of the gate, ms. Default 60 000. */
  timeoutMs?: number;
  /** Wait after the wave ended, before the gate runs, ms. Default 0. */
  soakMs?: number;
}

export type VerifySettings = Readonly<Required<VerifyOptions>>;
export type GateSettings = Readonly<Required<GateOptions>>;

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
  /**
   * Checked on each host after its steps succeeded, again every `intervalMs` until it passes or
   * `timeoutMs` ends; a host that never passes fails its job (not retried: the check repeats itself).
   */
  verify?: VerifyOptions;
  /**
   * Run once on the controller after each wave (the canary's included), after `soakMs`. A failed
   * gate stops the stage like a failed canary: the rest are skipped and the run stops.
   */
  gate?: GateOptions;
  /** When the stage runs; see StageWhen. Default `success`. */
  when?: StageWhen;
  /**
   * Run this stage's jobs on hosts left behind too: a host whose job failed in an earlier stage
   * that tolerated it (within `maxFailures`, a failed verify included) is otherwise `skipped` in
   * the later stages that run while the release succeeds (`failed at stage "X"`). For a stage that
   * must reach every host whatever happened to it (collect logs, report). Stages on the way out
   * (`when` other than `success`) always see every host. Default false.
   */
  runsLeftBehind?: boolean;
  /**
   * In a release spread over machines (`--canary-only`, `--shard K/N`), run this stage's jobs on
   * every selected host in every part, not only on the part's own: for a stage that changes nothing
   * and whose answer each part needs whole (which release a rollback rolls back). Default false.
   */
  inEveryPart?: boolean;
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
  readonly verify: VerifySettings | null;
  readonly gate: GateSettings | null;
  readonly when: StageWhen;
  readonly runsLeftBehind: boolean;
  readonly inEveryPart: boolean;
}

export const DEFAULT_VERIFY_TIMEOUT_MS = 30_000;
export const DEFAULT_VERIFY_INTERVAL_MS = 1000;
export const DEFAULT_GATE_TIMEOUT_MS = 60_000;

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
      verify: opts.verify
        ? Object.freeze({
            check: opts.verify.check,
            timeoutMs: opts.verify.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS,
            intervalMs: opts.verify.intervalMs ?? DEFAULT_VERIFY_INTERVAL_MS,
          })
        : null,
      gate: opts.gate
        ? Object.freeze({
            check: opts.gate.check,
            timeoutMs: opts.gate.timeoutMs ?? DEFAULT_GATE_TIMEOUT_MS,
            soakMs: opts.gate.soakMs ?? 0,
          })
        : null,
      when: opts.when ?? 'success',
      runsLeftBehind: opts.runsLeftBehind ?? false,
      inEveryPart: opts.inEveryPart ?? false,
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
    // A library user's plain JavaScript: host names where host objects belong would fail only at
    // run time, far from the mistake ("canary undefined failed: no SSH private key…").
    hosts.forEach((host: unknown, i) => {
      const h = host as Partial<Host> | null;
      if (typeof h !== 'object' || h === null || typeof h.name !== 'string' || typeof h.address !== 'string')
        throw new TypeError(
          `stage "${rest.name}": hosts[${i}] must be a host object ({ name, address, port, … }), got ${JSON.stringify(host) ?? String(host)}`,
        );
    });
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
  const isMs = (n: unknown, min: number): boolean => Number.isFinite(n) && (n as number) >= min;
  if (s.verify) {
    if (!isCheck(s.verify.check)) bad('verify.check', CHECK, s.verify.check);
    if (!isMs(s.verify.timeoutMs, 1)) bad('verify.timeoutMs', 'a positive number', s.verify.timeoutMs);
    if (!isMs(s.verify.intervalMs, 0)) bad('verify.intervalMs', 'a non-negative number', s.verify.intervalMs);
  }
  if (s.gate) {
    if (!isCheck(s.gate.check)) bad('gate.check', CHECK, s.gate.check);
    if (!isMs(s.gate.timeoutMs, 1)) bad('gate.timeoutMs', 'a positive number', s.gate.timeoutMs);
    if (!isMs(s.gate.soakMs, 0)) bad('gate.soakMs', 'a non-negative number', s.gate.soakMs);
  }
  if (!STAGE_WHEN.includes(s.when)) bad('when', STAGE_WHEN.map((w) => `"${w}"`).join(', '), s.when);
}

const CHECK = 'a command (remote() or local()) or a function (host) => Job';

function isCheck(check: unknown): boolean {
  return (
    typeof check === 'function' ||
    (typeof check === 'object' && check !== null && (check as { kind?: unknown }).kind === 'exec')
  );
}
