/**
 * Checks made before anything runs, beyond the config itself: the SSH key and known_hosts files a
 * run would read. A release that would fail at its first SSH stage must not first run its local
 * stages; `run`, `--dry-run` and `validate` all report such a problem, with exit code 2. `validate`
 * also looks for the upload sources it can (a warning: something may create them before a run).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatIssue } from '../config/config-error.js';
import type { LoadedConfig } from '../config/index.js';
import { ConfigError, UsageError } from '../contract/errors.js';
import type { Host } from '../contract/host.js';
import { DEFAULT_SSH_OPTIONS, resolvedClient, type SshOptions } from '../contract/ssh-options.js';
import type { Runner } from '../engine/model/runner.js';
import { expandVars } from '../engine/model/vars.js';
import { checkSshFiles, type SshFileProblem } from '../transport/ssh/files.js';
import { opensshFileProblems } from '../transport/openssh/openssh-preflight.js';
import { sourceLabel, sourceName, type ReleaseSettings } from './settings.js';

/**
 * Who set what: a problem is reported against the flag or input that named the file, else the
 * config; `sources` says how the user names them.
 */
type Overrides = Partial<
  Pick<ReleaseSettings, 'identityPath' | 'privateKey' | 'knownHostsPaths' | 'sources'>
>;

/**
 * For a run of `runner` (restricted to `hosts` when given): throws a ConfigError listing every
 * problem with the SSH files `ssh` names, when the run reaches any SSH host. A run on `local:`
 * hosts only needs no key. The deploy lock's host counts (it is asked before the first stage).
 */
export async function checkRunFiles(
  config: LoadedConfig,
  runner: Runner,
  hosts: readonly string[] | undefined,
  ssh: SshOptions,
  overrides: Overrides,
  lockHost?: Host,
): Promise<void> {
  // Runner objects from a module list their hosts only when they run: assume the config's hosts.
  const candidates = config.footprints[runner.name]?.hosts ?? config.hosts;
  if (!usesSsh(candidates, hosts) && !(lockHost && !lockHost.local)) return;
  await checkSsh(config, ssh, overrides);
}

/** The key and known_hosts files, and for the OpenSSH client its own (config, certificate, binary). */
async function checkSsh(config: LoadedConfig, ssh: SshOptions, overrides: Overrides): Promise<void> {
  const client = checkClientChoice(ssh, overrides);
  // The OpenSSH client finds keys where ssh does (the ssh_config's IdentityFile, ~/.ssh, the agent).
  throwIfAny(config, await checkSshFiles(ssh, { requireAuth: client === 'builtin' }), overrides);
  if (client === 'openssh') await throwIfOpensshProblems(config, ssh, true);
}

/** The OpenSSH client's files (and with `binaries`, its programs), each problem at its `ssh:` key. */
async function throwIfOpensshProblems(
  config: LoadedConfig,
  ssh: SshOptions,
  binaries: boolean,
): Promise<void> {
  const problems = (await opensshFileProblems(ssh)).filter((p) => binaries || p.key !== 'client');
  if (problems.length > 0)
    throw new ConfigError(problems.map((p) => atConfig(config, ['ssh', p.key], p.message)).join('\n'));
}

/** `client: builtin` with an action input only the OpenSSH client can use: a usage error naming it. */
function checkClientChoice(ssh: SshOptions, overrides: Overrides): 'builtin' | 'openssh' {
  const client = resolvedClient(ssh);
  if (client === 'builtin') {
    const sources = overrides.sources ?? {};
    const given = [
      ssh.configText ? sources.sshConfigText : undefined,
      ssh.certificateText ? sources.certificateText : undefined,
    ].find((s) => s !== undefined);
    if (given)
      throw new UsageError(
        `${sourceLabel(given)} needs the OpenSSH client, but the config's ssh.client is builtin: set it to openssh or auto`,
      );
  }
  return client;
}

/** For `boerewors lock …`: the files a connection to the lock host needs, when it is an SSH host. */
export async function checkLockFiles(
  config: LoadedConfig,
  lockHost: Host,
  ssh: SshOptions,
  overrides: Overrides,
): Promise<void> {
  if (lockHost.local) return;
  await checkSsh(config, ssh, overrides);
}

/**
 * For `validate`: the files the config itself names, when it has SSH hosts (with the OpenSSH
 * client, its ssh_config and certificate too). No key at all is fine here (`--identity`, the action's input or an ssh-agent may give one at run time).
 */
export async function checkConfigFiles(config: LoadedConfig): Promise<void> {
  if (!usesSsh(config.hosts, undefined)) return;
  throwIfAny(config, await checkSshFiles(config.ssh, { requireAuth: false }), {});
  // The ssh_config and certificate files; whether `ssh` is installed is the run's question.
  if (resolvedClient(config.ssh) === 'openssh') await throwIfOpensshProblems(config, config.ssh, false);
}

