/**
 * The release's timeline as a Mermaid `gantt` for the job summary (GitHub renders Mermaid there):
 * a section per stage, a bar per job that started (the canary first) at its real start and end, the
 * gate after each wave as a milestone, failed jobs `crit`, a skipped stage with why, a stage on the
 * way out marked. Times are ms after the release's start (`dateFormat x`). Pure.
 *
 * Names are free text and Mermaid reads some characters as syntax (`:` ends a task's name, `#` and
 * `;` its data, `%%` starts a comment, a backtick fence ends the code block), so those are written as
 * Mermaid's entity codes (`web-1:22` is `web-1#58;22`), which it draws as the character typed, and
 * every task name starts with a mark, so no name is read as a keyword (`title`, `section`, `click`…).
 */
import type { RunReport } from '../engine/report/report.js';
import { timelineOf, wayOutNote, type TimelineBar, type TimelineStage } from './timeline.js';
import { grouped, plural } from './vocabulary.js';

export interface MermaidOptions {
  /** A stage with more bars than this is drawn by its waves. Default 60. */
  maxBarsPerStage?: number;
  /** Past this many characters, every stage is drawn by its waves. Default 40,000. */
  maxChars?: number;
}

/**
 * Mermaid's entity codes (`#58;` is drawn as `:`) for each character it could read as syntax: `#`
 * itself (so that a typed `#58;` stays as typed), and `¶` and `ﬂ`, which Mermaid uses to carry
 * entity codes through its parser.
 */
const ENTITY: Readonly<Record<string, string>> = Object.fromEntries(
  [...'#:;%"\'`{}<>\\¶ﬂ'].map((c) => [c, `#${c.codePointAt(0)};`]),
);
const LABEL_MAX = 80;

/**
 * A name as Mermaid shows it, the name itself: one line, not empty, bounded, with every character
 * Mermaid reads as syntax written as its entity code.
 */
