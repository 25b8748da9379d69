/**
 * A JSON report read back (to merge the reports of a sharded release): checked for the keys the
 * merge relies on, with errors that name the file and the path in it. Keys it does not know are
 * kept as they are, so a merge carries fields added by newer versions through.
 */
import { UsageError } from '../contract/errors.js';
import type {
  JobReport,
  JobResult,
  RunReport,
  StageWhen,
  WaveReport,
  RunResult,
  StageReport,
  StageResult,
} from '../engine/report/report.js';
import type { JsonJob, JsonReport, JsonStage, JsonWave } from './json.js';

const RUN_RESULTS: readonly RunResult[] = ['success', 'failure', 'cancelled'];
const STAGE_RESULTS: readonly StageResult[] = ['success', 'failure', 'skipped', 'unknown'];
const JOB_RESULTS: readonly JobResult[] = ['success', 'failure', 'skipped', 'cancelled', 'unknown'];

type Json = Record<string, unknown>;

/** Parses and checks the text of a JSON report; `file` names it in errors. */
export function parseJsonReport(text: string, file: string): JsonReport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not a JSON report: ${(e as Error).message}`);
  }
  const at = new Checker(file);
  const report = at.object(doc, '');
  if (report.version !== 1) at.fail('version', 'expected 1 (a boerewors JSON report)', report.version);
  at.string(report, 'runner');
  at.string(report, 'release');
  at.oneOf(report, 'result', RUN_RESULTS);
  at.string(report, 'startedAt');
  at.count(report, 'durationMs');
  if (report.dryRun !== undefined && typeof report.dryRun !== 'boolean')
    at.fail('dryRun', 'expected true or false', report.dryRun);
  if (report.shard !== undefined) {
    const shard = at.object(report.shard, 'shard');
    const count = at.count(shard, 'count', 'shard.count');
    const index = at.count(shard, 'index', 'shard.index');
    if (index < 1 || index > count || count < 1) at.fail('shard', 'expected 1 ≤ index ≤ count', report.shard);
  }
  if (report.canaryOnly !== undefined && report.canaryOnly !== true)
    at.fail('canaryOnly', 'expected true', report.canaryOnly);
  if (!Array.isArray(report.stages)) at.fail('stages', 'expected a list', report.stages);
  (report.stages as unknown[]).forEach((s, i) => {
    const path = `stages[${i}]`;
    const stage = at.object(s, path);
    at.string(stage, 'name', `${path}.name`);
    at.oneOf(stage, 'result', STAGE_RESULTS, `${path}.result`);
    if (stage.canary !== null) at.string(stage, 'canary', `${path}.canary`);
    if (!Array.isArray(stage.jobs)) at.fail(`${path}.jobs`, 'expected a list', stage.jobs);
    (stage.jobs as unknown[]).forEach((j, k) => {
      const jobPath = `${path}.jobs[${k}]`;
      const job = at.object(j, jobPath);
      at.string(job, 'host', `${jobPath}.host`);
      at.oneOf(job, 'result', JOB_RESULTS, `${jobPath}.result`);
      at.count(job, 'attempts', `${jobPath}.attempts`);
    });
  });
  return { dryRun: false, warnings: [], leftBehind: [], ...report } as unknown as JsonReport;
}

/** The report the reporters render (summary, log), from a JSON report. */
export function fromJsonReport(json: JsonReport): RunReport {
  const runStart = Date.parse(json.startedAt);
  const epoch = (startMs: unknown): { startedAtMs?: number } =>
    typeof startMs === 'number' && Number.isFinite(startMs) && Number.isFinite(runStart)
      ? { startedAtMs: runStart + startMs }
      : {};
  return {
    version: 1,
    runner: json.runner,
    release: json.release,
    result: json.result,
    startedAt: json.startedAt,
    durationMs: json.durationMs,
    stages: json.stages.map((s) => fromJsonStage(s, epoch)),
    ...(json.reason ? { reason: json.reason } : {}),
    warnings: [...(json.warnings ?? [])],
    ...(json.leftBehind?.length ? { leftBehind: json.leftBehind.map((l) => ({ ...l })) } : {}),
    ...(json.shard ? { part: { kind: 'shard' as const, ...json.shard } } : {}),
    ...(json.canaryOnly ? { part: { kind: 'canary' as const } } : {}),
    ...(json.mergedFrom ? { mergedFrom: [...json.mergedFrom] } : {}),
  };
}

/** Turns a report's `startMs` (ms after the run's start) back into ms since the epoch. */
type Epoch = (startMs: unknown) => { startedAtMs?: number };

function fromJsonStage(s: JsonStage, epoch: Epoch): StageReport {
  return {
    name: s.name,
    result: s.result as StageResult,
    canary: s.canary,
    jobs: s.jobs.map((j) => fromJsonJob(j, epoch)),
    durationMs: s.durationMs ?? 0,
    ...epoch(s.startMs),
    ...(s.canaryLeftOut ? { canaryLeftOut: s.canaryLeftOut } : {}),
    ...(s.shards ? { shards: s.shards } : {}),
    ...(s.tolerated ? { tolerated: true } : {}),
    ...(s.reason ? { reason: s.reason } : {}),
    when: (s.when ?? 'success') as StageWhen,
    ...(s.waves ? { waves: s.waves.map((w) => fromJsonWave(w, epoch)) } : {}),
    ...(s.waves?.some((w) => w.gate !== null) ? { gate: true } : {}),
  };
}

function fromJsonWave(w: JsonWave, epoch: Epoch): WaveReport {
  const { startMs, ...gate } = w.gate ?? {};
  return {
    index: w.index,
    hosts: [...w.hosts],
    gate: w.gate && {
      ...(gate as Omit<NonNullable<JsonWave['gate']>, 'startMs'>),
      ...epoch(startMs),
      result: w.gate.result as 'success' | 'failure' | 'cancelled',
      outputTail: '',
    },
  };
}

function fromJsonJob(j: JsonJob, epoch: Epoch): JobReport {
  return {
    host: j.host,
    result: j.result as JobResult,
    attempts: j.attempts,
    durationMs: j.durationMs ?? 0,
    ...epoch(j.startMs),
    exitCode: j.exitCode ?? null,
    error: j.error ?? null,
    ...(j.step ? { step: j.step } : {}),
    ...(j.release ? { release: { ...j.release } } : {}),
    outputTail: j.outputTail ?? '',
    // Reports from before `compression` was added have none.
    ...(j.uploads ? { uploads: { ...j.uploads, compression: j.uploads.compression ?? [] } } : {}),
    ...(j.verify
      ? { verify: { ...j.verify, result: j.verify.result as 'success' | 'failure' | 'cancelled' } }
      : {}),
  };
}

/** Errors name the file and the path in it, and what was found. */
class Checker {
  constructor(private readonly file: string) {}

  fail(path: string, expected: string, got: unknown): never {
    const found = got === undefined ? 'nothing' : JSON.stringify(got).slice(0, 80);
    throw new UsageError(`${this.file}: ${path || 'the report'}: ${expected}, got ${found}`);
  }

  object(value: unknown, path: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(path, 'expected an object', value);
    return value as Json;
  }

  string(o: Json, key: string, path = key): string {
    if (typeof o[key] !== 'string') this.fail(path, 'expected a string', o[key]);
    return o[key] as string;
  }

  count(o: Json, key: string, path = key): number {
    const n = o[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) this.fail(path, 'expected a whole number', n);
    return n as number;
  }

  oneOf<T extends string>(o: Json, key: string, allowed: readonly T[], path = key): T {
    if (!allowed.includes(o[key] as T)) this.fail(path, `expected ${allowed.join(', ')}`, o[key]);
    return o[key] as T;
  }
}
