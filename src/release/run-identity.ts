/** Who runs a release, and from where: for the lock's owner.json and the release history. */
import { createHash, randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';

export interface RunIdentity {
  /** GITHUB_ACTOR in Actions, else the OS user. */
  readonly who: string;
  /** The workflow run in Actions (`…/actions/runs/ID`), else ''. */
  readonly runUrl: string;
  /** This machine's host name. */
  readonly controller: string;
  readonly pid: number;
}

export function runIdentity(env: NodeJS.ProcessEnv = process.env): RunIdentity {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = env;
  const runUrl =
    GITHUB_REPOSITORY && GITHUB_RUN_ID
      ? `${GITHUB_SERVER_URL || 'https://github.com'}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`
      : '';
  return { who: env.GITHUB_ACTOR || osUser(env), runUrl, controller: hostname(), pid: process.pid };
}

/**
 * BW_RUN_ID: 16 hex digits naming this run in the release history, so `release: prepare` can tell
 * a retry of this run from another run that chose the same release id. Runs that share a lock
 * token (shards that re-enter one lock, a nested run) share it; so do runs given one `shared` name
 * (the parts of one workflow run, and their re-runs); any other run gets a fresh one.
 */
export function runId(lockToken: string | undefined, shared?: string): string {
  const seed = lockToken || shared;
  if (!seed) return randomBytes(8).toString('hex');
  return createHash('sha256').update(seed).digest('hex').slice(0, 16);
}

function osUser(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER || env.LOGNAME || 'unknown';
  }
}
