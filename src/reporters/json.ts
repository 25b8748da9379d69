import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LockReport, RunReport } from '../engine/report.js';
import type { UploadTotals } from '../engine/upload-totals.js';

/**
 * The JSON report (documented in the README): the in-memory extras (output tails, reasons) are
 * left out. `release`, `dryRun`, `lock` and jobs' `uploads` were added to version 1; consumers ignore keys they do not know.
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
  stages: {
    name: string;
    result: string;
    canary: string | null;
    jobs: {
      host: string;
      result: string;
      attempts: number;
      durationMs: number;
      exitCode: number | null;
      error: string | null;
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
    stages: report.stages.map((s) => ({
      name: s.name,
      result: s.result,
      canary: s.canary,
      jobs: s.jobs.map((j) => ({
        host: j.host,
        result: j.result,
        attempts: j.attempts,
        durationMs: j.durationMs,
        exitCode: j.exitCode,
        error: j.error,
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
  const hosts = new Set<string>();
  for (const s of report.stages) for (const j of s.jobs) if (j.result === 'failure') hosts.add(j.host);
  return [...hosts];
}
