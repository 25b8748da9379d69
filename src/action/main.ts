import { log } from './log.js';
import * as core from '@actions/core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cancelMessage } from '../contract/abort.js';
import { errorMessage } from '../contract/errors.js';
import type { EventListener } from '../engine/report/events.js';
import type { RunReport } from '../engine/report/report.js';
import { partLabel } from '../engine/report/run-part.js';
import { Cancellation } from '../pipeline/cancellation.js';
import { EXIT } from '../pipeline/exit-codes.js';
import type { MergedRelease } from '../pipeline/merge.js';
import { loadRelease, runRelease, type LoadedRelease } from '../pipeline/pipeline.js';
import { runPartOf } from '../pipeline/run-part-of.js';
import { maskableValues, Redactor, secretValues } from '../pipeline/secrets.js';
import type { ReleaseSettings } from '../pipeline/settings.js';
import { GitHubLogReporter } from '../reporters/github-log.js';
import { writeJsonReport } from '../reporters/json.js';
import { GitHubDeployment } from './deployment.js';
import { checkoutHint, finish, notStarted } from './finish.js';
import {
  readDeploymentInputs,
  readInput,
  readInputs,
  readMergeReports,
  type DeploymentInputs,
} from './inputs.js';
import { readLockMode, runLockMode, type LockMode } from './lock-mode.js';
import { finishMerge, mergeReportsInput } from './merge-mode.js';

/**
 * GitHub sends SIGINT when a run is cancelled and SIGTERM 7.5 s later: the step aims to have
 * reported, released its lock and closed its deployment within this much of the SIGINT.
 */
const STEP_CANCEL_LIMIT_MS = 4_700;

/**
 * The action's entrypoint: runs the release and sets `process.exitCode`, then returns, so a caller
 * such as `@github/local-action` can go on (it prints the outputs after `run()`). Every connection
 * and timer is closed by then and the process ends on its own; `index.ts` guards against a leak.
 * Only a cancelled run whose commands did not stop in time is ended with `process.exit()`.
 */
export async function run(): Promise<void> {
  const cancellation = new Cancellation(undefined, (message) => log.warning(`Release ${message}: stopping…`));
  const stopListening = cancellation.listen();
  let code: number;
  try {
    code = await runAction(cancellation);
  } catch (e) {
    // Only a bug gets here: every expected failure is reported inside runAction.
    log.setFailed(`boerewors: ${errorMessage(e)}`);
    code = EXIT.failure;
  }
  process.exitCode = code;
  // The engine still holds those commands and their connections: nothing else would end the process.
  if (cancellation.abandoned) process.exit(code);
  stopListening();
}

/**
 * Inputs → settings → release → log, annotations, report, outputs, summary; or, with
 * `merge-reports`, the merge of a sharded release's reports; or, with `lock`, the deploy lock
 * taken or released by hand. Returns the exit code.
 */
