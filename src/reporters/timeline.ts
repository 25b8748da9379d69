/**
 * The release as a timeline, the model both pictures draw (the job summary's Mermaid gantt, the
 * HTML report's SVG): per stage, a bar per job that started (the canary first), its waves and the
 * gate after each, all in ms after the release's start. Pure. Times come from the report's
 * `startedAtMs` (the JSON report's `startMs`); a report written before they existed has none, and
 * then there is no timeline (`hasTimes` false).
 */
import type { JobReport, JobResult, RunReport, StageReport, StageWhen } from '../engine/report/report.js';
import { stageOutcome } from './vocabulary.js';

export interface TimelineBar {
  host: string;
  result: JobResult;
  canary: boolean;
  /** 1-based wave of the stage; null when the report does not say. */
  wave: number | null;
  startMs: number;
  endMs: number;
  attempts: number;
  error: string | null;
}

export interface TimelineWave {
  index: number;
  hosts: number;
  failed: number;
  startMs: number;
  endMs: number;
  /** The gate after the wave; null when none ran. */
  gate: { result: string; startMs: number; endMs: number; error: string | null } | null;
}

export interface TimelineStage {
  /** 1-based, as in the summary's tables. */
  index: number;
  name: string;
  when: StageWhen;
  /** `success`, `failure`, `skipped`, `cancelled` for a stage a cancel stopped, `unknown` for one not waited for. */
  outcome: StageReport['result'] | 'cancelled' | 'unknown';
  reason: string | null;
  startMs: number;
  endMs: number;
  bars: TimelineBar[];
  waves: TimelineWave[];
  /** Jobs selected that never started (a halt or a cancel came first). */
  notStarted: number;
}

export interface Timeline {
  durationMs: number;
  stages: TimelineStage[];
  /** False for a report without start times (written by an older version): draw nothing. */
  hasTimes: boolean;
}

export function timelineOf(report: RunReport): Timeline {
  const runStart = Date.parse(report.startedAt);
  const offset = (epoch: number | undefined): number | null =>
    epoch === undefined || !Number.isFinite(runStart) ? null : Math.max(0, epoch - runStart);
  const hasTimes = report.stages.some(
    (s) => s.startedAtMs !== undefined || s.jobs.some((j) => j.startedAtMs !== undefined),
  );
  let clock = 0;
  const stages = report.stages.map((s, i) => {
    const stage = stageOf(s, i + 1, offset, clock);
    clock = Math.max(clock, stage.endMs);
    return stage;
  });
  return { durationMs: Math.max(report.durationMs, clock), stages, hasTimes };
}

type Offset = (epoch: number | undefined) => number | null;

/** One stage; `clock` is where the stages before it ended (a skipped stage is placed there). */
function stageOf(s: StageReport, index: number, offset: Offset, clock: number): TimelineStage {
  const waveOf = new Map<string, number>();
  for (const w of s.waves ?? []) for (const h of w.hosts) if (!waveOf.has(h)) waveOf.set(h, w.index);
  const bars = canaryFirst(s).flatMap((j) => {
    const start = offset(j.startedAtMs);
    if (start === null) return [];
    const bar: TimelineBar = {
      host: j.host,
      result: j.result,
      canary: j.host === s.canary,
      wave: waveOf.get(j.host) ?? null,
      startMs: start,
      endMs: start + Math.max(0, j.durationMs),
      attempts: j.attempts,
      error: j.error,
    };
    return [bar];
  });
  const starts = bars.map((b) => b.startMs);
  const startMs = offset(s.startedAtMs) ?? (starts.length > 0 ? Math.min(...starts) : clock);
  const waves = wavesOf(s, bars, offset);
  const ends = [
    startMs + s.durationMs,
    ...bars.map((b) => b.endMs),
    ...waves.map((w) => w.gate?.endMs ?? w.endMs),
  ];
  return {
    index,
    name: s.name,
    when: s.when ?? 'success',
    outcome: stageOutcome(s),
    reason: s.reason ?? null,
    startMs,
    endMs: Math.max(...ends),
    bars,
    waves,
    notStarted: s.jobs.filter((j) => offset(j.startedAtMs) === null).length,
  };
}

function canaryFirst(s: StageReport): JobReport[] {
  const canary = s.jobs.find((j) => j.host === s.canary);
  return canary ? [canary, ...s.jobs.filter((j) => j !== canary)] : [...s.jobs];
}

function wavesOf(s: StageReport, bars: readonly TimelineBar[], offset: Offset): TimelineWave[] {
  return (s.waves ?? []).flatMap((w) => {
    const members = bars.filter((b) => b.wave === w.index);
    if (members.length === 0) return [];
    const startMs = Math.min(...members.map((b) => b.startMs));
    const endMs = Math.max(...members.map((b) => b.endMs));
    const gateStart = w.gate ? (offset(w.gate.startedAtMs) ?? endMs) : null;
    return [
      {
        index: w.index,
        hosts: members.length,
        failed: members.filter((b) => b.result === 'failure').length,
        startMs,
        endMs,
        gate:
          w.gate && gateStart !== null
            ? {
                result: w.gate.result,
                startMs: gateStart,
                endMs: gateStart + Math.max(0, w.gate.durationMs),
                error: w.gate.error,
              }
            : null,
      },
    ];
  });
}

/** `when: failure` for a stage on the way out; null for one that runs while the release succeeds. */
export function wayOutNote(stage: Pick<TimelineStage, 'when'>): string | null {
  return stage.when === 'success' ? null : `on the way out, when: ${stage.when}`;
}

/** `+1.2 s`: a time after the release's start, for labels and axes. */
export function offsetText(ms: number): string {
  if (ms < 60_000) return `+${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `+${m} min ${Math.round((ms - m * 60_000) / 1000)} s`;
}
