/**
 * What the job summary shows of a stage's verify and gates: a Verify cell per host, the table of
 * waves with the gate after each, and a failed gate shaped as a failed job for its output block.
 */
import type { GateReport, JobReport, StageReport, WaveReport } from '../engine/report/report.js';
import { escapeCell, htmlTable, truncateText } from './github-escape.js';
import { formatDuration, plural } from './vocabulary.js';

/** Hosts named in a wave's cell; the rest are counted. */
const WAVE_HOSTS_SHOWN = 5;

/** A stage whose jobs ran a verify gets a column for it. */
export function hasVerify(stage: StageReport): boolean {
  return stage.jobs.some((j) => j.verify !== undefined);
}

/** `✅ 3 attempts · 2.1 s`: how a host's verify went. */
export function verifyCell(j: JobReport): string {
  if (!j.verify) return '—';
  const mark = { success: '✅', failure: '❌', cancelled: '🚫' }[j.verify.result];
  return `${mark} ${plural(j.verify.attempts, 'attempt')} · ${formatDuration(j.verify.durationMs)}`;
}

/** The waves of a stage with a gate or batches, and the gate after each; '' for a plain stage. */
export function renderWaves(s: StageReport): string {
  const waves = s.waves ?? [];
  if (!s.gate && waves.length <= 2) return '';
  const rows = waves.map((w) => [String(w.index), waveHosts(w), gateCell(w.gate)]);
  return `${htmlTable(['Wave', 'Hosts', 'Gate'], rows)}\n`;
}

function waveHosts(w: WaveReport): string {
  const shown = w.hosts.slice(0, WAVE_HOSTS_SHOWN).map(escapeCell).join(', ');
  return w.hosts.length > WAVE_HOSTS_SHOWN ? `${shown}, … (${plural(w.hosts.length, 'host')})` : shown;
}

function gateCell(g: GateReport | null): string {
  if (!g) return '—';
  const mark = { success: '✅ passed', failure: '❌ failed', cancelled: '🚫 cancelled' }[g.result];
  const error = g.result !== 'success' && g.error ? `: ${escapeCell(truncateText(g.error, 200))}` : '';
  return `${mark}${error} · ${formatDuration(g.durationMs)}`;
}

/** A failed gate, shaped as a failed job (`gate after wave 2`) for its failure block. */
export function failedGates(s: StageReport): JobReport[] {
  return (s.waves ?? []).flatMap((w) => {
    const g = w.gate;
    if (g?.result !== 'failure') return [];
    return [{ ...g, host: `gate after wave ${w.index}`, result: 'failure' as const, attempts: 1 }];
  });
}
