/**
 * The words and marks every reporter uses, in one place, so the terminal, the GitHub log, the
 * annotations and the job summary tell a run the same way: what a job's or a stage's result is
 * called, the line that ends a job, a stage, a retry or the run.
 */
import type { EngineEvent } from '../engine/report/events.js';
import type {
  GateReport,
  JobReport,
  JobResult,
  RunReport,
  StageReport,
  StageWhen,
  WaveReport,
} from '../engine/report/report.js';
import { partLabel, type RunPart } from '../engine/report/run-part.js';
import type { ReleaseMove } from '../engine/report/release-move.js';

/** The mark before a job's last line in the logs (`web-1 ✘ failure: exit code 3 · …`). */
export const JOB_MARK: Readonly<Record<JobResult, string>> = {
  success: '✔',
  failure: '✘',
  skipped: '–',
  cancelled: '⊘',
  unknown: '?',
};

/** The mark between a host's label and the rest of its log line. */
export const HOST_MARK = { step: '»', output: '│', attempt: '●', retry: '↻' } as const;

/** The mark of a wave's line (`≡ wave 2/4 · 5 hosts · gate ✔ passed · 0.4 s`). */
export const WAVE_MARK = '≡';

/** A gate's result in a wave line. */
const GATE_WORD: Readonly<Record<GateReport['result'], string>> = {
  success: `${JOB_MARK.success} passed`,
  failure: `${JOB_MARK.failure} failed`,
  cancelled: `${JOB_MARK.cancelled} cancelled`,
};

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A whole number with its thousands grouped by commas (`40,000`), whatever the locale. */
export function grouped(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** How many of the stage's jobs ended with `result`. */
export function countJobs(stage: Pick<StageReport, 'jobs'>, result: JobResult): number {
  return stage.jobs.filter((j) => j.result === result).length;
}

/**
 * What became of a stage, as the reporters name it: a stage that "failed" only because a cancel
 * stopped it (no job failed, some were cancelled) is `cancelled`; one whose end the run did not
 * wait for (no job failed, some are `unknown`) is `unknown`.
 */
export function stageOutcome(s: StageReport): StageReport['result'] | 'cancelled' | 'unknown' {
  if (s.result !== 'failure' || countJobs(s, 'failure') > 0) return s.result;
  if (countJobs(s, 'unknown') > 0) return 'unknown';
  return countJobs(s, 'cancelled') > 0 ? 'cancelled' : s.result;
}

/**
 * A failed job's error with the step it failed at: `failed at step "warm cache": exit code 1`;
 * the error alone when the report names no step.
 */
export function errorAtStep(j: Pick<JobReport, 'error' | 'step'>): string | null {
  return j.step && j.error ? `failed at step "${j.step}": ${j.error}` : j.error;
}

/** `exit 3`, unless the error already says so (`exit code 3`); null when there is no exit code. */
export function exitText(j: Pick<JobReport, 'exitCode' | 'error'>): string | null {
  if (j.exitCode === null || (j.error ?? '').includes(`exit code ${j.exitCode}`)) return null;
  return `exit ${j.exitCode}`;
}

/** `Stage 2/3 · Distribute code · 12 hosts · canary web-1`, then `· when: failure` on the way out. */
export function stageTitle(e: {
  stage: string;
  index: number;
  total: number | null;
  hosts: readonly string[];
  canary: string | null;
  when?: StageWhen;
}): string {
  const parts = [`Stage ${e.index}${e.total ? `/${e.total}` : ''}`, e.stage, plural(e.hosts.length, 'host')];
  if (e.canary) parts.push(`canary ${e.canary}`);
  if (e.when && e.when !== 'success') parts.push(`when: ${e.when}`);
  return parts.join(' · ');
}

/** `Undo (when: failure)`: a stage's name, with its `when` when it runs on the way out. */
export function stageName(s: Pick<StageReport, 'name' | 'when'>): string {
  return s.when && s.when !== 'success' ? `${s.name} (when: ${s.when})` : s.name;
}

/** Why a failed stage did not fail the run: `can-fail`, or it runs on the way out. */
export function toleratedNote(s: Pick<StageReport, 'tolerated' | 'when'>): string | null {
  if (!s.tolerated) return null;
  return s.when && s.when !== 'success' ? 'a warning only: the result stands' : 'tolerated: can-fail';
}

/**
 * `failure: failed at step "warm cache": exit code 1 · 1 attempt · 5.1 s`, `success · 1 attempt ·
 * R2 → R1 · 0.3 s`: how a job ended, and where it left the host's live release.
 */
export function jobLine(j: JobReport): string {
  const parts = [
    j.error && j.error !== j.result ? `${j.result}: ${errorAtStep(j) ?? ''}` : j.result,
    plural(j.attempts, 'attempt'),
    formatDuration(j.durationMs),
  ];
  const exit = j.result === 'failure' ? exitText(j) : null;
  if (exit) parts.splice(1, 0, exit);
  if (j.verify?.result === 'success')
    parts.splice(-1, 0, `verified (${plural(j.verify.attempts, 'attempt')})`);
  if (j.release) parts.splice(-1, 0, moveText(j.release));
  return parts.join(' · ');
}

/** A release as the reports name it: its id, or `no release` where `current` pointed at none. */
function releaseName(id: string | null): string {
  return id ?? 'no release';
}

/**
 * What a release step did on a host: `R2 → R1`; when nothing moved, `nothing to undo (R1 live)`,
 * `nothing rolled back (R1 live)` or `R2 already live`.
 */
export function moveText(m: ReleaseMove): string {
  if (m.before !== m.after) return `${releaseName(m.before)} → ${releaseName(m.after)}`;
  const live = m.after === null ? 'no release live' : `${m.after} live`;
  if (m.action === 'switch') return m.after === null ? 'nothing switched' : `${m.after} already live`;
  return m.action === 'undo' ? `nothing to undo (${live})` : `nothing rolled back (${live})`;
}

/**
 * `now live: R1 on 4 hosts`, `now live: R2 on 3 hosts, R1 on 1 host, unknown on 1 host`: where the
 * run left the live release, from the last release step each host reported (src/engine/report/release-move.ts). The
 * hosts counted are those of every stage in which some host reported one; a host none of whose
 * jobs there reported one is `unknown`, and so is a host whose last job the run did not wait for
 * (`unknown`). Null when no job reported any (no `releases:`, a dry run).
 */
export function liveNowText(r: Pick<RunReport, 'stages'>): string | null {
  if (!r.stages.some((s) => s.jobs.some((j) => j.release))) return null;
  const live = new Map<string, string | null | undefined>();
  for (const s of r.stages) {
    const moves = s.jobs.some((j) => j.release);
    for (const j of s.jobs) {
      if (j.release) live.set(j.host, j.release.after);
      // A job the run did not wait for may have moved it: not known any more.
      else if (j.result === 'unknown' || (moves && !live.has(j.host))) live.set(j.host, undefined);
    }
  }
  const counts = new Map<string, number>();
  for (const id of live.values()) {
    const name = id === undefined ? 'unknown' : releaseName(id);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const known = [...counts].filter(([name]) => name !== 'unknown').sort((a, b) => b[1] - a[1]);
  const unknown = counts.get('unknown');
  const parts = known.map(([name, n]) => `${name} on ${plural(n, 'host')}`);
  if (unknown) parts.push(`unknown on ${plural(unknown, 'host')}`);
  return `now live: ${parts.join(', ')}`;
}

/** `≡ wave 2/4 · 5 hosts · gate ✔ passed · 0.4 s`: how a wave (and the gate after it) ended. */
export function waveLine(wave: WaveReport, total: number): string {
  const hosts = wave.hosts.length === 1 ? (wave.hosts[0] as string) : plural(wave.hosts.length, 'host');
  const parts = [`${WAVE_MARK} wave ${wave.index}/${total}`, hosts];
  const g = wave.gate;
  if (g) {
    const error = g.result === 'success' || !g.error ? '' : `: ${g.error}`;
    parts.push(`gate ${GATE_WORD[g.result]}${error}`, formatDuration(g.durationMs));
  }
  return parts.join(' · ');
}

/** Whether a wave is worth a line of its own: its stage has a gate, or batches. */
export function showsWave(wave: WaveReport, total: number): boolean {
  return wave.gate !== null || total > 2;
}

/**
 * `■ Ship: failure · 8 ok · 2 failed · 0 skipped · 1 cancelled · 12.0 s`: how a stage ended;
 * `■ Undo (when: failure): skipped · runs only when the release fails` for a stage that did not run.
 */
export function stageLine(s: StageReport): string {
  if (s.result === 'skipped' && s.jobs.length === 0 && s.reason) {
    return `■ ${stageName(s)}: skipped · ${s.reason}`;
  }
  const n = (r: JobResult): number => countJobs(s, r);
  const note = toleratedNote(s);
  const tolerated = note ? ` (${note})` : '';
  const cancelled =
    (n('cancelled') > 0 ? ` · ${n('cancelled')} cancelled` : '') +
    (n('unknown') > 0 ? ` · ${n('unknown')} unknown` : '');
  return (
    `■ ${stageName(s)}: ${stageOutcome(s)}${tolerated} · ${n('success')} ok · ${n('failure')} failed · ${n('skipped')} skipped` +
    `${cancelled} · ${formatDuration(s.durationMs)}`
  );
}

/** `exit code 1 — attempt 2 in 1.3 s`: a failed attempt and when the next one starts. */
export function retryLine(e: Extract<EngineEvent, { type: 'job-retry' }>): string {
  return `${e.error} — attempt ${e.attempt + 1} in ${formatDuration(e.delayMs)}`;
}

/** `verify: exit code 7 — attempt 3 in 1.0 s`: a verify attempt that did not pass, and the next. */
export function verifyRetryLine(e: Extract<EngineEvent, { type: 'verify-retry' }>): string {
  return `verify: ${e.error} — attempt ${e.attempt + 1} in ${formatDuration(e.delayMs)}`;
}

/** A warning as one text: `web-1: new host, accepted its key …`. */
export function warningText(e: Extract<EngineEvent, { type: 'warning' }>): string {
  return e.host ? `${e.host}: ${e.message}` : e.message;
}

export interface Tally {
  done: number;
  failed: number;
  running: number;
  total: number;
}

/** `37/100 done · 2 failed · 10 running` */
export function progressLine(t: Tally): string {
  return `${t.done}/${t.total} done · ${t.failed} failed · ${t.running} running`;
}

/** `… Ship · 37/100 done · 2 failed · 10 running · 20.0 s`: a stage still running. */
export function progressStatus(stage: string, t: Tally, elapsedMs?: number): string {
  return `… ${stage} · ${progressLine(t)}${elapsedMs === undefined ? '' : ` · ${formatDuration(elapsedMs)}`}`;
}

/**
 * `boerewors · runner deploy · release 20261128T010000Z`, with `DRY RUN` when nothing runs for real,
 * and the part (`shard 2/3`) when the run is one part of a release spread over several machines.
 */
export function runHeader(e: { runner: string; release: string; part?: RunPart }, dryRun: boolean): string {
  return [
    'boerewors',
    ...(dryRun ? ['DRY RUN'] : []),
    `runner ${e.runner}`,
    `release ${e.release}`,
    ...(e.part ? [partLabel(e.part)] : []),
  ].join(' · ');
}

/**
 * `Release success · runner deploy`; a dry run says `DRY RUN success (nothing was run)`, so its
 * every-host-succeeded log cannot pass for a release. A part says which (`· shard 2/3`), a merged
 * report what it was merged from.
 */
export function runFooter(
  r: Pick<RunReport, 'result' | 'runner' | 'part' | 'mergedFrom' | 'leftBehind'>,
  dryRun: boolean,
): string {
  const what = dryRun ? `DRY RUN ${r.result} (nothing was run)` : `Release ${r.result}`;
  const left = leftBehindText(r);
  return [what, ...(left ? [left] : []), `runner ${r.runner}`, ...partFacts(r)].join(' · ');
}

/** Hosts named in the left-behind line; the rest are counted. */
const LEFT_BEHIND_SHOWN = 5;

/**
 * `1 host left on its previous release: web-7 (failed at Distribute)`: who a release that
 * succeeded left behind; '' when nobody, or when the release did not succeed (its reason says more).
 */
export function leftBehindText(r: Pick<RunReport, 'result' | 'leftBehind'>): string {
  const left = r.leftBehind ?? [];
  if (r.result !== 'success' || left.length === 0) return '';
  const shown = left.slice(0, LEFT_BEHIND_SHOWN).map((l) => `${l.host} (failed at ${l.stage})`);
  if (left.length > LEFT_BEHIND_SHOWN) shown.push(`… ${left.length - LEFT_BEHIND_SHOWN} more`);
  const whose = left.length === 1 ? 'its' : 'their';
  return `${plural(left.length, 'host')} left on ${whose} previous release: ${shown.join(', ')}`;
}

/** `shard 2/3`, or `merged from canary-only, shard 1/2, shard 2/2`: what a report covers, when not a whole run. */
export function partFacts(r: Pick<RunReport, 'part' | 'mergedFrom'>): string[] {
  if (r.mergedFrom) return [`merged from ${r.mergedFrom.join(', ')}`];
  return r.part ? [partLabel(r.part)] : [];
}
