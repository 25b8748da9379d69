import type { UploadTotals } from './upload-totals.js';

/** The run's results. `toJsonReport` (src/reporters/json.ts) turns these into the JSON report the README documents. */
import type { RunPart } from './run-part.js';

export type RunResult = 'success' | 'failure' | 'cancelled';
export type StageResult = 'success' | 'failure' | 'skipped';
export type JobResult = 'success' | 'failure' | 'skipped' | 'cancelled';

export interface JobReport {
  host: string;
  result: JobResult;
  attempts: number;
  durationMs: number;
  /** Exit code of the last command the last attempt ran (null when none ran or it had none). */
  exitCode: number | null;
  /** Why it failed, was skipped or cancelled; null on plain success. */
  error: string | null;
  /** What the last attempt's uploads shipped, summed; absent when it uploaded nothing. */
  uploads?: UploadTotals;
  /**
   * The last output lines (bounded, ~64 KiB) for summaries, across attempts; each attempt after the
   * first starts with a `── attempt N ──` line. The JSON report keeps the end of a failed job's.
   */
  outputTail: string;
  /** Not in the JSON report: the error class kind (`exit`, `timeout`, `auth`, …) when it failed. */
  errorKind?: string;
}

export interface StageReport {
  name: string;
  result: StageResult;
  /** Host name of the canary job, or null when the stage had no canary. */
  canary: string | null;
  /** In a shard: the stage's canary, left out of it because the canary-only run runs it. */
  canaryLeftOut?: string;
  jobs: JobReport[];
  durationMs: number;
  /** The stage failed but `can-fail` let the run go on. */
  tolerated?: boolean;
  /** Why the stage failed, one line (`canary web-1 failed: exit code 1`). */
  reason?: string;
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
  /** The part of every stage this run ran, when the release was spread over several machines. */
  part?: RunPart;
  /** A report merged from the reports of such parts: their labels (`canary-only`, `shard 1/3`…). */
  mergedFrom?: string[];
}

/**
 * The report of a job that did not run to its end: one that never started (a failed canary, the
 * failure budget or a cancel stopped its stage first; `attempts` 0), or, when a cancelled run is
 * reported from its events, one still running.
 */
export function unfinishedJob(
  host: string,
  result: 'skipped' | 'cancelled',
  error: string,
  attempts = 0,
): JobReport {
  return { host, result, attempts, durationMs: 0, exitCode: null, error, outputTail: '' };
}
