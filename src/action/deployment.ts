/**
 * The release as a GitHub deployment (input `github-deployment: ENVIRONMENT`), so it shows on the
 * repository's Deployments and Environments pages: a deployment of the workflow's commit, a status
 * `in_progress` linking to the run, then `success`, `failure`, or `error` when cancelled.
 *
 * Recording a release must never change it: every API error (no permission, no network, GitHub
 * down) is a warning, and each call has a deadline so a hanging API cannot hold the job.
 */
import { getOctokit } from '@actions/github';
import { untilAborted } from '../contract/abort.js';
import type { RunResult } from '../engine/report/report.js';
import type { DeploymentInputs } from './inputs.js';

/** Per API call. */
const CALL_TIMEOUT_MS = 10_000;
/** A cancelled run's last status, all calls included: the step must end within 5 s of the cancel. */
const CANCELLED_BUDGET_MS = 1_000;
/** GitHub refuses a status description longer than this. */
const MAX_DESCRIPTION = 140;

/** What the deployment records about the run. */
export interface DeploymentFacts {
  runner: string;
  release: string;
  /** `shard 2/3`, `merged from …`: set when the run is not a whole release. */
  part?: string;
}

type Octokit = ReturnType<typeof getOctokit>;
type FinalState = 'success' | 'failure' | 'error';

/**
 * One deployment's life. `start` creates it and sets `in_progress` in the background, so the
 * release does not wait for the API; `finish` waits for that, then sets the final state.
 */
export class GitHubDeployment {
  #id: Promise<number | undefined>;
  /** Aborted when `finish` stops waiting: no request of ours outlives the step. */
  readonly #gaveUp = new AbortController();

  private constructor(
    private readonly octokit: Octokit,
    private readonly repo: { owner: string; repo: string },
    private readonly inputs: DeploymentInputs,
    private readonly runUrl: string | undefined,
    private readonly warn: (message: string) => void,
    facts: DeploymentFacts,
    sha: string,
  ) {
    this.#id = this.#create(facts, sha);
  }

  /** Starts recording; undefined (with a warning) when the workflow's environment lacks what it needs. */
  static start(
    inputs: DeploymentInputs,
    facts: DeploymentFacts,
    warn: (message: string) => void,
    env: NodeJS.ProcessEnv = process.env,
  ): GitHubDeployment | undefined {
    const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
    const sha = env.GITHUB_SHA ?? '';
    if (!owner || !repo || !sha) {
      warn(
        `GitHub deployment to ${inputs.environment} skipped: GITHUB_REPOSITORY and GITHUB_SHA are not set (not running in GitHub Actions?)`,
      );
      return undefined;
    }
    // The toolkit's client takes GitHub's API address (GitHub Enterprise too) from GITHUB_API_URL.
    const octokit = getOctokit(inputs.token, {
      ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}),
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
    return new GitHubDeployment(octokit, { owner, repo }, inputs, runUrl(env), warn, facts, sha);
  }

  /**
   * Sets the final state: `success`, `failure`, or `error` for a cancelled run; returns the
   * deployment's id, undefined when none was created. Never throws. A
   * cancelled run gives the API `CANCELLED_BUDGET_MS` in all, creating the deployment included,
   * or less when `leftMs` (what is left of the step's time after the cancel) is shorter.
   */
  async finish(result: RunResult, description: string, leftMs = Infinity): Promise<number | undefined> {
    const cancelled = result === 'cancelled';
    const cancelBudget = Math.max(100, Math.min(CANCELLED_BUDGET_MS, leftMs));
    const deadline = AbortSignal.timeout(cancelled ? cancelBudget : CALL_TIMEOUT_MS);
    let id: number | undefined;
    try {
      id = await untilAborted(this.#id, deadline);
    } catch {
      this.#gaveUp.abort();
      this.warn(
        `GitHub deployment to ${this.inputs.environment}: not created in time, so its status stays open`,
      );
      return undefined;
    }
    if (id === undefined) return undefined;
    const state: FinalState = cancelled ? 'error' : result;
    await this.#status(id, state, description, cancelled ? deadline : AbortSignal.timeout(CALL_TIMEOUT_MS));
    return id;
  }

  async #create(facts: DeploymentFacts, sha: string): Promise<number | undefined> {
    const { environment } = this.inputs;
    const what = [`boerewors ${facts.runner}`, `release ${facts.release}`, facts.part]
      .filter(Boolean)
      .join(' · ');
    let id: number;
    try {
      const response = await this.octokit.rest.repos.createDeployment({
        ...this.repo,
        ref: sha,
        environment,
        // Deploy exactly this commit: no merging of the default branch, no waiting on other checks.
        auto_merge: false,
        required_contexts: [],
        payload: {
          tool: 'boerewors',
          runner: facts.runner,
          release: facts.release,
          ...(facts.part ? { part: facts.part } : {}),
        },
        description: cut(what),
        request: { signal: AbortSignal.any([AbortSignal.timeout(CALL_TIMEOUT_MS), this.#gaveUp.signal]) },
      });
      // 202 means GitHub did something other than create one (a merge); it has no id.
      if (response.status !== 201 || !('id' in response.data)) {
        this.warn(`GitHub deployment to ${environment} not created: ${describeResponse(response.data)}`);
        return undefined;
      }
      id = response.data.id;
    } catch (e) {
      this.warn(`GitHub deployment to ${environment} not created: ${describeError(e)}`);
      return undefined;
    }
    await this.#status(id, 'in_progress', cut(what), AbortSignal.timeout(CALL_TIMEOUT_MS));
    return id;
  }

  async #status(
    id: number,
    state: FinalState | 'in_progress',
    description: string,
    deadline: AbortSignal,
  ): Promise<void> {
    try {
      await this.octokit.rest.repos.createDeploymentStatus({
        ...this.repo,
        deployment_id: id,
        state,
        description: cut(description),
        ...(this.runUrl ? { log_url: this.runUrl } : {}),
        ...(this.inputs.environmentUrl ? { environment_url: this.inputs.environmentUrl } : {}),
        request: { signal: AbortSignal.any([deadline, this.#gaveUp.signal]) },
      });
    } catch (e) {
      this.warn(
        `GitHub deployment ${id} (${this.inputs.environment}): status ${state} not set: ${describeError(e)}`,
      );
    }
  }
}

/** The workflow run's page, the deployment's log URL. */
export function runUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: run } = env;
  if (!server || !repository || !run) return undefined;
  return `${server.replace(/\/+$/, '')}/${repository}/actions/runs/${run}`;
}

/**
 * `HTTP 403: Resource not accessible by integration (the job needs permissions: deployments: write)`,
 * `connect ECONNREFUSED 127.0.0.1:443`, `no answer in time`. Octokit reports a request that never
 * got an answer as status 500 too: only an error with a response has an HTTP status.
 */
function describeError(e: unknown): string {
  const error = e as {
    status?: number;
    response?: unknown;
    message?: string;
    name?: string;
    cause?: { name?: string };
  };
  if ([error.name, error.cause?.name].some((n) => n === 'TimeoutError' || n === 'AbortError'))
    return 'no answer in time';
  if (!error.response) return error.message ?? String(e);
  const hint =
    error.status === 403 || error.status === 404 ? ' (the job needs permissions: deployments: write)' : '';
  return `HTTP ${error.status}: ${error.message ?? ''}${hint}`;
}

function describeResponse(data: unknown): string {
  const message = (data as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : 'GitHub answered without a deployment id';
}

function cut(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > MAX_DESCRIPTION ? `${line.slice(0, MAX_DESCRIPTION - 1)}…` : line;
}
