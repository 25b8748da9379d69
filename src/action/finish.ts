/** How the action ends a run, a merge, or a release that never started: report, outputs, summary, exit code. */
import { log } from './log.js';
import * as core from '@actions/core';
import { isAbsolute } from 'node:path';
import { ConfigNotFoundError } from '../config/index.js';
import { errorMessage } from '../contract/errors.js';
import type { RunReport } from '../engine/report/report.js';
import { exitCodeOf, exitCodeOfError } from '../pipeline/exit-codes.js';
import { renderStartFailure, renderSummary } from '../reporters/github-summary.js';
import { htmlPathBeside, writeHtmlReport } from '../reporters/html-file.js';
import { failedHosts } from '../reporters/json.js';
import { writeOutputs } from './outputs.js';

export interface Ending {
  dryRun: boolean;
  /** Where the JSON report goes. */
  reportPath: string;
  /** Writes the JSON report to that path. */
  writeReport: (path: string) => Promise<void>;
  /** The GitHub deployment recorded, if any. */
  deploymentId?: number | undefined;
}

/** The JSON report, the outputs, the job summary and the step's failure; returns the exit code. */
export async function finish(report: RunReport, ending: Ending): Promise<number> {
  let reportPath = ending.reportPath;
  try {
    await ending.writeReport(reportPath);
  } catch (e) {
    // The outputs and the summary matter more than the file: report the problem and go on.
    log.warning(`Could not write the JSON report: ${errorMessage(e)}`);
    reportPath = '';
  }
  const htmlReportPath = reportPath ? await writeHtml(htmlPathBeside(reportPath), report, ending.dryRun) : '';
  writeOutputs(core.setOutput, {
    result: report.result,
    failedHosts: failedHosts(report),
    reportPath,
    htmlReportPath,
    releaseId: report.release,
    deploymentId: ending.deploymentId,
  });
  await writeSummary(renderSummary(report, { dryRun: ending.dryRun }));
  if (report.result !== 'success') log.setFailed(failureLine(report));
  return exitCodeOf(report);
}

/** The HTML report beside the JSON one (output `html-report`); '' when it could not be written. */
async function writeHtml(path: string, report: RunReport, dryRun: boolean): Promise<string> {
  try {
    await writeHtmlReport(path, report, { dryRun });
    return path;
  } catch (e) {
    log.warning(`Could not write the HTML report: ${errorMessage(e)}`);
    return '';
  }
}

/** For a config that is not there: the usual cause in a workflow is a job without actions/checkout. */
export function checkoutHint(error: unknown, settings: { configPath?: string }): string {
  return error instanceof ConfigNotFoundError && !isAbsolute(settings.configPath ?? '')
    ? '. The config input is relative to the workspace: is the repository checked out (actions/checkout) before this step?'
    : '';
}

/** Bad input or config: nothing ran. Outputs and summary still say so. */
export async function notStarted(error: unknown, message: string): Promise<number> {
  writeOutputs(core.setOutput, { result: 'failure', failedHosts: [], reportPath: '', releaseId: '' });
  await writeSummary(renderStartFailure(message));
  log.setFailed(message);
  return exitCodeOfError(error);
}

export async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    await core.summary.addRaw(markdown).write();
  } catch (e) {
    log.warning(`Could not write the job summary: ${errorMessage(e)}`);
  }
}

/** One line for `setFailed`: the run's reason, else who failed. */
export function failureLine(report: RunReport): string {
  const what = report.result === 'cancelled' ? 'Release cancelled' : 'Release failed';
  const hosts = failedHosts(report);
  const detail =
    report.reason ??
    (hosts.length > 0
      ? `${hosts.length} failed: ${hosts.slice(0, 5).join(', ')}${hosts.length > 5 ? ', …' : ''}`
      : '');
  return `${what}${detail ? `: ${detail.split('\n')[0]}` : ''}`;
}
