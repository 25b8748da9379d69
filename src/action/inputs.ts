import * as core from '@actions/core';
import { readFileSync, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../contract/errors.js';
import { expandHome } from '../transport/remote/paths.js';
import {
  parseBoolean,
  parseDurationSetting,
  parseList,
  parseLockToken,
  parsePositiveInteger,
  parseReleaseId,
  parseShard,
} from '../pipeline/parse.js';
import type { ReleaseSettings, SettingSources } from '../pipeline/settings.js';
import { parseVarsInput } from './vars-input.js';

/** Every input of `action.yml`, in one place. */
export const Inputs = {
  Config: 'config',
  Runner: 'runner',
  Limit: 'limit',
  Hosts: 'hosts',
  Vars: 'vars',
  SecretVars: 'secret-vars',
  SshPrivateKey: 'ssh-private-key',
  SshKeyPassphrase: 'ssh-key-passphrase',
  SshKnownHosts: 'ssh-known-hosts',
  SshConfig: 'ssh-config',
  SshCertificate: 'ssh-certificate',
  DryRun: 'dry-run',
  ReleaseId: 'release-id',
  LockWait: 'lock-wait',
  LockToken: 'lock-token',
  Lock: 'lock',
  LockMessage: 'lock-message',
  Shard: 'shard',
  CanaryOnly: 'canary-only',
  MergeReports: 'merge-reports',
  GithubDeployment: 'github-deployment',
  EnvironmentUrl: 'environment-url',
  GithubToken: 'github-token',
} as const;

/** How each release setting is given to the action, for messages about it. */
export const ACTION_SOURCES = {
  configPath: { input: Inputs.Config },
  runner: { input: Inputs.Runner },
  limit: { input: Inputs.Limit },
  hosts: { input: Inputs.Hosts },
  vars: { input: Inputs.Vars },
  secretVars: { input: Inputs.SecretVars },
  privateKey: { input: Inputs.SshPrivateKey },
  passphrase: { input: Inputs.SshKeyPassphrase },
  knownHosts: { input: Inputs.SshKnownHosts },
  sshConfigText: { input: Inputs.SshConfig },
  certificateText: { input: Inputs.SshCertificate },
  dryRun: { input: Inputs.DryRun },
  release: { input: Inputs.ReleaseId },
  lockWaitMs: { input: Inputs.LockWait },
  lockToken: { input: Inputs.LockToken },
  shard: { input: Inputs.Shard },
  canaryOnly: { input: Inputs.CanaryOnly },
} as const satisfies SettingSources;

/** Reads one input, trimmed; '' when not set. Defaults come from `action.yml`, applied by GitHub's runner machine. */
export type InputReader = (name: string) => string;

export const readInput: InputReader = (name) => core.getInput(name);

/**
 * The only reader of the action's inputs: the release settings (`reportPath` is filled in by
 * `main`). Throws a UsageError naming the input on bad input; messages never quote a secret
 * input's value.
 */
export function readInputs(
  read: InputReader = readInput,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): ReleaseSettings {
  const config = read(Inputs.Config);
  const runner = read(Inputs.Runner);
  const limit = read(Inputs.Limit);
  const hosts = read(Inputs.Hosts);
  const vars = parseVarsInput(read(Inputs.Vars), Inputs.Vars);
  const secretVars = parseVarsInput(read(Inputs.SecretVars), Inputs.SecretVars, true);
  const privateKey = parsePrivateKey(read(Inputs.SshPrivateKey));
  // Not trimmed beyond what GitHub's runner machine does: a passphrase is whatever the key was encrypted with.
  const passphrase = read(Inputs.SshKeyPassphrase);
  if (passphrase && !privateKey) {
    throw new UsageError(
      `Input "${Inputs.SshKeyPassphrase}" is set but "${Inputs.SshPrivateKey}" is not: the passphrase is for that key`,
    );
  }
  const knownHosts = normalizeNewlines(read(Inputs.SshKnownHosts));
  const sshConfigText = textOrFile(read(Inputs.SshConfig), Inputs.SshConfig, cwd);
  const certificateText = textOrFile(read(Inputs.SshCertificate), Inputs.SshCertificate, cwd);
  const release = read(Inputs.ReleaseId);
  const lockWait = read(Inputs.LockWait);
  const lockToken = readLockToken(read, env);
  const shard = read(Inputs.Shard);
  const canaryOnly = parseBoolean(read(Inputs.CanaryOnly), ACTION_SOURCES.canaryOnly);
  return {
    vars,
    secretVars,
    dryRun: parseBoolean(read(Inputs.DryRun), ACTION_SOURCES.dryRun),
    // An input left empty is not given: undefined, never ''.
    configPath: config || undefined,
    runner: runner || undefined,
    limit: limit ? parsePositiveInteger(limit, ACTION_SOURCES.limit) : undefined,
    hosts: hosts ? parseList(hosts, ACTION_SOURCES.hosts) : undefined,
    shard: shard ? parseShard(shard, ACTION_SOURCES.shard) : undefined,
    canaryOnly: canaryOnly || undefined,
    privateKey: privateKey || undefined,
    passphrase: passphrase || undefined,
    knownHosts: knownHosts || undefined,
    sshConfigText: sshConfigText || undefined,
    certificateText: certificateText || undefined,
    release: release ? parseReleaseId(release, ACTION_SOURCES.release) : undefined,
    lockWaitMs: lockWait ? parseDurationSetting(lockWait, ACTION_SOURCES.lockWaitMs) : undefined,
    lockToken: lockToken || undefined,
    sources: ACTION_SOURCES,
  };
}

/**
 * The token of a lock a job ahead took (`lock: acquire`): the `lock-token` input, or as for the
 * CLI BW_LOCK_TOKEN in the step's `env:`. A run given it re-enters that lock instead of refusing
 * itself; `lock: release` removes only a lock holding it.
 */
function readLockToken(read: InputReader, env: NodeJS.ProcessEnv): string | undefined {
  const input = parseLockToken(read(Inputs.LockToken), ACTION_SOURCES.lockToken);
  const fromEnv = parseLockToken(env.BW_LOCK_TOKEN);
  if (input && fromEnv && input !== fromEnv) {
    throw new UsageError(
      `Input "${Inputs.LockToken}" and BW_LOCK_TOKEN in the step's env are different tokens: give one of them`,
    );
  }
  return input ?? fromEnv;
}

/** Inputs that choose what a release runs: meaningless, so refused, in a mode that runs nothing. */
export const RUN_CHOICE_INPUTS: readonly string[] = [
  Inputs.Runner,
  Inputs.Limit,
  Inputs.Hosts,
  Inputs.Shard,
  Inputs.CanaryOnly,
  Inputs.DryRun,
  Inputs.ReleaseId,
];

/** Merging reports takes no lock either. */
const NOT_WITH_MERGE = [
  ...RUN_CHOICE_INPUTS,
  Inputs.LockWait,
  Inputs.LockToken,
  Inputs.Lock,
  Inputs.LockMessage,
];

/** The first of `names` given a value (`false` counts as not given), or undefined. */
export function firstGiven(names: readonly string[], read: InputReader): string | undefined {
  return names.find((name) => read(name) !== '' && read(name) !== 'false');
}

/**
 * The `merge-reports` input: paths or glob patterns of the report files to merge (one per line, or
 * separated by commas), or undefined when the action runs a release. Merging runs nothing, so the
 * inputs that choose what a release runs are refused beside it.
 */
export function readMergeReports(read: InputReader = readInput): string[] | undefined {
  const text = read(Inputs.MergeReports);
  if (text === '') return undefined;
  const patterns = text
    .split(/[\n,]/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (patterns.length === 0)
    throw new UsageError(`Input "${Inputs.MergeReports}": expected paths or glob patterns`);
  const stray = firstGiven(NOT_WITH_MERGE, read);
  if (stray) {
    throw new UsageError(
      `Input "${stray}" cannot be used with "${Inputs.MergeReports}": merging reports runs nothing`,
    );
  }
  return patterns;
}

/** Where and with which token to record the release as a GitHub deployment; undefined when not asked. */
export interface DeploymentInputs {
  /** The environment (`production`), as on the repository's Environments page. */
  environment: string;
  /** `github-token`: the workflow's token unless another is given; never printed. */
  token: string;
  /** `environment-url`: the deployed site, shown on the deployment; undefined when not given. */
  environmentUrl?: string;
}

export function readDeploymentInputs(read: InputReader = readInput): DeploymentInputs | undefined {
  const environment = read(Inputs.GithubDeployment);
  const environmentUrl = read(Inputs.EnvironmentUrl);
  if (environment === '') {
    if (environmentUrl !== '')
      throw new UsageError(
        `Input "${Inputs.EnvironmentUrl}" is set but "${Inputs.GithubDeployment}" is not: the URL belongs to a deployment`,
      );
    return undefined;
  }
  if (environmentUrl !== '' && !/^https?:\/\/\S+$/.test(environmentUrl))
    throw new UsageError(
      `Input "${Inputs.EnvironmentUrl}": expected an http(s) URL, got "${environmentUrl}"`,
    );
  const token = read(Inputs.GithubToken);
  if (token === '') {
    throw new UsageError(
      `Input "${Inputs.GithubDeployment}" is set but "${Inputs.GithubToken}" is empty: ` +
        'it defaults to the workflow token (${{ github.token }}); pass one with permissions: deployments: write',
    );
  }
  return { environment, token, ...(environmentUrl ? { environmentUrl } : {}) };
}

/**
 * The key text as a secret holds it: CRLF from a paste on Windows is normalized, a key squeezed
 * onto one line with literal `\n` unfolded, and a final newline added (OpenSSH rejects a key
 * without one). A path is a common mistake, caught here with a message that does not echo the value.
 */
export function parsePrivateKey(text: string): string | undefined {
  if (text === '') return undefined;
  let key = `${normalizeNewlines(text)}\n`;
  if (key.indexOf('\n') === key.length - 1 && key.includes('\\n'))
    key = `${normalizeNewlines(key.replaceAll('\\n', '\n'))}\n`;
  if (!/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----$/m.test(key)) {
    throw new UsageError(
      `Input "${Inputs.SshPrivateKey}": expected the private key itself (a "-----BEGIN … PRIVATE KEY-----" block), ` +
        'not a path; pass it from a secret: ssh-private-key: ${{ secrets.DEPLOY_KEY }}',
    );
  }
  return key;
}

/**
 * `ssh-config` and `ssh-certificate` take the text or the path of a file holding it (what
 * `teleport-actions/auth`'s `ssh-config` output is). A value is a path when it is one line and
 * either names an existing file or holds no space, tab or `=`: a line of ssh_config or a
 * certificate always has one, between the keyword (or key type) and its value. A path is relative
 * to the working directory (the workspace); `~/` is the home directory. The file is read now, so
 * the run uses what it held when the action started; a path naming no readable file is an error
 * naming the input. Anything else is the text itself.
 */
export function textOrFile(value: string, input: string, cwd = process.cwd()): string {
  const text = normalizeNewlines(value);
  if (text === '' || text.includes('\n')) return text;
  const path = resolve(cwd, expandHome(text));
  const found = statOrUndefined(path);
  if (!found?.isFile() && /[\s=]/.test(text)) return text;
  const fail = (why: string): never => {
    throw new UsageError(
      `Input "${input}": ${path}: ${why} (a one-line value without a space or "=" is the path of a file: give an existing file, or the text itself)`,
    );
  };
  if (!found) return fail('no such file');
  if (!found.isFile()) return fail('not a file');
  try {
    return normalizeNewlines(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(
      code === 'EACCES' || code === 'EPERM'
        ? 'not readable (permission denied)'
        : `cannot read it (${code ?? 'error'})`,
    );
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n').trim();
}
