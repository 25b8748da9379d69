import * as core from '@actions/core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ConfigNotFoundError } from '../config/index.js';
import type { RunReport } from '../engine/report.js';
import { BoereworsError, errorMessage } from '../contract/errors.js';
import { executeRelease, prepareRelease, type PreparedRelease } from '../release.js';
import { GitHubLogReporter } from '../report/github-log.js';
import { renderStartFailure, renderSummary } from '../report/github-summary.js';
import { failedHosts, writeJsonReport } from '../report/json.js';
import { Redactor } from '../report/redact.js';
import type { ReleaseSettings } from '../settings.js';
import { Cancellation } from '../cancellation.js';
import { readInputs } from './inputs.js';
import { writeOutputs } from './outputs.js';
import { PartialReport } from '../report/partial-report.js';
import { maskableValues } from './secrets.js';

/** Same codes as the CLI. */
export const EXIT = { success: 0, failure: 1, usage: 2, cancelled: 130 } as const;

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
    const inputs = readInputs();
    // Before anything else is printed: from here on the runner masks these in every log line.
    for (const value of maskableValues(inputs.secrets)) core.setSecret(value);
    redactor = new Redactor(inputs.secrets);
    settings = inputs.settings;
  } catch (e) {
    return notStarted(e, errorMessage(e));
  }

  let prepared: PreparedRelease;
  try {
    settings = { ...settings, reportPath: await newReportPath() };
    prepared = await prepareRelease(settings, cwd);
  } catch (e) {
    const hint =
      e instanceof ConfigNotFoundError && !isAbsolute(settings.configPath ?? '')
        ? '. The config input is relative to the workspace: is the repository checked out (actions/checkout) before this step?'
        : '';
    return notStarted(e, redactor.text(errorMessage(e)) + hint);
  }
  if (settings.dryRun) core.info('Dry run: the plan is printed, nothing connects and nothing runs.');

  const log = new GitHubLogReporter(core, { dryRun: settings.dryRun });
  const partial = new PartialReport(prepared.runner.name);
  let report: RunReport;
  try {
    const running = executeRelease(settings, prepared, {
      signal: cancellation.signal,
      onEvent: (e) => {
        partial.onEvent(e);
        log.onEvent(e);
      },
    });
    report = (await cancellation.race(running)) ?? partial.snapshot(cancelReason(cancellation.signal));
  } catch (e) {
    report = partial.snapshot(redactor.text(errorMessage(e)), 'failure');
  }
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
  if (report.result === 'success') return EXIT.success;
  core.setFailed(failureLine(report));
  return report.result === 'cancelled' ? EXIT.cancelled : EXIT.failure;
}

/** Bad input or config: nothing ran. Outputs and summary still say so. */
async function notStarted(error: unknown, message: string): Promise<number> {
  writeOutputs(core.setOutput, { result: 'failure', failedHosts: [], reportPath: '' });
  await writeSummary(renderStartFailure(message));
  core.setFailed(message);
  const usage = error instanceof BoereworsError && (error.kind === 'usage' || error.kind === 'config');
  return usage ? EXIT.usage : EXIT.failure;
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

function cancelReason(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : 'cancelled';
}

/** A cancelled run's reason names what cancelled it (`… (cancelled by SIGTERM)`). */
function withCause(report: RunReport, signal: AbortSignal): RunReport {
  if (report.result !== 'cancelled' || !signal.aborted) return report;
  const cause = cancelReason(signal);
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
