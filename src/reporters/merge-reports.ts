/**
 * The reports of a release spread over a job matrix (a canary-only run and N shards), merged into
 * the report of the whole release. Pure. Reports that cannot belong to one release (other runner,
 * other release id, a dry run among real runs, a part given twice, stages that differ) are refused
 * with a UsageError that names the files; a part that is missing makes the release a failure,
 * since its hosts are in no report.
 */
import { UsageError } from '../contract/errors.js';
import type { RunResult } from '../engine/report/report.js';
import type { JsonJob, JsonReport, JsonStage } from './json.js';

export interface PartReport {
  /** Where the report came from, for messages. */
  readonly file: string;
  readonly report: JsonReport;
}

interface Part extends PartReport {
  /** `canary-only`, `shard 2/3`. */
  readonly label: string;
  /** 0 for the canary-only report, K for shard K: the order parts are merged in. */
  readonly order: number;
}

/** Reasons joined into the merged report are cut here: the summary shows one line. */
const MAX_REASON = 2000;

export function mergeReports(inputs: readonly PartReport[]): JsonReport {
  if (inputs.length === 0) throw new UsageError('no reports to merge');
  const parts = checkParts(inputs);
  const [first] = parts as [Part, ...Part[]];
  checkSame(parts, 'runner', (r) => r.runner, 'runners');
  checkSame(
    parts,
    'release',
    (r) => r.release,
    'release ids',
    '; give every job the same --release-id (input release-id)',
  );
  checkSame(parts, 'dryRun', (r) => String(r.dryRun), 'dry-run settings');
  const starts = parts.map((p) => Date.parse(p.report.startedAt));
  const ends = parts.map((p, i) => (starts[i] ?? 0) + p.report.durationMs);
  const start = Math.min(...starts);
  const stages = mergeStages(
    Number.isFinite(start) ? parts.map((p, i) => rebased(p, (starts[i] ?? start) - start)) : parts,
    missingShards(parts),
  );

  const { result, reason } = mergedResult(parts);
  return {
    version: 1,
    runner: first.report.runner,
    release: first.report.release,
    dryRun: first.report.dryRun,
    result,
    startedAt: Number.isFinite(start) ? new Date(start).toISOString() : first.report.startedAt,
    durationMs: Number.isFinite(start) ? Math.max(...ends) - start : 0,
    ...(reason ? { reason } : {}),
    warnings: parts.flatMap((p) => (p.report.warnings ?? []).map((w) => `${p.label}: ${w}`)),
    leftBehind: parts.flatMap((p) => p.report.leftBehind ?? []),
    mergedFrom: parts.map((p) => p.label),
    stages,
  };
}

/** Each report is one part, each part is given once, and the shards agree on their count. */
function checkParts(inputs: readonly PartReport[]): Part[] {
  const parts = inputs.map((input): Part => {
    const { report, file } = input;
    if (report.mergedFrom)
      throw new UsageError(`${file} is already a merged report: merge the reports it was merged from`);
    if (report.canaryOnly) return { ...input, label: 'canary-only', order: 0 };
    if (report.shard) {
      const { index, count } = report.shard;
      return { ...input, label: `shard ${index}/${count}`, order: index };
    }
    throw new UsageError(
      `${file} is the report of a whole release (it has neither "shard" nor "canaryOnly"): only the reports of a --canary-only run and of --shard runs are merged`,
    );
  });
  const counts = new Map<number, string>();
  for (const p of parts) if (p.report.shard) counts.set(p.report.shard.count, p.file);
  if (counts.size > 1) {
    const [[a, fa], [b, fb]] = [...counts] as [[number, string], [number, string]];
    throw new UsageError(`shard reports of different shard counts: ${fa} is one of ${a}, ${fb} one of ${b}`);
  }
  const seen = new Map<string, string>();
  for (const p of parts) {
    const other = seen.get(p.label);
    if (other) {
      throw new UsageError(
        `the ${p.label} report is given twice: ${other} and ${p.file} (with download-artifact's merge-multiple, give each job's report file its own name)`,
      );
    }
    seen.set(p.label, p.file);
  }
  return parts.sort((a, b) => a.order - b.order);
}

