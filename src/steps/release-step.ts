/**
 * What the `releases:` block adds to a job: BW_RELEASES_PATH and BW_RELEASE_PATH in every step's
 * environment, and the `release:` steps as commands on the job's host (release-dir-scripts.ts).
 */
import { randomBytes } from 'node:crypto';
import { homedir, userInfo } from 'node:os';
import { checkText } from '../engine/model/check.js';
import { Job, type JobContext } from '../engine/model/job.js';
import type { Check } from '../engine/model/stage.js';
import { remote, type ExecTask } from '../engine/model/subtask.js';
import { expandVars } from '../engine/model/vars.js';
import { releaseCommand, releasesPathOn } from './release-dir-scripts.js';
import { releaseScriptTimeoutMs, type ReleaseAction, type ReleaseDirs } from './release-dirs.js';

/**
 * Stands in for BW_RUN_ID (and BW_RUN_ATTEMPT) when a release runs without the pipeline (a library user's Executor):
 * one per process, so the retries of one run are still told from another run.
 */
const PROCESS_RUN_ID = randomBytes(8).toString('hex');

/** BW_RELEASES_PATH and BW_RELEASE_PATH for this job's host. */
export function releasePaths(dirs: ReleaseDirs, ctx: JobContext): Record<string, string> {
  const expanded = expandVars(dirs.path, ctx.env, 'releases.path');
  const path = releasesPathOn(expanded, ctx.host.local, homedir());
  return { BW_RELEASES_PATH: path, BW_RELEASE_PATH: `${path}/releases/${ctx.release}` };
}

/**
 * A stage's `verify` command with BW_RELEASES_PATH and BW_RELEASE_PATH in its environment, as its
 * steps have them: a check that looks at `$BW_RELEASES_PATH/current` works the same in both.
 */
export function checkWithReleasePaths(check: ExecTask, dirs: ReleaseDirs): Check {
  const label = check.label ?? `verify: ${checkText(check)}`;
  return (host) =>
    Job.of(
      host,
      async function* (ctx) {
        yield { ...check, label, env: { ...check.env, ...releasePaths(dirs, ctx) } };
      },
      'check',
    );
}

/** The command of one `release:` step on the job's host (the Executor checked the release id). */
export function releaseStepTask(
  action: ReleaseAction,
  dirs: ReleaseDirs,
  ctx: JobContext,
  paths: Readonly<Record<string, string>>,
  label: string,
): ExecTask {
  const { script, env, summary } = releaseCommand(action, {
    path: paths.BW_RELEASES_PATH as string,
    release: ctx.release,
    keep: dirs.keep,
    shared: dirs.shared,
    entry: {
      run: historyRun(ctx),
      attempt: hex(ctx.env.BW_RUN_ATTEMPT) ?? hex(ctx.env.BW_RUN_ID) ?? PROCESS_RUN_ID,
      time: new Date().toISOString(),
      who: ctx.env.BW_ACTOR || osUser(),
      runUrl: ctx.env.BW_RUN_URL ?? '',
    },
  });
  // These print where `current` went (src/engine/report/release-move.ts): the job's report says it.
  const reportsRelease = action === 'switch' || action === 'rollback' || action === 'undo';
  return remote(script, {
    env: { ...paths, ...env },
    label,
    summary,
    reportsRelease,
    timeoutMs: releaseScriptTimeoutMs(dirs),
  });
}

/** The run as the history records it (BW_RUN_ID, or this process's stand-in). */
export function historyRun(ctx: JobContext): string {
  return hex(ctx.env.BW_RUN_ID) ?? PROCESS_RUN_ID;
}

function hex(value: string | undefined): string | undefined {
  return value && /^[0-9a-f]+$/.test(value) ? value : undefined;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
