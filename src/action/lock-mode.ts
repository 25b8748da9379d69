/**
 * The action's lock mode (input `lock`): the config's deploy lock taken, released or shown by
 * hand, as `boerewors lock` does, with the CLI's code. It is how a release spread over several
 * jobs (a canary job and a matrix of shards) holds one lock: a first job takes it and passes its
 * token on as a job output, the other jobs re-enter it with the `lock-token` input, and a last job
 * (`if: always()`) releases it. Nothing else runs.
 *
 * The token is an output, so it is not masked: GitHub drops a job output that holds a masked
 * value ("Skip output … since it may contain secret"), and a masked token could not reach the
 * other jobs. It names a lock holder rather than granting access (docs/lock.md says why).
 */
import { log } from './log.js';
import * as core from '@actions/core';
import { errorMessage, UsageError } from '../contract/errors.js';
import { EXIT, exitCodeOfError } from '../pipeline/exit-codes.js';
import {
  LOCK_ACTIONS,
  runLockCommand,
  type LockAction,
  type LockCommandResult,
  type LockWording,
} from '../pipeline/lock/manual-lock.js';
import type { Redactor } from '../pipeline/secrets.js';
import type { ReleaseSettings } from '../pipeline/settings.js';
import { escapeHtml, escapeMarkdown, truncateText } from '../reporters/github-escape.js';
import { checkoutHint, writeSummary } from './finish.js';
import { firstGiven, Inputs, readInput, RUN_CHOICE_INPUTS, type InputReader } from './inputs.js';
import { Outputs } from './outputs.js';

export interface LockMode {
  action: LockAction;
  /** `lock-message`: why it is held, shown to every run it refuses. */
  message?: string;
}

/** Inputs that choose what a release runs, or what a merge reads: nothing runs in lock mode. */
const NOT_WITH_LOCK = [...RUN_CHOICE_INPUTS, Inputs.MergeReports, Inputs.GithubDeployment];

/**
 * The `lock` input: undefined when the action runs a release. Throws a UsageError naming the input
 * for an unknown action, or an input that does not go with it.
 */
export function readLockMode(read: InputReader = readInput): LockMode | undefined {
  const text = read(Inputs.Lock);
  const message = read(Inputs.LockMessage);
  if (text === '') {
    if (message) {
      throw new UsageError(
        `Input "${Inputs.LockMessage}" is for "${Inputs.Lock}: acquire": a run takes the lock with its own owner`,
      );
    }
    return undefined;
  }
  const action = text.toLowerCase() as LockAction;
  if (!LOCK_ACTIONS.includes(action)) {
    throw new UsageError(`Input "${Inputs.Lock}": expected ${LOCK_ACTIONS.join(', ')}, got "${text}"`);
  }
  const stray = firstGiven(NOT_WITH_LOCK, read);
  if (stray) {
    throw new UsageError(
      `Input "${stray}" cannot be used with "${Inputs.Lock}": the lock mode takes or releases the deploy lock and runs nothing`,
    );
  }
  for (const name of [Inputs.LockMessage, Inputs.LockWait]) {
    if (action !== 'acquire' && read(name) !== '')
      throw new UsageError(`Input "${name}" is for "${Inputs.Lock}: acquire", not "${action}"`);
  }
  return { action, ...(message ? { message } : {}) };
}

const ACTION_WORDING: LockWording = {
  token: `"${Inputs.LockToken}"`,
  taken:
    `Its token is the "${Outputs.LockToken}" output: jobs given it in the "${Inputs.LockToken}" input re-enter ` +
    `the lock, and "${Inputs.Lock}: release" with it removes it`,
  force: '"boerewors lock release --force" removes it',
};

/** Takes, releases or shows the lock; the outputs, the summary and the exit code. */
export async function runLockMode(
  mode: LockMode,
  settings: ReleaseSettings,
  redactor: Redactor,
  opts: { cwd: string; signal: AbortSignal },
): Promise<number> {
  let result: LockCommandResult;
  try {
    if (mode.action === 'release' && !settings.lockToken) {
      throw new UsageError(
        `Input "${Inputs.Lock}: release" needs "${Inputs.LockToken}": the "${Outputs.LockToken}" output of the ` +
          `"${Inputs.Lock}: acquire" step, passed on as a job output (needs.<job>.outputs.${Outputs.LockToken}); ` +
          'it is empty here, so nothing was released',
      );
    }
    result = await runLockCommand(mode.action, settings, {
      cwd: opts.cwd,
      signal: opts.signal,
      ...(mode.message ? { message: mode.message } : {}),
      say: (line) => {
        const text = redactor.text(line);
        if (text.startsWith('warning: ')) log.warning(text.slice('warning: '.length));
        else log.info(text);
      },
      wording: ACTION_WORDING,
    });
  } catch (e) {
    const code = exitCodeOfError(e);
    const message = redactor.text(errorMessage(e)) + checkoutHint(e, settings);
    return fail(`Deploy lock (${mode.action}) failed: ${message}`, code);
  }
  if (result.refused) return fail(redactor.text(result.refused), EXIT.failure);
  const said = redactor.text(result.stdout);
  switch (result.outcome) {
    case 'absent':
      // The job that took it may have failed before it did; or a person released it already.
      log.warning(`${said}: released already, or never taken`);
      break;
    case 'acquired':
    case 'reentered':
    case 'taken-over':
      // The token itself is never printed: the output carries it.
      break;
    default:
      log.info(said);
  }
  setResult('success', mode.action === 'acquire' ? result.stdout : '');
  await writeSummary(`## 🔒 ${escapeMarkdown(headline(result))}\n`);
  return EXIT.success;
}

/** One line for the job summary; never the token. */
function headline(result: LockCommandResult): string {
  const label = result.label.replace(/^deploy lock/, 'Deploy lock');
  switch (result.outcome) {
    case 'acquired':
    case 'taken-over':
      return `${label} taken for this workflow run: it never goes stale, a later job releases it`;
    case 'reentered':
      return `${label} already held with this token`;
    case 'absent':
      return `${label}: nothing to release (released already, or never taken)`;
    case 'released':
      return `${label} released`;
    default:
      return result.stdout;
  }
}

function setResult(result: 'success' | 'failure' | 'cancelled', lockToken = ''): void {
  core.setOutput(Outputs.LockToken, lockToken);
  core.setOutput(Outputs.Result, result);
  core.setOutput(Outputs.FailedHosts, '[]');
  core.setOutput(Outputs.Report, '');
}

async function fail(message: string, code: number): Promise<number> {
  setResult(code === EXIT.cancelled ? 'cancelled' : 'failure');
  await writeSummary(`## ❌ Deploy lock\n\n<pre>${escapeHtml(truncateText(message, 4000))}</pre>\n`);
  log.setFailed(message);
  return code;
}