export async function runAction(cancellation: Cancellation, cwd = process.cwd()): Promise<number> {
  let settings: ReleaseSettings;
  let redactor: Redactor;
  let deploymentInputs: DeploymentInputs | undefined;
  let mergePatterns: string[] | undefined;
  let lockMode: LockMode | undefined;
  try {
    deploymentInputs = readDeploymentInputs();
    mergePatterns = readMergeReports();
    lockMode = mergePatterns ? undefined : readLockMode();
    settings = mergePatterns
      ? { vars: {}, secretVars: {}, dryRun: false, sources: {} }
      : readInputs(readInput, process.env, cwd);
    const secrets = [...secretValues(settings), ...(deploymentInputs ? [deploymentInputs.token] : [])];
    // Before anything else is printed: from here on GitHub masks these in every log line.
    for (const value of maskableValues(secrets)) core.setSecret(value);
    redactor = new Redactor(secrets);
  } catch (e) {
    return notStarted(e, errorMessage(e));
  }
  if (mergePatterns) return runMerge(mergePatterns, cwd, deploymentInputs);
  if (lockMode) return runLockMode(lockMode, settings, redactor, { cwd, signal: cancellation.signal });

  let loaded: LoadedRelease;
  try {
    settings = { ...settings, reportPath: await newReportPath(reportFileName(settings)) };
    loaded = await loadRelease(settings, { cwd, redactor });
  } catch (e) {
    return notStarted(e, redactor.text(errorMessage(e)) + checkoutHint(e, settings));
  }
  if (settings.dryRun) log.info('Dry run: the plan is printed, nothing connects and nothing runs.');

  const reporter = new GitHubLogReporter(log, { dryRun: settings.dryRun });
  const recorder = deploymentRecorder(deploymentInputs, settings);
  const outcome = await runRelease(settings, loaded, {
    cancellation,
    onEvent: (e) => {
      recorder.onEvent(e);
      reporter.onEvent(e);
    },
  });
  reporter.close();
  const report = withCause(outcome.report, cancellation.signal);
  // After a cancel the engine (way-out stages, then its commands stopping) and the lock release
  // have used part of the 5 s the step gets: the deployment's last status has what is left.
  const deploymentId = await recorder.deployment?.finish(
    report.result,
    report.reason ?? `release ${report.release}: ${report.result}`,
    cancellation.timeLeft(STEP_CANCEL_LIMIT_MS),
  );
  const { dryRun, reportPath = '' } = settings;
  return finish(report, {
    dryRun,
    reportPath,
    writeReport: (path) => writeJsonReport(path, report, { dryRun }),
    deploymentId,
  });
}

async function runMerge(
  patterns: readonly string[],
  cwd: string,
  deploymentInputs: DeploymentInputs | undefined,
): Promise<number> {
  let merged: MergedRelease;
  try {
    merged = await mergeReportsInput(patterns, cwd);
  } catch (e) {
    return notStarted(e, errorMessage(e));
  }
  return finishMerge(merged, await newReportPath('report.json'), deploymentInputs);
}

/**
 * Starts the GitHub deployment when the run starts (its release id is known then), without
 * holding the release up. A dry run deploys nothing, so it records none.
 */
function deploymentRecorder(
  inputs: DeploymentInputs | undefined,
  settings: ReleaseSettings,
): { onEvent: EventListener; deployment?: GitHubDeployment } {
  const recorder: { onEvent: EventListener; deployment?: GitHubDeployment } = { onEvent: () => {} };
  if (!inputs) return recorder;
  if (settings.dryRun) {
    log.info(`Dry run: no GitHub deployment to ${inputs.environment} is recorded.`);
    return recorder;
  }
  const part = runPartOf(settings);
  recorder.onEvent = (e) => {
    if (e.type !== 'run-start' || recorder.deployment) return;
    const facts = { runner: e.runner, release: e.release, ...(part ? { part: partLabel(part) } : {}) };
    recorder.deployment = GitHubDeployment.start(inputs, facts, (m) => log.warning(m));
  };
  return recorder;
}

/** A fresh directory under RUNNER_TEMP per run: two uses of the action in one job never collide. */
async function newReportPath(name: string): Promise<string> {
  const dir = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'boerewors-'));
  return join(dir, name);
}

/**
 * `report.json`, or for a part of a sharded release `report-canary.json`, `report-shard-2-of-4.json`:
 * the parts' artifacts can be downloaded into one directory (download-artifact's merge-multiple)
 * without one report overwriting another.
 */
function reportFileName(settings: ReleaseSettings): string {
  const part = runPartOf(settings);
  if (!part) return 'report.json';
  return part.kind === 'canary' ? 'report-canary.json' : `report-shard-${part.index}-of-${part.count}.json`;
}

/** A cancelled run's reason names what cancelled it (`… (cancelled by SIGTERM)`). */
function withCause(report: RunReport, signal: AbortSignal): RunReport {
  if (report.result !== 'cancelled' || !signal.aborted) return report;
  const cause = cancelMessage(signal);
  const reason = report.reason ?? '';
  if (reason.includes(cause)) return report;
  return { ...report, reason: reason ? `${reason} (${cause})` : cause };
}
