import * as core from '@actions/core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ConfigNotFoundError } from '../config/index.js';
import { cancelMessage } from '../contract/abort.js';
import { errorMessage } from '../contract/errors.js';
import type { RunReport } from '../engine/report.js';
import { Cancellation } from '../release/cancellation.js';
import { EXIT, exitCodeOf, exitCodeOfError } from '../release/exit-codes.js';
import { loadRelease, runRelease, type LoadedRelease } from '../release/pipeline.js';
import { maskableValues, Redactor, secretValues } from '../release/secrets.js';
import type { ReleaseSettings } from '../release/settings.js';
import { GitHubLogReporter } from '../reporters/github-log.js';
import { renderStartFailure, renderSummary } from '../reporters/github-summary.js';
import { failedHosts, writeJsonReport } from '../reporters/json.js';
import { readInputs } from './inputs.js';
import { writeOutputs } from './outputs.js';

/**
 * The action's entrypoint: runs the release and sets `process.exitCode`, then returns, so a caller
 * such as `@github/local-action` can go on (it prints the outputs after `run()`). Every connection
 * and timer is closed by then and the process ends on its own; `index.ts` guards against a leak.
 * Only a cancelled run whose commands did not stop in time is ended with `process.exit()`.
 */
export async function run(): Promise<void> {
  const cancellation = new Cancellation(undefined, (message) =>
    core.warning(`Release ${message}: stopping…`),
  );
  const stopListening = cancellation.listen();
  let code: number;
  try {
    code = await runAction(cancellation);
  } catch (e) {
    // Only a bug gets here: every expected failure is reported inside runAction.
    core.setFailed(`boerewors: ${errorMessage(e)}`);
    code = EXIT.failure;
  }
  process.exitCode = code;
  // The engine still holds those commands and their connections: nothing else would end the process.
  if (cancellation.abandoned) process.exit(code);
  stopListening();
}

/** Inputs → settings → release → log, annotations, report, outputs, summary. Returns the exit code. */
export async function runAction(cancellation: Cancellation, cwd = process.cwd()): Promise<number> {
  let settings: ReleaseSettings;
  let redactor: Redactor;
  try {
    settings = readInputs();
    const secrets = secretValues(settings);
    // Before anything else is printed: from here on GitHub masks these in every log line.
    for (const value of maskableValues(secrets)) core.setSecret(value);
    redactor = new Redactor(secrets);
  } catch (e) {
    return notStarted(e, errorMessage(e));
  }

  let loaded: LoadedRelease;
  try {
    settings = { ...settings, reportPath: await newReportPath() };
    loaded = await loadRelease(settings, { cwd, redactor });
  } catch (e) {
    const hint =
      e instanceof ConfigNotFoundError && !isAbsolute(settings.configPath ?? '')
        ? '. The config input is relative to the workspace: is the repository checked out (actions/checkout) before this step?'
        : '';
    return notStarted(e, redactor.text(errorMessage(e)) + hint);
  }
  if (settings.dryRun) core.info('Dry run: the plan is printed, nothing connects and nothing runs.');

  const log = new GitHubLogReporter(core, { dryRun: settings.dryRun });
  const { report } = await runRelease(settings, loaded, { cancellation, onEvent: log.onEvent });
  log.close();
  return finish(withCause(report, cancellation.signal), settings);
}

async function finish(report: RunReport, settings: ReleaseSettings): Promise<number> {
  let reportPath = settings.reportPath ?? '';
  try {
    await writeJsonReport(reportPath, report, { dryRun: settings.dryRun });
  } catch (e) {
    // The outputs and the summary matter more than the file: report the problem and go on.
    core.warning(`Could not write the JSON report: ${errorMessage(e)}`);
    reportPath = '';
  }
  writeOutputs(core.setOutput, { result: report.result, failedHosts: failedHosts(report), reportPath });
  await writeSummary(renderSummary(report, { dryRun: settings.dryRun }));
  if (report.result !== 'success') core.setFailed(failureLine(report));
  return exitCodeOf(report);
}

/** Bad input or config: nothing ran. Outputs and summary still say so. */
async function notStarted(error: unknown, message: string): Promise<number> {
  writeOutputs(core.setOutput, { result: 'failure', failedHosts: [], reportPath: '' });
  await writeSummary(renderStartFailure(message));
  core.setFailed(message);
  return exitCodeOfError(error);
}

async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    await core.summary.addRaw(markdown).write();
  } catch (e) {
    core.warning(`Could not write the job summary: ${errorMessage(e)}`);
  }
}

/** A fresh directory under RUNNER_TEMP per run: two uses of the action in one job never collide. */
async function newReportPath(): Promise<string> {
  const dir = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'boerewors-'));
  return join(dir, 'report.json');
}

/** A cancelled run's reason names what cancelled it (`… (cancelled by SIGTERM)`). */
function withCause(report: RunReport, signal: AbortSignal): RunReport {
  if (report.result !== 'cancelled' || !signal.aborted) return report;
  const cause = cancelMessage(signal);
  const reason = report.reason ?? '';
  if (reason.includes(cause)) return report;
  return { ...report, reason: reason ? `${reason} (${cause})` : cause };
}

/** One line for `setFailed`: the run's reason, else who failed. */
function failureLine(report: RunReport): string {
  const what = report.result === 'cancelled' ? 'Release cancelled' : 'Release failed';
  const hosts = failedHosts(report);
  const detail =
    report.reason ??
    (hosts.length > 0
      ? `${hosts.length} failed: ${hosts.slice(0, 5).join(', ')}${hosts.length > 5 ? ', …' : ''}`
      : '');
  return `${what}${detail ? `: ${detail.split('\n')[0]}` : ''}`;
}
