import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LockReport } from '../contract/lock-report.js';
import {
  failedHosts as failedHostsOf,
  type LeftBehind,
  type RunReport,
  type StageWhen,
} from '../engine/report/report.js';
import type { UploadTotals } from '../engine/report/upload-totals.js';
import type { ReleaseMove } from '../engine/report/release-move.js';
import { lastBytes } from './last-bytes.js';

/**
 * The JSON report (documented in the README): the in-memory extras (error kinds, the output of jobs
 * that did not fail, gates' output) are left out. Keys were added to version 1 over time
 * (`release`, `dryRun`, `reason`, `warnings`, a stage's `when` and `waves`, a job's `verify`,
 * `uploads` and `release`, the `startMs` of stages, jobs and gates, the parts of a sharded release, `lock`); consumers ignore keys they do not know.
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
  /** Why the run failed or was cancelled, one line; absent on success. */
  reason?: string;
  /** The engine's warnings: a stage on the way out that failed, a stage left without jobs, … */
  warnings: string[];
  /**
   * Hosts left on their previous release: their job failed in a stage that tolerated it, and the
   * later stages skipped them. Always written (empty when none); absent from reports written
   * before it existed, and from a merge of such reports.
   */
  leftBehind?: LeftBehind[];
  /** This run was shard `index` of `count` (1-based) of a release spread over a job matrix. */
  shard?: { index: number; count: number };
  /** This run ran only each stage's canary, ahead of the shards. */
  canaryOnly?: true;
  /** This report was merged from the reports of these parts (`canary-only`, `shard 1/3`…). */
  mergedFrom?: string[];
  stages: JsonStage[];
}

export interface JsonStage {
  name: string;
  result: string;
  /** `success` (the default), or `failure`, `cancelled`, `always` for a stage on the way out. */
  when: StageWhen;
  canary: string | null;
  /** In a shard: the stage's canary, left to the canary-only run. */
  canaryLeftOut?: string;
  /** In a shard: the hosts of every shard of the stage (shard K's at index K-1). */
  shards?: string[][];
  durationMs: number;
  /** When the stage started, in ms after the run's `startedAt`; absent for a stage skipped by its `when`. */
  startMs?: number;
  /** Why the stage failed or was skipped, one line; absent when it succeeded. */
  reason?: string;
  /** The stage failed, and `can-fail` (or running on the way out) let the run go on. */
  tolerated?: true;
  /** The waves that started (the canary's is 1), with the gate after each (null: none ran). */
  waves: JsonWave[];
  jobs: JsonJob[];
}

export interface JsonWave {
  index: number;
  hosts: string[];
  gate: {
    result: string;
    durationMs: number;
    /** When the gate's own run started (after the soak), in ms after the run's `startedAt`. */
    startMs?: number;
    exitCode: number | null;
    error: string | null;
  } | null;
}

export interface JsonJob {
  host: string;
  result: string;
  attempts: number;
  durationMs: number;
  /** When the job started, in ms after the run's `startedAt`; absent for a job that never started. */
  startMs?: number;
  exitCode: number | null;
  error: string | null;
  /** A failed job: the step whose command or upload failed (its `name`, or its first line). */
  step?: string;
  /** The stage's verify on this host; null when the stage has none or the job never got to it. */
  verify: { result: string; attempts: number; durationMs: number } | null;
  /** What the last attempt's upload steps shipped (summed); only on jobs that uploaded. */
  uploads?: UploadTotals;
  /**
   * What the job's `release: switch`, `rollback` or `undo` steps did to the host's live release:
   * `before` and `after` (a release id, or null for none; equal when nothing moved). Only on jobs
   * that ran one and heard back from the host: absent means not known.
   */
  release?: ReleaseMove;
  /** A failed job's last output, at most `OUTPUT_TAIL_BYTES` of whole lines; absent otherwise. */
  outputTail?: string;
}

/** Output kept in the report per failed job: what the job summary shows of it. */
export const OUTPUT_TAIL_BYTES = 8 * 1024;

export interface JsonReportOptions {
  /** The run used the dry-run transport. Default false. */
  dryRun?: boolean;
}

export function toJsonReport(report: RunReport, options: JsonReportOptions = {}): JsonReport {
  const { part } = report;
  const runStart = Date.parse(report.startedAt);
  /** An epoch time as the `startMs` key: ms after the run's start (never before it). */
  const at = (epoch: number | undefined): { startMs?: number } =>
    epoch === undefined || !Number.isFinite(runStart)
      ? {}
      : { startMs: Math.max(0, Math.round(epoch - runStart)) };
  return {
    version: 1,
    runner: report.runner,
    release: report.release,
    dryRun: options.dryRun ?? false,
    result: report.result,
    startedAt: report.startedAt,
    ...(report.lock ? { lock: report.lock } : {}),
    durationMs: report.durationMs,
    ...(report.reason !== undefined && report.result !== 'success' ? { reason: report.reason } : {}),
    warnings: report.warnings ?? [],
    leftBehind: (report.leftBehind ?? []).map((l) => ({ ...l })),
    ...(part?.kind === 'shard' ? { shard: { index: part.index, count: part.count } } : {}),
    ...(part?.kind === 'canary' ? { canaryOnly: true as const } : {}),
    ...(report.mergedFrom ? { mergedFrom: [...report.mergedFrom] } : {}),
    stages: report.stages.map((s) => ({
      name: s.name,
      result: s.result,
      when: s.when ?? 'success',
      canary: s.canary,
      ...(s.canaryLeftOut ? { canaryLeftOut: s.canaryLeftOut } : {}),
      ...(s.shards ? { shards: s.shards } : {}),
      durationMs: s.durationMs,
      ...at(s.startedAtMs),
      ...(s.reason !== undefined && s.result !== 'success' ? { reason: s.reason } : {}),
      ...(s.tolerated ? { tolerated: true as const } : {}),
      waves: (s.waves ?? []).map((w) => ({
        index: w.index,
        hosts: w.hosts,
        gate: w.gate && {
          result: w.gate.result,
          durationMs: w.gate.durationMs,
          ...at(w.gate.startedAtMs),
          exitCode: w.gate.exitCode,
          error: w.gate.error,
        },
      })),
      jobs: s.jobs.map((j) => ({
        host: j.host,
        result: j.result,
        attempts: j.attempts,
        durationMs: j.durationMs,
        ...at(j.startedAtMs),
        exitCode: j.exitCode,
        error: j.error,
        ...(j.step ? { step: j.step } : {}),
        verify: j.verify ? { ...j.verify } : null,
        ...(j.uploads ? { uploads: { ...j.uploads } } : {}),
        ...(j.release ? { release: { ...j.release } } : {}),
        ...(j.result === 'failure' && j.outputTail !== ''
          ? { outputTail: lastBytes(j.outputTail.replace(/\n+$/, ''), OUTPUT_TAIL_BYTES).text }
          : {}),
      })),
    })),
  };
}

export async function writeJsonReport(
  path: string,
  report: RunReport,
  options: JsonReportOptions = {},
): Promise<void> {
  await writeJsonReportFile(path, toJsonReport(report, options));
}

/** Writes a JSON report (one built by `toJsonReport`, or merged), creating its directory. */
export async function writeJsonReportFile(path: string, json: JsonReport): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o644 });
}

/** Hosts whose job failed in any stage, in order of first failure. */
export function failedHosts(report: RunReport): string[] {
  return failedHostsOf(report.stages);
}
