/**
 * The action's merge mode (input `merge-reports`): the JSON reports of a sharded release's jobs,
 * downloaded as artifacts, merged into one report, one log, one job summary, the outputs and the
 * exit code of the whole release. Nothing runs and nothing connects.
 */
import { log } from './log.js';
import * as glob from '@actions/glob';
import { UsageError } from '../contract/errors.js';
import { mergeReportFiles, type MergedRelease } from '../pipeline/merge.js';
import { GitHubLogReporter } from '../reporters/github-log.js';
import { writeJsonReportFile } from '../reporters/json.js';
import { replayReport } from '../reporters/replay.js';
import { partFacts } from '../reporters/vocabulary.js';
import { GitHubDeployment } from './deployment.js';
import { finish } from './finish.js';
import { Inputs, type DeploymentInputs } from './inputs.js';

/** Merges the reports the patterns match; throws a UsageError when they match none or do not fit together. */
export async function mergeReportsInput(patterns: readonly string[], cwd: string): Promise<MergedRelease> {
  const globber = await glob.create(patterns.join('\n'), { matchDirectories: false });
  const files = (await globber.glob()).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) {
    throw new UsageError(
      `Input "${Inputs.MergeReports}": no report file (*.json) matches ${patterns.join(', ')}: ` +
        'did actions/download-artifact run before this step, into that path?',
    );
  }
  return mergeReportFiles(files, cwd);
}

/** Tells the merged release like a run, and ends the step with its result. */
export async function finishMerge(
  merged: MergedRelease,
  reportPath: string,
  deploymentInputs: DeploymentInputs | undefined,
): Promise<number> {
  const { json, report, files } = merged;
  log.info(`Merging ${files.length} reports: ${files.join(', ')}`);
  const deployment =
    deploymentInputs && !json.dryRun
      ? GitHubDeployment.start(
          deploymentInputs,
          { runner: report.runner, release: report.release, part: partFacts(report).join(' ') },
          (m) => log.warning(m),
        )
      : undefined;
  const reporter = new GitHubLogReporter(log, { dryRun: json.dryRun });
  for (const event of replayReport(report)) reporter.onEvent(event);
  reporter.close();
  const deploymentId = await deployment?.finish(report.result, report.reason ?? `${report.result}`);
  return finish(report, {
    dryRun: json.dryRun,
    reportPath,
    writeReport: (path) => writeJsonReportFile(path, json),
    deploymentId,
  });
}
