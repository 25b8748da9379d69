import type { LockReport } from '../contract/lock-report.js';
import type { JobReport, JobResult, RunReport, StageReport } from '../engine/report/report.js';
import {
  escapeCell,
  escapeHtml,
  escapeMarkdown,
  htmlTable,
  markdownLink,
  truncateText,
  utf8Bytes,
} from './github-escape.js';
import { lastBytes } from './last-bytes.js';
import { summaryTimeline } from './summary-timeline.js';
import { failedGates, hasVerify, renderWaves, verifyCell } from './summary-gates.js';
import {
  countJobs,
  exitText,
  formatDuration,
  leftBehindText,
  liveNowText,
  moveText,
  partFacts,
  plural,
  errorAtStep,
  stageName,
  stageOutcome,
  toleratedNote,
} from './vocabulary.js';

/** GitHub rejects a step summary larger than this. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;

export interface SummaryOptions {
  /** The run used the dry-run transport: say so in the headline. Default false. */
  dryRun?: boolean;
  /** Size cap of the rendered summary, in UTF-8 bytes. Default `SUMMARY_LIMIT_BYTES` less 8 KiB of headroom. */
  maxBytes?: number;
  /** Output shown per failed host: the last this many bytes, whole lines. Default 8 KiB. */
  tailBytes?: number;
  /** A stage's host table with more rows than this is collapsed in `<details>`. Default 10. */
  collapseOver?: number;
}

const DEFAULTS = {
  dryRun: false,
  maxBytes: SUMMARY_LIMIT_BYTES - 8 * 1024,
  tailBytes: 8 * 1024,
  collapseOver: 10,
};
/** Room kept for the truncation note. */
const NOTE_RESERVE = 512;
/** No failure block is smaller than this. */
const MIN_BLOCK = 100;

const RUN_HEADLINE = {
  success: '✅ Release succeeded',
  failure: '❌ Release failed',
  cancelled: '🚫 Release cancelled',
} as const;
const DRY_RUN_HEADLINE = {
  success: '🧪 DRY RUN succeeded (nothing was run)',
  failure: '❌ DRY RUN failed (nothing was run)',
  cancelled: '🚫 DRY RUN cancelled (nothing was run)',
} as const;
const JOB_MARK: Record<JobResult, string> = {
  success: '✅',
  failure: '❌',
  skipped: '⏭️',
  cancelled: '🚫',
  unknown: '❔',
};
/** Warnings quoted under the headline; the JSON report has them all. */
const WARNINGS_SHOWN = 10;

/**
 * The job summary of a run, as Markdown with HTML tables: a headline, a table of stages, then per
 * stage a table of hosts (collapsed when large) and the output tail of each failed host. Pure: the
 * same report gives the same text. Everything that comes from hosts or the config is escaped, and
 * the whole stays under `maxBytes`: when it would not, the output tails go first, then host rows,
 * and a note says what was left out.
 */
export function renderSummary(report: RunReport, options: SummaryOptions = {}): string {
  const opts = { ...DEFAULTS, ...options };
  const head = [
    renderHeadline(report, opts.dryRun),
    summaryTimeline(report, opts.maxBytes),
    renderStageTable(report),
  ]
    .filter(Boolean)
    .join('\n');
  const headings = report.stages.map(
    (s, i) => `### ${i + 1}. ${escapeMarkdown(stageName(s))} · ${stageResultText(s)}\n${renderWaves(s)}`,
  );
  let left =
    opts.maxBytes - NOTE_RESERVE - utf8Bytes(head) - headings.reduce((n, h) => n + utf8Bytes(h) + 1, 0);

  // Output tails of failed hosts matter most after the tables of results: they are placed first.
  let tailsLeftOut = 0;
  const failures = report.stages.map((s) =>
    [...failedJobs(s), ...failedGates(s)].flatMap((j) => {
      // Once the budget is spent, the rest are counted without rendering them.
      const block = left > MIN_BLOCK ? renderFailure(j, opts.tailBytes) : '';
      if (block === '' || utf8Bytes(block) + 1 > left) {
        tailsLeftOut += 1;
        return [];
      }
      left -= utf8Bytes(block) + 1;
      return [block];
    }),
  );

  let rowsLeftOut = 0;
  const tables = report.stages.map((s) => {
    const table = renderHostTable(s, opts.collapseOver, left);
    left -= utf8Bytes(table.text) + 1;
    rowsLeftOut += table.rowsLeftOut;
    return table.text;
  });

  const parts = [head];
  report.stages.forEach((_, i) => parts.push(headings[i] ?? '', tables[i] ?? '', ...(failures[i] ?? [])));
  if (tailsLeftOut > 0 || rowsLeftOut > 0) parts.push(truncationNote(tailsLeftOut, rowsLeftOut));
  return `${parts.filter(Boolean).join('\n')}\n`;
}