export function mermaidText(text: string): string {
  const one = text
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x1f\x7f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const cut = [...one];
  const bounded = cut.length > LABEL_MAX ? `${cut.slice(0, LABEL_MAX - 1).join('')}…` : one;
  // One pass, so the `#` of a code written here is not escaped again.
  return bounded === '' ? '(unnamed)' : bounded.replace(/[#:;%"'`{}<>\\¶ﬂ]/g, (c) => ENTITY[c] ?? c);
}

export interface MermaidTimeline {
  /** The fenced `mermaid` block; '' when there is none. */
  block: string;
  /**
   * Why the report's timeline was not drawn, as a sentence (too big even by waves); '' when it was,
   * or when there is nothing to draw (an older report without times, no stage ran).
   */
  leftOut: string;
}

/** The gantt as a fenced `mermaid` block, or why it was left out. */
export function mermaidTimeline(report: RunReport, options: MermaidOptions = {}): MermaidTimeline {
  const timeline = timelineOf(report);
  if (!timeline.hasTimes || timeline.stages.length === 0) return { block: '', leftOut: '' };
  const maxBars = options.maxBarsPerStage ?? 60;
  const maxChars = options.maxChars ?? 40_000;
  let text = gantt(timeline.stages, timeline.durationMs, maxBars);
  if (text.length > maxChars) text = gantt(timeline.stages, timeline.durationMs, 0);
  if (text.length > maxChars) {
    const chars = `${grouped(text.length)} characters`;
    const limit = grouped(maxChars);
    return {
      block: '',
      leftOut: `even with every stage drawn by its waves, its Mermaid text is ${chars}, over the ${limit} a diagram may have`,
    };
  }
  return { block: `\`\`\`mermaid\n${text}\`\`\`\n`, leftOut: '' };
}

/**
 * The gantt as a fenced `mermaid` block, or '' when the report has no times (an older report), no
 * stage ran, or it is too big even drawn by waves.
 */
export function renderMermaidTimeline(report: RunReport, options: MermaidOptions = {}): string {
  return mermaidTimeline(report, options).block;
}

function gantt(stages: readonly TimelineStage[], durationMs: number, maxBars: number): string {
  const lines = [
    'gantt',
    '  dateFormat x',
    `  axisFormat ${durationMs >= 3_600_000 ? '%H:%M:%S' : '%M:%S'}`,
    '  todayMarker off',
  ];
  for (const s of stages) {
    lines.push(`  section ${sectionName(s)}`);
    lines.push(...stageTasks(s, maxBars).map((t) => `  ${t}`));
  }
  return `${lines.join('\n')}\n`;
}

function sectionName(s: TimelineStage): string {
  const wayOut = wayOutNote(s);
  return mermaidText(`${s.index}. ${s.name}${wayOut ? ` (${wayOut})` : ''}`);
}

/**
 * `Name :tags, start, end`. A milestone when `end` is null, or given as `[start, end]` (Mermaid
 * draws it half-way); a bar lasts at least 1 ms, so that it is drawn.
 */
function task(
  label: string,
  tags: readonly string[],
  start: number,
  end: number | null,
  milestone = false,
): string {
  const from = Math.round(start);
  const to = end === null ? from : Math.max(milestone ? from : from + 1, Math.round(end));
  const t = end === null || milestone ? [...tags, 'milestone'] : tags;
  return `${mermaidText(label)} :${[...t, String(from), String(to)].join(', ')}`;
}

const MARK = { success: '✔', failure: '✘', skipped: '–', cancelled: '⊘', unknown: '?' } as const;

function stageTasks(s: TimelineStage, maxBars: number): string[] {
  if (s.bars.length === 0) {
    const why = s.reason ?? (s.outcome === 'skipped' ? 'no jobs' : s.outcome);
    return [
      task(`${MARK.skipped} ${s.outcome}: ${why}`, s.outcome === 'failure' ? ['crit'] : [], s.startMs, null),
    ];
  }
  const tasks =
    s.bars.length > maxBars
      ? waveTasks(s)
      : s.bars.map((b) => task(barLabel(b), barTags(b), b.startMs, b.endMs));
  if (s.bars.length <= maxBars) tasks.push(...gateTasks(s));
  if (s.notStarted > 0) {
    const why = s.reason ? `: ${s.reason}` : '';
    tasks.push(task(`${MARK.skipped} ${plural(s.notStarted, 'host')} not started${why}`, [], s.endMs, null));
  }
  return tasks;
}

function barLabel(b: TimelineBar): string {
  return `${MARK[b.result]} ${b.host}${b.canary ? ' (canary)' : ''}`;
}

function barTags(b: TimelineBar): string[] {
  if (b.result === 'failure') return ['crit'];
  if (b.result === 'cancelled' || b.result === 'unknown') return ['active'];
  return ['done'];
}

/** A stage with many hosts: a bar per wave, with its host count and failures, then its gate. */
function waveTasks(s: TimelineStage): string[] {
  const tasks = s.waves.flatMap((w) => {
    const failed = w.failed > 0 ? `, ${w.failed} failed` : '';
    const label = `${w.failed > 0 ? MARK.failure : MARK.success} wave ${w.index} (${plural(w.hosts, 'host')}${failed})`;
    return [task(label, w.failed > 0 ? ['crit'] : ['done'], w.startMs, w.endMs), ...gateOf(w)];
  });
  const inWaves = s.waves.reduce((n, w) => n + w.hosts, 0);
  const rest = s.bars.filter((b) => b.wave === null);
  if (rest.length > 0 && inWaves < s.bars.length) {
    const failed = rest.filter((b) => b.result === 'failure').length;
    const label = `${failed > 0 ? MARK.failure : MARK.success} ${plural(rest.length, 'host')}${failed > 0 ? `, ${failed} failed` : ''}`;
    const start = Math.min(...rest.map((b) => b.startMs));
    const end = Math.max(...rest.map((b) => b.endMs));
    tasks.push(task(label, failed > 0 ? ['crit'] : ['done'], start, end));
  }
  return tasks;
}

function gateTasks(s: TimelineStage): string[] {
  return s.waves.flatMap(gateOf);
}

function gateOf(w: TimelineStage['waves'][number]): string[] {
  if (!w.gate) return [];
  const mark = w.gate.result === 'success' ? MARK.success : MARK.failure;
  const label = `${mark} gate after wave ${w.index}: ${w.gate.result}`;
  return [task(label, w.gate.result === 'success' ? [] : ['crit'], w.gate.startMs, w.gate.endMs, true)];
}
