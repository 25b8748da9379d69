/**
 * The release's timeline as inline SVG for the HTML report, drawn here (no chart library): per
 * stage a band, a bar per job that started (the canary first) with a hover title, the gate after
 * each wave as a diamond, a skipped stage with why. A stage of up to `ROWS_MAX` jobs gets a row per
 * host, named; a bigger one packs its bars into lanes (as many as ran at once), its height bounded,
 * so a 1,000-host stage stays a few hundred pixels tall. Every bar has the class `job`. Pure.
 */
import { escapeHtml } from './github-escape.js';
import { offsetText, timelineOf, wayOutNote, type TimelineBar, type TimelineStage } from './timeline.js';
import type { RunReport } from '../engine/report/report.js';
import { formatDuration, plural } from './vocabulary.js';

const WIDTH = 1000;
const LABEL = 230;
const PLOT = WIDTH - LABEL - 50;
const ROW = 16;
const HEAD = 22;
const AXIS = 24;
/** Past this many jobs a stage's bars are packed into lanes, without a name per row. */
export const ROWS_MAX = 60;
/** The lanes of a packed stage share at most this height. */
const PACKED_MAX = 240;

/** `''` when the report has no times (written before they were recorded). */
export function renderTimelineSvg(report: RunReport): string {
  const timeline = timelineOf(report);
  if (!timeline.hasTimes || timeline.stages.length === 0) return '';
  const span = Math.max(1, timeline.durationMs);
  const x = (ms: number): number => LABEL + (Math.min(ms, span) / span) * PLOT;
  const parts: string[] = [];
  let y = AXIS;
  for (const s of timeline.stages) {
    const drawn = stageSvg(s, y, x);
    parts.push(drawn.svg);
    y += drawn.height + 6;
  }
  const height = y + 4;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="Timeline of the release">`,
    axisSvg(span, x, height),
    ...parts,
    '</svg>',
  ].join('\n');
}

function axisSvg(span: number, x: (ms: number) => number, height: number): string {
  const step = tickStep(span);
  const ticks: string[] = [];
  for (let t = 0; t <= span; t += step) {
    const at = x(t).toFixed(1);
    ticks.push(
      `<line class="tick" x1="${at}" y1="${AXIS - 4}" x2="${at}" y2="${height}"/>` +
        `<text class="axis" x="${at}" y="${AXIS - 8}">${escapeHtml(offsetText(t))}</text>`,
    );
  }
  return ticks.join('\n');
}

/** About 8 ticks, on a round number of ms. */
function tickStep(span: number): number {
  const rough = span / 8;
  const steps = [
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5,
  ];
  return steps.find((s) => s >= rough) ?? 36e5;
}

function stageSvg(s: TimelineStage, top: number, x: (ms: number) => number): { svg: string; height: number } {
  const wayOut = wayOutNote(s);
  const title = `${s.index}. ${s.name}${wayOut ? ` (${wayOut})` : ''}`;
  const facts = [s.outcome, plural(s.bars.length, 'job'), formatDuration(s.endMs - s.startMs)];
  if (s.notStarted > 0) facts.push(`${s.notStarted} not started`);
  const out = [
    `<g class="stage s-${s.outcome}${wayOut ? ' way-out' : ''}">`,
    `<rect class="band" x="0" y="${top}" width="${WIDTH}" height="${HEAD - 2}"/>`,
    `<text class="stage-name" x="4" y="${top + 15}">${escapeHtml(clip(title, 60))} · ${escapeHtml(facts.join(' · '))}</text>`,
  ];
  let height = HEAD;
  if (s.bars.length === 0) {
    const why = s.reason ?? 'no jobs';
    out.push(
      `<text class="note" x="${LABEL}" y="${top + HEAD + 12}">${escapeHtml(`${s.outcome}: ${clip(why, 120)}`)}</text>`,
    );
    height += ROW;
  } else {
    const body = s.bars.length <= ROWS_MAX ? rowsSvg(s, top + HEAD, x) : lanesSvg(s, top + HEAD, x);
    out.push(body.svg);
    height += body.height;
  }
  for (const w of s.waves) if (w.gate) out.push(gateSvg(w.index, w.gate, top + HEAD, height - HEAD, x));
  out.push('</g>');
  return { svg: out.join('\n'), height };
}

function rowsSvg(s: TimelineStage, top: number, x: (ms: number) => number): { svg: string; height: number } {
  const svg = s.bars.map((b, i) => {
    const y = top + i * ROW;
    const name = `${b.host}${b.canary ? ' (canary)' : ''}`;
    return (
      `<text class="host" x="${LABEL - 6}" y="${y + 12}">${escapeHtml(clip(name, 34))}</text>` +
      barSvg(b, y + 2, ROW - 4, x)
    );
  });
  return { svg: svg.join('\n'), height: s.bars.length * ROW };
}

/** Bars packed into lanes, first fit by start time: a lane holds bars that did not overlap. */
function lanesSvg(s: TimelineStage, top: number, x: (ms: number) => number): { svg: string; height: number } {
  const order = [...s.bars].sort((a, b) => a.startMs - b.startMs);
  const laneEnds: number[] = [];
  const laneOf = new Map<TimelineBar, number>();
  for (const b of order) {
    let lane = laneEnds.findIndex((end) => end <= b.startMs);
    if (lane === -1) lane = laneEnds.push(0) - 1;
    laneEnds[lane] = Math.max(b.endMs, b.startMs + 1);
    laneOf.set(b, lane);
  }
  const lanes = laneEnds.length;
  const pitch = Math.max(1, Math.min(ROW, PACKED_MAX / lanes));
  const height = Math.ceil(lanes * pitch) + 4;
  const label = `${plural(s.bars.length, 'job')} in ${plural(lanes, 'lane')} (hover for hosts)`;
  const svg = [`<text class="host" x="${LABEL - 6}" y="${top + 12}">${escapeHtml(label)}</text>`];
  for (const b of s.bars) {
    const y = top + 2 + (laneOf.get(b) ?? 0) * pitch;
    svg.push(barSvg(b, y, Math.max(1, pitch - (pitch > 4 ? 2 : 0)), x));
  }
  return { svg: svg.join('\n'), height };
}

function barSvg(b: TimelineBar, y: number, h: number, x: (ms: number) => number): string {
  const x0 = x(b.startMs);
  const w = Math.max(2, x(b.endMs) - x0);
  const facts = [
    `${b.host}${b.canary ? ' (canary)' : ''}`,
    b.result,
    ...(b.wave !== null ? [`wave ${b.wave}`] : []),
    `${offsetText(b.startMs)} → ${offsetText(b.endMs)} (${formatDuration(b.endMs - b.startMs)})`,
    ...(b.attempts > 1 ? [plural(b.attempts, 'attempt')] : []),
    ...(b.error && b.error !== b.result ? [clip(b.error, 200)] : []),
  ];
  return (
    `<rect class="job r-${b.result}${b.canary ? ' canary' : ''}" x="${x0.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}">` +
    `<title>${escapeHtml(facts.join(' · '))}</title></rect>`
  );
}

function gateSvg(
  wave: number,
  gate: NonNullable<TimelineStage['waves'][number]['gate']>,
  top: number,
  height: number,
  x: (ms: number) => number,
): string {
  const cx = x((gate.startMs + gate.endMs) / 2);
  const cy = top + Math.min(height, ROW * 3) / 2;
  const r = 6;
  const points = `${cx},${cy - r} ${cx + r},${cy} ${cx},${cy + r} ${cx - r},${cy}`;
  const facts = [`gate after wave ${wave}`, gate.result, formatDuration(gate.endMs - gate.startMs)];
  if (gate.error) facts.push(clip(gate.error, 200));
  return (
    `<line class="gate-line" x1="${cx.toFixed(1)}" y1="${top}" x2="${cx.toFixed(1)}" y2="${top + height}"/>` +
    `<polygon class="gate r-${gate.result}" points="${points}"><title>${escapeHtml(facts.join(' · '))}</title></polygon>`
  );
}

function clip(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