function checkSame(
  parts: readonly Part[],
  what: string,
  value: (r: JsonReport) => string,
  plural: string,
  hint = '',
): void {
  const [first] = parts as [Part];
  const other = parts.find((p) => value(p.report) !== value(first.report));
  if (!other) return;
  throw new UsageError(
    `reports of different ${plural}: ${first.file} has ${what} "${value(first.report)}", ` +
      `${other.file} has "${value(other.report)}"${hint}`,
  );
}

/** Stage by stage (a part that stopped early has fewer), jobs in part order: the canary first. */
function mergeStages(parts: readonly Part[], missing: readonly MissingShard[]): JsonStage[] {
  const depth = Math.max(...parts.map((p) => p.report.stages.length));
  const merged: JsonStage[] = [];
  for (let i = 0; i < depth; i++) {
    const here = parts.flatMap((p) => {
      const stage = p.report.stages[i];
      return stage ? [{ part: p, stage }] : [];
    });
    const [{ part: firstPart, stage: firstStage }] = here as [{ part: Part; stage: JsonStage }];
    const differs = here.find((h) => h.stage.name !== firstStage.name);
    if (differs) {
      throw new UsageError(
        `reports disagree on stage ${i + 1}: "${firstStage.name}" in ${firstPart.file}, "${differs.stage.name}" in ${differs.part.file}; ` +
          'every part must run the same config and runner',
      );
    }
    merged.push(mergeStage(here, missing));
  }
  return merged;
}

function mergeStage(
  here: readonly { part: Part; stage: JsonStage }[],
  missing: readonly MissingShard[],
): JsonStage {
  const [{ stage: first }] = here as [{ part: Part; stage: JsonStage }];
  const canaryPart = here.find((h) => h.part.report.canaryOnly);
  const canary = canaryPart?.stage.canary ?? null;
  for (const { part, stage } of here) {
    if (canaryPart && stage.canaryLeftOut && stage.canaryLeftOut !== canary) {
      throw new UsageError(
        `reports disagree on the canary of stage "${first.name}": ${canary ?? 'none'} in ${canaryPart.part.file}, ` +
          `${stage.canaryLeftOut} left out by ${part.file}; every part must use the same hosts filter and limit`,
      );
    }
  }
  const jobs = mergeJobs(here);
  const failed = here.filter((h) => h.stage.result === 'failure');
  // A stage with hosts in a missing shard did not finish: its table must not look all green.
  const unreported = missing.flatMap((m) => {
    const hosts = hostsOfShard(
      here.map((h) => h.stage),
      m.index,
    );
    return hosts.length > 0 ? [`${m.label}: no report, so ${hosts.join(', ')} in no report`] : [];
  });
  const result =
    failed.length > 0 || unreported.length > 0
      ? 'failure'
      : here.some((h) => h.stage.result === 'success')
        ? 'success'
        : 'skipped';
  const reason = [...failed.map((h) => `${h.part.label}: ${h.stage.reason ?? 'failed'}`), ...unreported].join(
    '; ',
  );
  const { canaryLeftOut: _left, reason: _reason, tolerated: _tolerated, shards: _shards, ...kept } = first;
  return {
    ...kept,
    name: first.name,
    result,
    canary,
    durationMs: Math.max(...here.map((h) => h.stage.durationMs ?? 0)),
    ...earliest(here.map((h) => h.stage.startMs)),
    ...(result === 'failure' ? { reason: cut(reason) } : {}),
    ...(failed.length > 0 && failed.every((h) => h.stage.tolerated) ? { tolerated: true as const } : {}),
    waves: mergeWaves(here),
    jobs,
  };
}

/**
 * A part whose times (`startMs` of stages, jobs and gates) count from the merged release's start,
 * `shift` ms before the part's own.
 */
function rebased(part: Part, shift: number): Part {
  if (shift === 0 || !Number.isFinite(shift)) return part;
  const move = <T extends { startMs?: number }>(x: T): T =>
    x.startMs === undefined ? x : { ...x, startMs: x.startMs + shift };
  const stages = part.report.stages.map((s) => ({
    ...move(s),
    waves: (s.waves ?? []).map((w) => ({ ...w, gate: w.gate && move(w.gate) })),
    jobs: s.jobs.map(move),
  }));
  return { ...part, report: { ...part.report, stages } };
}

