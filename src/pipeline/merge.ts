/**
 * `boerewors report merge` and the action's merge mode: the report files of a sharded release's
 * parts (the canary-only job and the shards), found, read, checked and merged into one report.
 * Nothing runs; the exit code is the merged result's.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError, errorMessage } from '../contract/errors.js';
import type { RunReport } from '../engine/report/report.js';
import type { JsonReport } from '../reporters/json.js';
import { fromJsonReport, parseJsonReport } from '../reporters/json-read.js';
import { mergeReports } from '../reporters/merge-reports.js';

export interface MergedRelease {
  /** The merged JSON report, as it is written (keys the merge does not know kept). */
  json: JsonReport;
  /** The same, for the reporters. */
  report: RunReport;
  /** The report files merged, in the order given (directories expanded). */
  files: string[];
}

/**
 * Merges the reports at `paths`: files, or directories whose `.json` files (at any depth) are
 * reports, as `actions/download-artifact` leaves them. Throws a UsageError for a path that does
 * not exist, a file that is not a report, or reports that are not parts of one release.
 */
export async function mergeReportFiles(
  paths: readonly string[],
  cwd = process.cwd(),
): Promise<MergedRelease> {
  if (paths.length === 0) throw new UsageError('no report files given to merge');
  const files: string[] = [];
  for (const path of paths) files.push(...(await reportFilesAt(path, cwd)));
  const unique = [...new Set(files)];
  if (unique.length === 0) {
    throw new UsageError(`no report files (*.json) in ${paths.join(', ')}`);
  }
  const parts = [];
  for (const file of unique) {
    let text: string;
    try {
      text = await readFile(resolve(cwd, file), 'utf8');
    } catch (e) {
      throw new UsageError(`${file}: cannot read it: ${errorMessage(e)}`);
    }
    parts.push({ file, report: parseJsonReport(text, file) });
  }
  const json = mergeReports(parts);
  return { json, report: fromJsonReport(json), files: unique };
}

async function reportFilesAt(path: string, cwd: string): Promise<string[]> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(resolve(cwd, path))).isDirectory();
  } catch {
    throw new UsageError(`${path}: no such file or directory`);
  }
  if (!isDirectory) return [path];
  const entries = await readdir(resolve(cwd, path), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => join(e.parentPath, e.name))
    .map((file) => (isAbsolute(path) ? file : relative(cwd, file)))
    .sort();
}
