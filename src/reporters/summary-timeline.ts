/**
 * The job summary's picture of the release: the Mermaid gantt (mermaid-timeline.ts) under the
 * headline, left out when the report has no times, or when it would take more than a quarter of
 * the summary's size budget (the tables and failures come first).
 */
import type { RunReport } from '../engine/report/report.js';
import { renderMermaidTimeline } from './mermaid-timeline.js';

export function summaryTimeline(report: RunReport, maxBytes: number): string {
  const block = renderMermaidTimeline(report);
  if (block === '' || Buffer.byteLength(block, 'utf8') > maxBytes / 4) return '';
  return block;
}
