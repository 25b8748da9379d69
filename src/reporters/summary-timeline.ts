/**
 * The job summary's picture of the release: the Mermaid gantt (mermaid-timeline.ts) under the
 * headline. Left out when the report has no times; and when it is too big even drawn by waves, or
 * would take more than a quarter of the summary's size budget (the tables and failures come
 * first), one line says it was left out and why.
 */
import type { RunReport } from '../engine/report/report.js';
import { utf8Bytes } from './github-escape.js';
import { mermaidTimeline } from './mermaid-timeline.js';
import { grouped } from './vocabulary.js';

export function summaryTimeline(report: RunReport, maxBytes: number): string {
  const { block, leftOut } = mermaidTimeline(report);
  if (leftOut) return leftOutLine(leftOut);
  const budget = Math.floor(maxBytes / 4);
  if (block !== '' && utf8Bytes(block) > budget) {
    const size = `${grouped(utf8Bytes(block))} bytes`;
    return leftOutLine(`it is ${size}, over the ${grouped(budget)} kept for it in this summary`);
  }
  return block;
}

function leftOutLine(why: string): string {
  return `_The timeline is left out: ${why}. The HTML report (the action's \`html-report\` output) draws it._\n`;
}
