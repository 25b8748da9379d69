import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunReport } from '../engine/report.js';

/** DESIGN §4's JSON report, exactly: the in-memory extras (output tails, reasons) are left out. */
export interface JsonReport {
  version: 1;
  runner: string;
  result: RunReport['result'];
  startedAt: string;
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
    }[];
  }[];
}

export function toJsonReport(report: RunReport): JsonReport {
  return {
    version: 1,
    runner: report.runner,
    result: report.result,
    startedAt: report.startedAt,
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
      })),
    })),
  };
}

export async function writeJsonReport(path: string, report: RunReport): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(toJsonReport(report), null, 2)}\n`, { mode: 0o644 });
}

/** Hosts whose job failed in any stage, in order of first failure. */
export function failedHosts(report: RunReport): string[] {
  const hosts = new Set<string>();
  for (const s of report.stages) for (const j of s.jobs) if (j.result === 'failure') hosts.add(j.host);
  return [...hosts];
}