/** The earliest of the parts' stage starts, as the `startMs` key (absent when none has one). */
function earliest(starts: readonly (number | undefined)[]): { startMs?: number } {
  const known = starts.filter((n): n is number => typeof n === 'number');
  return known.length > 0 ? { startMs: Math.min(...known) } : {};
}

/** Each part's waves (a gate ran after each of them), in part order, numbered through. */
function mergeWaves(here: readonly { part: Part; stage: JsonStage }[]): JsonStage['waves'] {
  const waves = here.flatMap(({ stage }) => stage.waves ?? []);
  return waves.map((w, i) => ({ ...w, index: i + 1 }));
}

/**
 * The jobs of every part, canary first. A host in several parts (a controller job runs in each)
 * gets its part in its name, so each row of the summary says where it ran.
 */
function mergeJobs(here: readonly { part: Part; stage: JsonStage }[]): JsonJob[] {
  const partsOf = new Map<string, number>();
  for (const { stage } of here)
    for (const j of stage.jobs) partsOf.set(j.host, (partsOf.get(j.host) ?? 0) + 1);
  return here.flatMap(({ part, stage }) =>
    stage.jobs.map((j) => ((partsOf.get(j.host) ?? 0) > 1 ? { ...j, host: `${j.host} (${part.label})` } : j)),
  );
}

/**
 * The whole release's result: cancelled if a part was, else failed if a part failed or a part is
 * missing (its hosts are in no report), else success.
 */
function mergedResult(parts: readonly Part[]): { result: RunResult; reason?: string } {
  const reasons = parts
    .filter((p) => p.report.result !== 'success')
    .map((p) => `${p.label}: ${p.report.reason ?? p.report.result}`);
  const canary = parts.find((p) => p.report.canaryOnly);
  // A failed canary is why the shards never ran: no need to say they are missing.
  if (!canary || canary.report.result === 'success') reasons.push(...missingParts(parts));
  const result: RunResult = parts.some((p) => p.report.result === 'cancelled')
    ? 'cancelled'
    : reasons.length > 0
      ? 'failure'
      : 'success';
  return reasons.length > 0 ? { result, reason: cut(reasons.join('; ')) } : { result };
}

interface MissingShard {
  /** K, for shard K. */
  readonly index: number;
  /** `shard K/N`. */
  readonly label: string;
}

/** The shards of the release that sent no report (none when no shard did: the count is unknown). */
function missingShards(parts: readonly Part[]): MissingShard[] {
  const shards = parts.filter((p) => p.report.shard);
  const count = shards[0]?.report.shard?.count;
  if (count === undefined) return [];
  const present = new Set(shards.map((p) => p.order));
  return Array.from({ length: count }, (_, k) => k + 1)
    .filter((k) => !present.has(k))
    .map((k) => ({ index: k, label: `shard ${k}/${count}` }));
}

/** The hosts shard `index` runs in `stages`, each once, as the shards' reports record them. */
function hostsOfShard(stages: readonly JsonStage[], index: number): string[] {
  return [...new Set(stages.flatMap((s) => s.shards?.[index - 1] ?? []))];
}

function missingParts(parts: readonly Part[]): string[] {
  const shards = parts.filter((p) => p.report.shard);
  if (shards.length === 0) return ['no shard reports: the hosts after each canary are in no report'];
  const stages = shards.flatMap((p) => p.report.stages);
  const out = missingShards(parts).map((m) => {
    const hosts = hostsOfShard(stages, m.index);
    // Reports written before shards recorded their hosts cannot say which.
    return hosts.length > 0
      ? `no report from ${m.label}: its hosts (${hosts.join(', ')}) are in no report`
      : `no report from ${m.label}: its hosts are in no report`;
  });
  if (!parts.some((p) => p.report.canaryOnly)) {
    const leftOut = [
      ...new Set(
        shards.flatMap((p) => p.report.stages.flatMap((s) => (s.canaryLeftOut ? [s.canaryLeftOut] : []))),
      ),
    ];
    if (leftOut.length > 0)
      out.push(
        `no canary-only report: the canaries the shards left out (${leftOut.join(', ')}) are in no report`,
      );
  }
  return out;
}

function cut(text: string): string {
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
}