function usesSsh(candidates: readonly Host[], only: readonly string[] | undefined): boolean {
  return candidates.some((host) => !host.local && (!only || only.includes(host.name)));
}

function throwIfAny(config: LoadedConfig, problems: readonly SshFileProblem[], overrides: Overrides): void {
  if (problems.length === 0) return;
  throw new ConfigError(problems.map((p) => describe(config, p, overrides)).join('\n'));
}

const WRONG_PASSPHRASE = /wrong passphrase$/;

/** `release.yml:3:16: ssh.private-key: private key file ~/.ssh/x: not found (/root/.ssh/x)`. */
function describe(config: LoadedConfig, problem: SshFileProblem, overrides: Overrides): string {
  const sources = overrides.sources ?? {};
  if (problem.field === 'private-key') {
    const message = problem.message + passphraseHint(problem, overrides);
    // A passphrase given as an input is named for what is wrong with it.
    if (
      overrides.privateKey &&
      sources.privateKey &&
      sources.passphrase &&
      WRONG_PASSPHRASE.test(problem.detail)
    )
      return `${sourceLabel(sources.passphrase)}: wrong passphrase for the key of ${sourceName(sources.privateKey)}`;
    // An inline key has no name of its own: the input that gave it is its name.
    if (overrides.privateKey && sources.privateKey)
      return `${sourceLabel(sources.privateKey)}: ${problem.detail}`;
    if (overrides.identityPath && sources.identityPath)
      return `${sourceLabel(sources.identityPath)}: ${message}`;
    return atConfig(config, ['ssh', 'private-key'], message);
  }
  if (problem.field === 'auth') {
    const ways = [
      'ssh.private-key',
      ...[sources.identityPath, sources.privateKey].flatMap((s) => (s ? [sourceName(s)] : [])),
    ];
    const listed = ways.length > 1 ? `${ways.slice(0, -1).join(', ')} or ${ways.at(-1)}` : ways[0];
    return problem.message.replace('no SSH private key given', `no SSH private key given (${listed})`);
  }
  if (problem.field === 'known-hosts') {
    if (overrides.knownHostsPaths && sources.knownHostsPaths)
      return `${sourceLabel(sources.knownHostsPaths)}: ${problem.message}`;
    const configured = config.ssh.knownHostsPaths;
    // resolveSsh keeps the default's array when the config names no known-hosts.
    if (configured === DEFAULT_SSH_OPTIONS.knownHostsPaths)
      return `${problem.message} (the default known-hosts)`;
    const index = configured.indexOf(problem.path ?? '');
    const path = configured.length > 1 ? ['ssh', 'known-hosts', index] : ['ssh', 'known-hosts'];
    return atConfig(config, path, problem.message);
  }
  return problem.message;
}

/**
 * An encrypted key file and no passphrase: the passphrase settings are only for a key given inline
 * (the action's input), so say what works instead.
 */
function passphraseHint(problem: SshFileProblem, overrides: Overrides): string {
  if (problem.path === undefined || !problem.detail.endsWith('no passphrase was given')) return '';
  const { privateKey, passphrase } = overrides.sources ?? {};
  const inline =
    privateKey && passphrase
      ? `, or give the key with ${sourceName(privateKey)} and ${sourceName(passphrase)}`
      : '';
  return ` (a key file takes no passphrase here: load the key into ssh-agent with ssh-add, and leave ssh.private-key out${inline})`;
}

function atConfig(config: LoadedConfig, path: readonly PropertyKey[], message: string): string {
  const position = config.locator.position(path);
  return formatIssue({ file: config.file, path, message, ...(position ? { position } : {}) });
}

/**
 * For `validate`: upload sources missing on this machine, one warning each. Only sources no earlier
 * step of the runner could have made (no `local` step, no `run` on this machine, no custom job
 * before them) and that use no per-job variable (`${BW_HOST}`…) can be checked; relative ones are
 * relative to `cwd`. Still a warning, not an error: the workflow may build them before the run.
 */
export async function missingUploadSources(config: LoadedConfig, cwd: string): Promise<string[]> {
  const warnings = new Map<string, string>();
  for (const footprint of Object.values(config.footprints)) {
    for (const upload of footprint.uploads) {
      if (upload.afterLocalWork) continue;
      let from: string;
      try {
        from = expandVars(upload.from, config.vars);
      } catch {
        continue; // a per-job variable: known only when the job runs
      }
      const full = resolve(cwd, from);
      if (
        await stat(full).then(
          () => true,
          () => false,
        )
      )
        continue;
      const where = full === from ? '' : ` (looked for ${full})`;
      const message = `upload source ${from} not found${where}; the run fails unless something creates it first`;
      warnings.set(JSON.stringify(upload.path), atConfig(config, upload.path, message));
    }
  }
  return [...warnings.values()];
}
