/**
 * The HTML report: one self-contained page of a release, for the CLI (`report html`, `run --html`)
 * and as an artifact of the action. Inline CSS and the SVG timeline (timeline-svg.ts), no script,
 * and a Content-Security-Policy that lets the page load nothing at all, so it opens the same
 * offline. Shows the headline, the timeline, the stages table, each stage's hosts table (folded,
 * in pages of `PAGE_ROWS`) and each failed host's last output. Everything from hosts or the config
 * is escaped: it shows as text. Bounded for large releases: output tails share `TAILS_BUDGET` bytes.
 * Pure.
 */
import type { JobReport, RunReport, StageReport } from '../engine/report/report.js';
import { escapeHtml } from './github-escape.js';
import { lastBytes } from './last-bytes.js';
import { offsetText } from './timeline.js';
import { renderTimelineSvg } from './timeline-svg.js';
import {
  countJobs,
  errorAtStep,
  exitText,
  formatDuration,
  leftBehindText,
  liveNowText,
  moveText,
  partFacts,
  plural,
  stageName,
  stageOutcome,
} from './vocabulary.js';

export interface HtmlReportOptions {
  /** The run used the dry-run transport: say so in the title. Default false. */
  dryRun?: boolean;
}

/** Rows per folded page of a stage's hosts table. */
export const PAGE_ROWS = 100;
/** A stage's hosts table is open at first when it has at most this many rows. */
const OPEN_ROWS = 20;
/** Bytes of output the failed hosts share; each shows at most `TAIL_MAX` of it. */
const TAILS_BUDGET = 2_500_000;
const TAIL_MAX = 8 * 1024;
const TAIL_MIN = 1024;
const WARNINGS_SHOWN = 20;

