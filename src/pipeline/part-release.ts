/**
 * The release id of one part of a sharded release. The canary-only job and every shard must run
 * with one release id (BW_RELEASE): it names the release on every host, and the merge refuses
 * reports of different ids. A release id given by the user wins. Otherwise, inside GitHub Actions,
 * every part takes the workflow run's id, which all jobs of one run share (a re-run of a failed
 * shard included); anywhere else there is nothing shared to take, so a part without one is refused
 * before anything runs (a dry run excepted: it names no release on any host).
 */
import { UsageError } from '../contract/errors.js';
import { runPartOf } from './run-part-of.js';
import { sourceLabel, type ReleaseSettings } from './settings.js';

/** The release id every part of one GitHub workflow run shares: `run-<GITHUB_RUN_ID>`. */
export function workflowRunReleaseId(env: NodeJS.ProcessEnv): string | undefined {
  const id = env.GITHUB_RUN_ID;
  return id && /^\d+$/.test(id) ? `run-${id}` : undefined;
}

/**
 * `settings.release`, or for a part of a sharded release run in GitHub Actions the workflow run's
 * id; undefined for a whole release without one (the engine's default then). Throws a UsageError
 * for a part with no release id to share.
 */
export function releaseIdOf(
  settings: Pick<ReleaseSettings, 'release' | 'shard' | 'canaryOnly' | 'dryRun' | 'sources'>,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (settings.release) return settings.release;
  const part = runPartOf(settings);
  if (!part) return undefined;
  const fromRun = workflowRunReleaseId(env);
  // A dry run shows the plan of one part; it names no release on any host.
  if (fromRun || settings.dryRun) return fromRun;
  const { shard, canaryOnly } = settings.sources;
  const given = part.kind === 'canary' ? canaryOnly : shard;
  throw new UsageError(
    `${given ? sourceLabel(given) : part.kind === 'canary' ? 'canary-only' : 'shard'}: the parts of a sharded release ` +
      'must share one release id, and outside GitHub Actions (no GITHUB_RUN_ID) there is none to share: ' +
      'give every part the same release id (--release-id)',
  );
}