/** The summary of a release that never started (bad input or config): the reason, verbatim. */
export function renderStartFailure(message: string): string {
  return `## ❌ Release did not start\n\n<pre>${escapeHtml(truncateText(message, 4000))}</pre>\n`;
}

function renderHeadline(r: RunReport, dryRun: boolean): string {
  const left = leftBehindText(r);
  const title =
    (dryRun ? DRY_RUN_HEADLINE : RUN_HEADLINE)[r.result] + (left ? ` · ${escapeMarkdown(left)}` : '');
  const facts = [
    `Runner **${escapeMarkdown(r.runner)}**`,
    `release \`${escapeHtml(r.release).replace(/`/g, '')}\``,
    ...partFacts(r).map(escapeMarkdown),
    plural(r.stages.length, 'stage'),
    formatDuration(r.durationMs),
    `started ${escapeMarkdown(r.startedAt)}`,
  ];
  const lines = [`## ${title}`, '', facts.join(' · '), ''];
  const live = liveNowText(r);
  if (live) lines.push(escapeMarkdown(live), '');
  const lock = renderLock(r.lock);
  if (lock) lines.push(lock, '');
  if (r.reason) lines.push(`> ${escapeMarkdown(truncateText(r.reason, 1000))}`, '');
  const warnings = r.warnings ?? [];
  for (const w of warnings.slice(0, WARNINGS_SHOWN))
    lines.push(`> ⚠️ ${escapeMarkdown(truncateText(w, 300))}`);
  if (warnings.length > WARNINGS_SHOWN) {
    lines.push(`> ⚠️ … ${plural(warnings.length - WARNINGS_SHOWN, 'more warning')} in the JSON report`);
  }
  if (warnings.length > 0) lines.push('');
  return lines.join('\n');
}

/**
 * The deploy lock, when it kept the run from starting (or was taken over from a stale holder):
 * who holds it, since when, and a link to their run, before the reason's long form.
 */
function renderLock(lock: LockReport | undefined): string {
  if (!lock || !['refused', 'taken-over', 'failed'].includes(lock.state)) return '';
  const name = `deploy lock \`${escapeHtml(lock.name).replace(/`/g, '')}\` on ${escapeMarkdown(lock.host)}`;
  if (lock.state === 'failed') return `🔒 The ${name} could not be asked: nothing ran.`;
  const holder = [
    lock.heldBy ? `**${escapeMarkdown(lock.heldBy)}**` : 'an unknown holder',
    lock.since ? `since ${escapeMarkdown(lock.since)}` : '',
    markdownLink('their run', lock.runUrl).replace(/^.+$/, '($&)'),
  ]
    .filter(Boolean)
    .join(' ');
  return lock.state === 'refused'
    ? `🔒 The ${name} is held by ${holder}: nothing ran.`
    : `⚠️ The ${name} was stale and taken over from ${holder}.`;
}

function stageResultText(s: StageReport): string {
  if (stageOutcome(s) === 'cancelled') return '🚫 cancelled';
  if (stageOutcome(s) === 'unknown') return '❔ unknown (the run did not wait for its end)';
  if (s.result === 'failure' && s.tolerated) return `⚠️ failure (${toleratedNote(s) ?? ''})`;
  if (s.result === 'success' && countJobs(s, 'failure') > 0) return '⚠️ success (failures within budget)';
  return { success: '✅ success', failure: '❌ failure', skipped: '⏭️ skipped', unknown: '❔ unknown' }[
    s.result
  ];
}

function renderStageTable(r: RunReport): string {
  if (r.stages.length === 0) return '_No stage ran._\n';
  const withCancelled = r.stages.some((s) => countJobs(s, 'cancelled') > 0);
  const header = [
    '#',
    'Stage',
    'Result',
    'OK',
    'Failed',
    'Skipped',
    ...(withCancelled ? ['Cancelled'] : []),
    'Canary',
    'Duration',
  ];
  const rows = r.stages.map((s, i) => [
    String(i + 1),
    escapeCell(stageName(s)),
    stageResultText(s),
    String(countJobs(s, 'success')),
    String(countJobs(s, 'failure')),
    String(countJobs(s, 'skipped')),
    ...(withCancelled ? [String(countJobs(s, 'cancelled'))] : []),
    canaryCell(s),
    formatDuration(s.durationMs),
  ]);
  return `${htmlTable(header, rows)}\n`;
}

function canaryCell(s: StageReport): string {
  if (s.canary !== null) return escapeCell(s.canary);
  return s.canaryLeftOut ? `${escapeCell(s.canaryLeftOut)} <sub>canary-only run</sub>` : '—';
}

const HOST_HEADER = ['Host', 'Result', 'Attempts', 'Duration', 'Exit code', 'Error'];

