import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  failedHosts as failedHostsOf,
  type LockReport,
  type RunReport,
  type StageWhen,
} from '../engine/report.js';
import type { UploadTotals } from '../engine/upload-totals.js';

/**
 * The JSON report (documented in the README): the in-memory extras (output tails, reasons) are
 * left out. `release`, `dryRun`, `warnings`, `lock`, a stage's `when` and `waves`, and a job's
 * `verify` and `uploads` were added to version 1; consumers ignore keys they do not know.
 */
export interface JsonReport {
  version: 1;
  runner: string;
  /** The release id (BW_RELEASE). */
  release: string;
  /** True when the dry-run transport ran: nothing connected, no command ran. */
  dryRun: boolean;
  result: RunReport['result'];
  startedAt: string;
  /**
   * The deploy lock, when the run had one: where, what became of it, and for a refused run (or a
   * stale lock taken over) who held it, since when, from which run.
   */
  lock?: LockReport;
  durationMs: number;
  /** The engine's warnings: a stage on the way out that failed, a stage left without jobs, … */
  warnings: string[];
  stages: {
    name: string;
    result: string;
    /** `success` (the default), or `failure`, `cancelled`, `always` for a stage on the way out. */
    when: StageWhen;
    canary: string | null;
    /** The waves that started (the canary's is 1), with the gate after each (null: none ran). */
    waves: {
      index: number;
      hosts: string[];
      gate: {
        result: string;
        durationMs: number;
        exitCode: number | null;
        error: string | null;
      } | null;
    }[];
    jobs: {
      host: string;
      result: string;
      attempts: number;
      durationMs: number;
      exitCode: number | null;
      error: string | null;
      /** The stage's verify on this host; null when the stage has none or the job never got to it. */
      verify: { result: string; attempts: number; durationMs: number } | null;
      /** What the last attempt's upload steps shipped (summed); only on jobs that uploaded. */
      uploads?: UploadTotals;
    }[];
  }[];
}

export interface JsonReportOptions {
  /** The run used the dry-run transport. Default false. */
  dryRun?: boolean;
}

export function toJsonReport(report: RunReport, options: JsonReportOptions = {}): JsonReport {
  return {
    version: 1,
    runner: report.runner,
    release: report.release,
    dryRun: options.dryRun ?? false,
    result: report.result,
    startedAt: report.startedAt,
    ...(report.lock ? { lock: report.lock } : {}),
    durationMs: report.durationMs,
    warnings: report.warnings ?? [],
    stages: report.stages.map((s) => ({
      name: s.name,
      result: s.result,
      when: s.when ?? 'success',
      canary: s.canary,
      waves: (s.waves ?? []).map((w) => ({
        index: w.index,
        hosts: w.hosts,
        gate: w.gate && {
          result: w.gate.result,
          durationMs: w.gate.durationMs,
          exitCode: w.gate.exitCode,
          error: w.gate.error,
        },
      })),
      jobs: s.jobs.map((j) => ({
        host: j.host,
        result: j.result,
        attempts: j.attempts,
        durationMs: j.durationMs,
        exitCode: j.exitCode,
        error: j.error,
        verify: j.verify ? { ...j.verify } : null,
        ...(j.uploads ? { uploads: { ...j.uploads } } : {}),
      })),
    })),
  };
}

export async function writeJsonReport(
  path: string,
  report: RunReport,
  options: JsonReportOptions = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(toJsonReport(report, options), null, 2)}\n`, { mode: 0o644 });
}

/** Hosts whose job failed in any stage, in order of first failure. */
export function failedHosts(report: RunReport): string[] {
  return failedHostsOf(report.stages);
}
