import type { LockReport } from '../../contract/lock-report.js';
import type { ReleaseMove } from './release-move.js';
import type { RunPart } from './run-part.js';
import type { UploadTotals } from './upload-totals.js';

/** The run's results. `toJsonReport` (src/reporters/json.ts) turns these into the JSON report the README documents. */
export type RunResult = 'success' | 'failure' | 'cancelled';
/** `unknown`: only in a report rebuilt from the events, for a stage on the way out some of whose jobs are `unknown` and none failed. */
export type StageResult = 'success' | 'failure' | 'skipped' | 'unknown';
/**
 * `unknown`: the job was still running when the run stopped waiting for it (a second Ctrl-C, or
 * the cancel's grace period ran out) in a stage on the way out, whose commands the cancel did not
 * stop: what it did on its host is not known. Only a report rebuilt from the events has it.
 */
export type JobResult = 'success' | 'failure' | 'skipped' | 'cancelled' | 'unknown';

/**
 * When a stage runs. `success` (the default): while the release succeeds. The others run on the way
 * out: `failure` once a stage failed the run, `cancelled` once it was cancelled, `always` in every
 * case. Their own failure is a warning; it never changes the run's result.
 */
export type StageWhen = RunResult | 'always';

export interface JobReport {
  host: string;
  result: JobResult;
  attempts: number;
  durationMs: number;
  /** Exit code of the last command the last attempt ran (null when none ran or it had none). */
  exitCode: number | null;
  /** Why it failed, was skipped or cancelled; null on plain success. */
  error: string | null;
  /** A failed job: the step whose command or upload failed (its `name`, or its first line). */
  step?: string;
  /** What the last attempt's uploads shipped, summed; absent when it uploaded nothing. */
  uploads?: UploadTotals;
  /**
   * What its `release: switch`, `rollback` or `undo` steps did to the host's live release (before
   * and after; equal when nothing moved), as the host printed it; absent when the job ran none, or
   * none got to say (a cut connection: not known).
   */
  release?: ReleaseMove;
  /**
   * The last output lines (bounded, ~64 KiB) for summaries, across attempts; each attempt after the
   * first starts with a `── attempt N ──` line. The JSON report keeps the end of a failed job's.
   */
  outputTail: string;
  /** Not in the JSON report: the error class kind (`exit`, `timeout`, `auth`, `verify`, …) when it failed. */
  errorKind?: string;
  /** The stage's `verify` on this host; absent when the stage has none or the job never got to it. */
  verify?: VerifyReport;
  /** When the job started (its first attempt), in ms since the epoch; absent for a job that never started. */
  startedAtMs?: number;
}

/** How a host's `verify` went. */
export interface VerifyReport {
  result: 'success' | 'failure' | 'cancelled';
  /** Checks run, the last one included. */
  attempts: number;
  durationMs: number;
}

/** A wave of a stage's jobs that started (the canary's is wave 1), and the gate after it. */
export interface WaveReport {
  /** 1-based. */
  index: number;
  hosts: string[];
  /** The gate after the wave; null when the stage has none, or the wave ended the stage first. */
  gate: GateReport | null;
}

export interface GateReport {
  result: 'success' | 'failure' | 'cancelled';
  /** The gate's own run, the soak before it excluded. */
  durationMs: number;
  exitCode: number | null;
  error: string | null;
  /** Not in the JSON report: the gate's last output lines. */
  outputTail: string;
  /** When the gate's own run started (after the soak), in ms since the epoch; absent when it never ran. */
  startedAtMs?: number;
}

export interface StageReport {
  name: string;
  result: StageResult;
  /** Host name of the canary job, or null when the stage had no canary. */
  canary: string | null;
  /** In a shard: the stage's canary, left out of it because the canary-only run runs it. */
  canaryLeftOut?: string;
  /** In a shard: the hosts of every shard of the stage (shard K's at index K-1). */
  shards?: string[][];
  jobs: JobReport[];
  durationMs: number;
  /** The stage failed but `can-fail` (or running on the way out) let the run go on. */
  tolerated?: boolean;
  /**
   * Why the stage failed or was skipped, one line (`canary web-1 failed: exit code 1`, `the release
   * failed at stage "Ship"`).
   */
  reason?: string;
  /** When the stage runs (`success` when absent). */
  when?: StageWhen;
  /** The waves that started, with their gates; absent for a stage that ran no job. */
  waves?: WaveReport[];
  /** The stage has a gate. */
  gate?: boolean;
  /** When the stage started, in ms since the epoch; absent for a stage skipped by its `when`. */
  startedAtMs?: number;
}

export interface RunReport {
  version: 1;
  runner: string;
  release: string;
  result: RunResult;
  startedAt: string;
  durationMs: number;
  stages: StageReport[];
  /** Why the run failed, one line. */
  reason?: string;
  /** The engine's warnings, in order: a stage on the way out that failed, a stage left without jobs, … */
  warnings?: string[];
  /** The part of every stage this run ran, when the release was spread over several machines. */
  part?: RunPart;
  /** A report merged from the reports of such parts: their labels (`canary-only`, `shard 1/3`…). */
  mergedFrom?: string[];
  /** The deploy lock of the run, when it had one: set by the release pipeline, not by the engine. */
  lock?: LockReport;
  /**
   * Hosts left on their previous release: their job failed in a stage that tolerated it, so the
   * later stages on the success path skipped them. In order; absent when none.
   */
  leftBehind?: LeftBehind[];
}

/** A host left on its previous release: the stage its job failed in, and why it failed. */
export interface LeftBehind {
  host: string;
  stage: string;
  error: string;
}

/** Now, in ms since the epoch, on the monotonic clock the durations are measured with. */
export function epochMs(): number {
  return Math.round(performance.timeOrigin + performance.now());
}

/** Hosts whose job failed in any of `stages`, each once, in order of first failure. */
export function failedHosts(stages: readonly Pick<StageReport, 'jobs'>[]): string[] {
  const hosts = new Set<string>();
  for (const s of stages) for (const j of s.jobs) if (j.result === 'failure') hosts.add(j.host);
  return [...hosts];
}

/**
 * The report of a job that did not run to its end: one that never started (a failed canary, the
 * failure budget or a cancel stopped its stage first; `attempts` 0), or, when a cancelled run is
 * reported from its events, one still running.
 */
export function unfinishedJob(
  host: string,
  result: 'skipped' | 'cancelled' | 'unknown',
  error: string,
  attempts = 0,
): JobReport {
  return { host, result, attempts, durationMs: 0, exitCode: null, error, outputTail: '' };
}
