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

/** What names a run in the release history: `run` and `attempt` on every history line. */
export interface RunIds {
  /** BW_RUN_ID: 16 hex digits; `release: prepare` keeps a release prepared under the same one. */
  readonly run: string;
  /** BW_RUN_ATTEMPT: 16 hex digits; `release: undo` reverts only a switch made under the same one. */
  readonly attempt: string;
}

/**
 * BW_RUN_ID and BW_RUN_ATTEMPT. Inside GitHub Actions the run follows the workflow run
 * (GITHUB_RUN_ID, which "Re-run failed jobs" and "Re-run all jobs" keep), so a re-run can finish
 * a release its first attempt prepared; the attempt follows GITHUB_RUN_ATTEMPT, which a re-run
 * changes and every job and step of one attempt shares. Outside Actions the parts of a sharded
 * release follow their release id (which every part, and a re-run of one, must be given), a run
 * that re-enters a lock follows its token, and any other run is new; the attempt is the run's.
 */
export function runIds(
  env: NodeJS.ProcessEnv,
  given: { lockToken?: string | undefined; part: boolean; release: string },
): RunIds {
  const { GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_REPOSITORY } = env;
  if (GITHUB_RUN_ID && /^\d+$/.test(GITHUB_RUN_ID)) {
    const run = `github:${GITHUB_REPOSITORY ?? ''}/${GITHUB_RUN_ID}`;
    return { run: digest(run), attempt: digest(`${run}/${GITHUB_RUN_ATTEMPT || '1'}`) };
  }
  const seed = given.part ? `release:${given.release}` : given.lockToken;
  const run = seed ? digest(seed) : randomBytes(8).toString('hex');
  return { run, attempt: seed ? randomBytes(8).toString('hex') : run };
}

function digest(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 16);
}

function osUser(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER || env.LOGNAME || 'unknown';
  }
}
