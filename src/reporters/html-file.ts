/** Writes the HTML report (html-report.ts) of a run, creating its directory. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunReport } from '../engine/report/report.js';
import { renderHtmlReport, type HtmlReportOptions } from './html-report.js';

export async function writeHtmlReport(
  path: string,
  report: RunReport,
  options: HtmlReportOptions = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderHtmlReport(report, options), { mode: 0o644 });
}

/** Where the HTML report of a JSON report goes by default: beside it, `.json` made `.html`. */
export function htmlPathBeside(jsonPath: string): string {
  return `${jsonPath.replace(/\.json$/i, '')}.html`;
}