function hostRow(stage: StageReport, j: JobReport): string[] {
  const host = escapeCell(j.host) + (j.host === stage.canary ? ' <sub>canary</sub>' : '');
  const row = [
    host,
    `${JOB_MARK[j.result]} ${j.result}`,
    String(j.attempts),
    formatDuration(j.durationMs),
    j.exitCode === null ? '—' : String(j.exitCode),
    j.error && j.error !== j.result ? escapeCell(truncateText(errorAtStep(j) ?? '', 200)) : '—',
  ];
  if (hasVerify(stage)) row.splice(3, 0, verifyCell(j));
  if (hasRelease(stage)) row.splice(2, 0, j.release ? escapeCell(moveText(j.release)) : '—');
  return row;
}

/** Some host of the stage said what its release steps did: the table gets a Release column. */
function hasRelease(stage: StageReport): boolean {
  return stage.jobs.some((j) => j.release);
}

/** The host table of a stage, with as many rows as `budget` bytes allow. */
function renderHostTable(
  stage: StageReport,
  collapseOver: number,
  budget: number,
): { text: string; rowsLeftOut: number } {
  if (stage.jobs.length === 0) {
    const why =
      stage.result === 'skipped' && stage.reason ? `Skipped: ${escapeMarkdown(stage.reason)}.` : 'No jobs.';
    return { text: `_${why}_\n`, rowsLeftOut: 0 };
  }
  const rows = stage.jobs.map((j) => hostRow(stage, j));
  const header = [...HOST_HEADER];
  if (hasVerify(stage)) header.splice(3, 0, 'Verify');
  if (hasRelease(stage)) header.splice(2, 0, 'Release');
  const wrap = (shown: readonly string[][], leftOut: number): string => {
    const extra =
      leftOut > 0
        ? [
            [
              `… ${plural(leftOut, 'more host')} left out (summary size limit)`,
              ...header.slice(1).map(() => ''),
            ],
          ]
        : [];
    const table = htmlTable(header, [...shown, ...extra]);
    if (stage.jobs.length <= collapseOver) return `${table}\n`;
    const tally = [
      `${countJobs(stage, 'success')} ok`,
      `${countJobs(stage, 'failure')} failed`,
      `${countJobs(stage, 'skipped')} skipped`,
    ];
    if (countJobs(stage, 'cancelled') > 0) tally.push(`${countJobs(stage, 'cancelled')} cancelled`);
    return `<details><summary>${plural(stage.jobs.length, 'host')}: ${tally.join(', ')}</summary>\n\n${table}\n\n</details>\n`;
  };
  const full = wrap(rows, 0);
  if (utf8Bytes(full) + 1 <= budget) return { text: full, rowsLeftOut: 0 };
  // Too big: keep failed hosts' rows before the others, as many as fit.
  const order = rows
    .map((row, i) => ({ row, failed: stage.jobs[i]?.result === 'failure' }))
    .sort((a, b) => Number(b.failed) - Number(a.failed))
    .map((x) => x.row);
  let shown = 0;
  let used = utf8Bytes(wrap([], rows.length));
  for (const row of order) {
    const size = utf8Bytes(htmlTable([], [row])) - utf8Bytes('<table>\n\n</table>');
    if (used + size + 1 > budget) break;
    used += size + 1;
    shown += 1;
  }
  if (used > budget) return { text: '', rowsLeftOut: rows.length };
  return { text: wrap(order.slice(0, shown), rows.length - shown), rowsLeftOut: rows.length - shown };
}

function failedJobs(s: StageReport): JobReport[] {
  return s.jobs.filter((j) => j.result === 'failure');
}

/** A failed host: what happened in one line, its last output in a collapsed `<pre>`. */
function renderFailure(j: JobReport, tailBytes: number): string {
  const facts = [
    exitText(j),
    plural(j.attempts, 'attempt'),
    formatDuration(j.durationMs),
    j.error ? truncateText(errorAtStep(j) ?? '', 300) : null,
  ].filter((f): f is string => f !== null);
  const title = `❌ <b>${escapeCell(j.host)}</b> · ${escapeCell(facts.join(' · '))}`;
  const { text, linesLeftOut } = lastBytes(j.outputTail.replace(/\n+$/, ''), tailBytes);
  const note = linesLeftOut > 0 ? `… ${plural(linesLeftOut, 'earlier line')} not shown\n` : '';
  const body = text === '' ? '(no output)' : `${note}${text}`;
  return `<details><summary>${title}</summary>\n\n<pre>${escapeHtml(body)}</pre>\n\n</details>\n`;
}

function truncationNote(tails: number, rows: number): string {
  const what = [
    tails > 0 ? `the output of ${plural(tails, 'failed host')}` : null,
    rows > 0 ? plural(rows, 'host row') : null,
  ].filter(Boolean);
  return (
    `> **Note:** this summary was shortened to stay under GitHub's 1 MiB limit: ${what.join(' and ')} left out. ` +
    'Every host is in the JSON report (output `report`) and in the log.\n'
  );
}