const HEADLINE = { success: 'Release succeeded', failure: 'Release failed', cancelled: 'Release cancelled' };
/** A coloured dot (CSS, no emoji font needed) before a result. */
const mark = (result: string): string => `<span class="dot r-${result}">●</span>`;

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d1d9e0;padding-bottom:4px}
.facts{color:#59636e}.live{font-weight:600}.reason{border-left:4px solid #cf222e;padding:4px 10px;background:#fff5f5}
.warning{border-left:4px solid #bf8700;padding:2px 10px;background:#fff8e5;margin:2px 0}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #d1d9e0;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right}.scroll{max-height:70vh;overflow:auto;border:1px solid #d1d9e0}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:400px;white-space:pre-wrap;word-break:break-all}
summary{cursor:pointer}.dot{font-size:12px}.dot.r-success{color:#2da44e}.dot.r-failure{color:#cf222e}.dot.r-cancelled,.dot.r-skipped,.dot.r-unknown{color:#8c959f}details{margin:4px 0}sub{color:#59636e}
svg.timeline{display:block;font:11px system-ui,sans-serif}
svg .band{fill:#f6f8fa}svg .stage-name{font-weight:600;fill:#1f2328}svg .host{text-anchor:end;fill:#59636e}
svg .axis{text-anchor:middle;fill:#59636e}svg .tick{stroke:#eaeef2}svg .note{fill:#59636e;font-style:italic}
svg .job.r-success{fill:#2da44e}svg .job.r-failure{fill:#cf222e}svg .job.r-cancelled,svg .job.r-unknown{fill:#8c959f}svg .job.r-skipped{fill:#d1d9e0}
svg .job.canary{stroke:#0969da;stroke-width:1.5}svg .gate{fill:#8250df;stroke:#fff}svg .gate.r-failure{fill:#cf222e}
svg .gate-line{stroke:#8250df;stroke-dasharray:2 2}svg .stage.way-out .band{fill:#fff8e5}
`;

export function renderHtmlReport(report: RunReport, options: HtmlReportOptions = {}): string {
  const svg = renderTimelineSvg(report);
  const timeline = svg
    ? `<div class="scroll">${svg}</div>\n<p class="facts">Green: succeeded, red: failed, grey: cancelled; a blue outline is the canary, a diamond a gate. Hover a bar for its host.</p>`
    : '<p class="facts">This report has no start times (it was written by an older version): no timeline.</p>';
  const left = leftBehindText(report);
  const title = `${options.dryRun ? 'DRY RUN · ' : ''}${HEADLINE[report.result]}${left ? ` · ${left}` : ''} · ${report.runner} · ${report.release}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    headline(report, options.dryRun ?? false),
    '<h2>Timeline</h2>',
    timeline,
    '<h2>Stages</h2>',
    stagesTable(report),
    '<h2>Hosts</h2>',
    ...report.stages.map((s, i) => hostsSection(s, i + 1, Date.parse(report.startedAt))),
    failuresSection(report),
    '</body></html>',
    '',
  ].join('\n');
}

function headline(r: RunReport, dryRun: boolean): string {
  const facts = [
    `runner <b>${escapeHtml(r.runner)}</b>`,
    `release <code>${escapeHtml(r.release)}</code>`,
    ...partFacts(r).map(escapeHtml),
    plural(r.stages.length, 'stage'),
    formatDuration(r.durationMs),
    `started ${escapeHtml(r.startedAt)}`,
  ];
  // Who the release left on their previous release, as the summary's headline says it.
  const left = leftBehindText(r);
  const lines = [
    `<h1>${mark(r.result)} ${dryRun ? 'DRY RUN · ' : ''}${HEADLINE[r.result]}${dryRun ? ' (nothing was run)' : ''}${left ? ` · ${escapeHtml(left)}` : ''}</h1>`,
    `<p class="facts">${facts.join(' · ')}</p>`,
  ];
  const live = liveNowText(r);
  if (live) lines.push(`<p class="live">${escapeHtml(live)}</p>`);
  if (r.reason) lines.push(`<p class="reason">${escapeHtml(r.reason)}</p>`);
  const warnings = r.warnings ?? [];
  for (const w of warnings.slice(0, WARNINGS_SHOWN)) lines.push(`<p class="warning">${escapeHtml(w)}</p>`);
  if (warnings.length > WARNINGS_SHOWN)
    lines.push(
      `<p class="warning">… ${plural(warnings.length - WARNINGS_SHOWN, 'more warning')} in the JSON report</p>`,
    );
  return lines.join('\n');
}

function table(header: readonly string[], rows: readonly string[][]): string {
  const head = `<tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr>`;
  return `<table>\n${head}\n${rows.map((r) => `<tr>${r.join('')}</tr>`).join('\n')}\n</table>`;
}

const td = (text: string, cls = ''): string => `<td${cls ? ` class="${cls}"` : ''}>${text}</td>`;

function stageResult(s: StageReport): string {
  const outcome = stageOutcome(s);
  return `${mark(outcome)} ${outcome}${s.tolerated ? ' (tolerated)' : ''}`;
}

function stagesTable(r: RunReport): string {
  if (r.stages.length === 0) return '<p><i>No stage ran.</i></p>';
  const rows = r.stages.map((s, i) => [
    td(String(i + 1), 'n'),
    td(escapeHtml(stageName(s))),
    td(stageResult(s)),
    td(String(countJobs(s, 'success')), 'n'),
    td(String(countJobs(s, 'failure')), 'n'),
    td(String(countJobs(s, 'skipped')), 'n'),
    td(String(countJobs(s, 'cancelled')), 'n'),
    td(s.canary === null ? '—' : escapeHtml(s.canary)),
    td(formatDuration(s.durationMs), 'n'),
    td(s.reason ? escapeHtml(s.reason) : '—'),
  ]);
  const header = [
    '#',
    'Stage',
    'Result',
    'OK',
    'Failed',
    'Skipped',
    'Cancelled',
    'Canary',
    'Duration',
    'Why',
  ];
  return table(header, rows);
}

const HOST_HEADER = ['Host', 'Result', 'Wave', 'Attempts', 'Started', 'Duration', 'Exit code', 'Error'];
/** The hosts table of a stage some host of which said what its release steps did (src/engine/report/release-move.ts). */
const RELEASE_HOST_HEADER = [...HOST_HEADER.slice(0, 2), 'Release', ...HOST_HEADER.slice(2)];

/** A host's row; `runStart` is the release's start (ms since the epoch), for the Started column. */
function hostRow(
  s: StageReport,
  j: JobReport,
  waveOf: ReadonlyMap<string, number>,
  runStart: number,
): string[] {
  const started =
    j.startedAtMs !== undefined && Number.isFinite(runStart)
      ? offsetText(Math.max(0, j.startedAtMs - runStart))
      : '—';
  const release = s.jobs.some((x) => x.release)
    ? [td(j.release ? escapeHtml(moveText(j.release)) : '—')]
    : [];
  return [
    td(`${escapeHtml(j.host)}${j.host === s.canary ? ' <sub>canary</sub>' : ''}`),
    td(`${mark(j.result)} ${j.result}`),
    ...release,
    td(String(waveOf.get(j.host) ?? '—'), 'n'),
    td(String(j.attempts), 'n'),
    td(started, 'n'),
    td(formatDuration(j.durationMs), 'n'),
    td(j.exitCode === null ? '—' : String(j.exitCode), 'n'),
    td(j.error && j.error !== j.result ? escapeHtml(errorAtStep(j) ?? '') : '—'),
  ];
}

/** A stage's hosts, folded: pages of `PAGE_ROWS` rows, each in its own `<details>`. */
function hostsSection(s: StageReport, index: number, runStart: number): string {
  const name = `${index}. ${escapeHtml(stageName(s))}`;
  if (s.jobs.length === 0) {
    const why = s.reason ? `: ${escapeHtml(s.reason)}` : '';
    return `<p><b>${name}</b> · <i>no jobs${why}</i></p>`;
  }
  const waveOf = new Map<string, number>();
  for (const w of s.waves ?? []) for (const h of w.hosts) if (!waveOf.has(h)) waveOf.set(h, w.index);
  const tally = `${countJobs(s, 'success')} ok, ${countJobs(s, 'failure')} failed, ${countJobs(s, 'skipped')} skipped, ${countJobs(s, 'cancelled')} cancelled`;
  const pages: string[] = [];
  for (let from = 0; from < s.jobs.length; from += PAGE_ROWS) {
    const rows = s.jobs.slice(from, from + PAGE_ROWS).map((j) => hostRow(s, j, waveOf, runStart));
    const body = table(s.jobs.some((j) => j.release) ? RELEASE_HOST_HEADER : HOST_HEADER, rows);
    if (s.jobs.length <= PAGE_ROWS) pages.push(body);
    else {
      const to = Math.min(s.jobs.length, from + PAGE_ROWS);
      pages.push(
        `<details class="page"${from === 0 ? ' open' : ''}><summary>hosts ${from + 1}–${to}</summary>\n${body}\n</details>`,
      );
    }
  }
  const open = s.jobs.length <= OPEN_ROWS ? ' open' : '';
  return `<details class="hosts"${open}><summary><b>${name}</b> · ${plural(s.jobs.length, 'host')}: ${tally}</summary>\n${pages.join('\n')}\n</details>`;
}

/** Each failed host's last output, as text; the tails share `TAILS_BUDGET` bytes. */
function failuresSection(r: RunReport): string {
  const failed = r.stages.flatMap((s) => s.jobs.filter((j) => j.result === 'failure').map((j) => ({ s, j })));
  if (failed.length === 0) return '';
  const each = Math.max(TAIL_MIN, Math.min(TAIL_MAX, Math.floor(TAILS_BUDGET / failed.length)));
  let left = TAILS_BUDGET;
  let leftOut = 0;
  const blocks = failed.map(({ s, j }, i) => {
    const facts = [
      exitText(j),
      plural(j.attempts, 'attempt'),
      formatDuration(j.durationMs),
      errorAtStep(j),
    ].filter((f): f is string => Boolean(f));
    const head = `${mark('failure')} <b>${escapeHtml(j.host)}</b> in ${escapeHtml(stageName(s))} · ${escapeHtml(facts.join(' · '))}`;
    const { text, linesLeftOut } = lastBytes(j.outputTail.replace(/\n+$/, ''), Math.min(each, left));
    if (left < TAIL_MIN) leftOut += 1;
    left -= Buffer.byteLength(text, 'utf8');
    const note = linesLeftOut > 0 ? `… ${plural(linesLeftOut, 'earlier line')} not shown\n` : '';
    const body = left < 0 || text === '' ? '(no output in this report)' : `${note}${text}`;
    return `<details${i < OPEN_ROWS ? ' open' : ''}><summary>${head}</summary>\n<pre>${escapeHtml(body)}</pre>\n</details>`;
  });
  const note =
    leftOut > 0
      ? `<p class="facts">The output of ${plural(leftOut, 'host')} was left out to keep this page small; the JSON report has it.</p>`
      : '';
  return [`<h2>Failed hosts (${failed.length})</h2>`, ...blocks, note].join('\n');
}
