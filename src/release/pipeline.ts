/**
 * The one pipeline behind the CLI and the action: settings → config → checks before anything runs
 * → transport → executor → events and the report. The front ends add only their reporters and
 * their way of exiting.
 */
import type { LoadedConfig } from '../config/index.js';
import { resolveHostFilter, selectRunner } from '../config/index.js';
import { cancelMessage } from '../contract/abort.js';
import { errorMessage } from '../contract/errors.js';
import type { SshOptions } from '../contract/ssh-options.js';
import type { Transport } from '../contract/transport.js';
import { Executor } from '../engine/executor.js';
import type { EventListener } from '../engine/events.js';
import type { RunReport } from '../engine/report.js';
import type { Runner } from '../engine/runner.js';
// The library entry, not config/ directly: a JavaScript config's function receives the library.
import * as library from '../index.js';
import { PartialReport } from '../reporters/partial-report.js';
import { warningText } from '../reporters/vocabulary.js';
import { DryRunTransport } from '../transport/dry-run.js';
import { LocalTransport } from '../transport/local.js';
import { RoutingTransport } from '../transport/routing.js';
import { createSshTransport } from '../transport/ssh.js';
import { CANCEL_BUDGET_MS, type Cancellation } from './cancellation.js';
import { releaseIdOf } from './part-release.js';
import { checkConfigFiles, checkRunFiles, missingUploadSources } from './preflight.js';
import { runPartOf } from './run-part-of.js';
import { MIN_REDACTED_LENGTH, Redactor, secretValues, tooShortToRedact } from './secrets.js';
import { sourceLabel, sourceName, type ReleaseSettings } from './settings.js';

export interface LoadedRelease {
  config: LoadedConfig;
  runner: Runner;
  /** Host names kept by `settings.hosts` (undefined: all). */
  hosts: string[] | undefined;
  /** Removes the release's secrets from anything written. */
  redactor: Redactor;
}

export interface LoadOptions {
  /** Directory the config is looked for in, and relative paths are relative to. Default: the working directory. */
  cwd?: string;
  /** The release's redactor, when the front end made it earlier (to redact its own errors). */
  redactor?: Redactor;
}

/** Load and check everything that can be checked before a single command runs. Throws ConfigError/UsageError. */
export async function loadRelease(settings: ReleaseSettings, opts: LoadOptions = {}): Promise<LoadedRelease> {
  releaseIdOf(settings);
  const cwd = opts.cwd ?? process.cwd();
  const file = settings.configPath ?? (await library.findConfigFile(cwd));
  const config = await library.loadConfig(file, { vars: { ...settings.vars, ...settings.secretVars }, cwd });
  const { runner: runnerSource, hosts: hostsSource } = settings.sources;
  const runner = selectRunner(config, settings.runner, runnerSource && sourceName(runnerSource));
  const hosts = settings.hosts
    ? resolveHostFilter(config, settings.hosts, hostsSource ? sourceLabel(hostsSource) : undefined)
    : undefined;
  // Before the first stage, dry runs included: a missing key must not surface after local stages ran.
  await checkRunFiles(config, runner, hosts, sshOverrides(settings, config.ssh), settings);
  const redactor = opts.redactor ?? new Redactor(secretValues(settings));
  return { config, runner, hosts, redactor };
}

export interface ValidatedConfig {
  file: string;
  config: LoadedConfig;
  /** Upload sources that do not exist yet: a run fails unless something creates them first. */
  warnings: string[];
}

/** `validate`: the config, and the SSH files it names; no runner is chosen and nothing runs. */
export async function validateConfig(configPath: string | undefined, cwd: string): Promise<ValidatedConfig> {
  const file = configPath ?? (await library.findConfigFile(cwd));
  const config = await library.loadConfig(file, { cwd });
  await checkConfigFiles(config);
  return { file, config, warnings: await missingUploadSources(config, cwd) };
}

export interface RunHooks {
  /** Cancels the run, and bounds the wait for the engine after a cancel. */
  cancellation: Cancellation;
  /** Every event, already redacted; transport warnings (insecure host-key modes, trust on first use) included. */
  onEvent: EventListener;
}

export interface RunOutcome {
  report: RunReport;
  /**
   * False when the engine did not finish its report: a cancelled run that did not stop in time,
   * or an engine failure. The report was then rebuilt from the events, and no `run-end` was sent.
   */
  complete: boolean;
}

/**
 * Run a loaded release to its report. A cancelled run whose commands do not stop within the
 * cancellation's grace period is reported from its events so far (every job still running
 * counts as cancelled); so is a run whose engine threw.
 */
export async function runRelease(
  settings: ReleaseSettings,
  loaded: LoadedRelease,
  hooks: RunHooks,
): Promise<RunOutcome> {
  const { cancellation } = hooks;
  const partial = new PartialReport(loaded.runner.name);
  try {
    const running = executeRelease(settings, loaded, {
      signal: cancellation.signal,
      onEvent: (e) => {
        partial.onEvent(e);
        hooks.onEvent(e);
      },
    });
    const report = await cancellation.race(running);
    if (report) return { report, complete: true };
    return { report: partial.snapshot(cancelMessage(cancellation.signal)), complete: false };
  } catch (e) {
    return {
      report: partial.snapshot(loaded.redactor.text(errorMessage(e)), 'failure'),
      complete: false,
    };
  }
}

/** Run a loaded release; events and the report are already redacted. Closes every connection. */
export async function executeRelease(
  settings: ReleaseSettings,
  loaded: LoadedRelease,
  hooks: { signal: AbortSignal; onEvent: EventListener },
): Promise<RunReport> {
  const { redactor } = loaded;
  // The report lists every warning of the run, the transport's (host keys) as well as the engine's.
  const warnings: string[] = [];
  const onEvent: EventListener = (e) => {
    const redacted = redactor.event(e);
    if (redacted.type === 'warning') warnings.push(warningText(redacted));
    hooks.onEvent(redacted);
  };
  const warn = (message: string): void => onEvent({ type: 'warning', message });
  for (const name of tooShortToRedact(settings.secretVars)) {
    warn(
      `secret ${name} is shorter than ${MIN_REDACTED_LENGTH} characters, too short to be redacted ` +
        'from output, the summary and the report: use a longer value',
    );
  }
  const transport = createTransport(settings, loaded.config.ssh, warn, redactor);
  const part = runPartOf(settings);
  const release = releaseIdOf(settings);
  try {
    const executor = new Executor({
      transport,
      signal: hooks.signal,
      vars: loaded.config.vars,
      onEvent,
      ...(settings.limit !== undefined ? { limit: settings.limit } : {}),
      ...(loaded.hosts ? { hosts: loaded.hosts } : {}),
      ...(release ? { release } : {}),
      ...(part ? { part } : {}),
      cancelBudgetMs: CANCEL_BUDGET_MS,
      dryRun: settings.dryRun,
    });
    const report = redactor.report(await executor.run(loaded.runner));
    return { ...report, warnings };
  } finally {
    await transport.close();
  }
}

/**
 * The transport of a run: nothing but the dry-run transport for `dryRun`; otherwise `local:` hosts
 * on this machine and the others over SSH, whose transport is created only when a step needs it.
 */
export function createTransport(
  settings: Pick<
    ReleaseSettings,
    'dryRun' | 'identityPath' | 'privateKey' | 'passphrase' | 'knownHostsPaths' | 'knownHosts'
  >,
  ssh: SshOptions,
  warn: (m: string) => void,
  redactor: Redactor,
): Transport {
  if (settings.dryRun) return new DryRunTransport();
  // Output is redacted as it is split into lines, before a long line is cut into pieces that no
  // later redaction could join again.
  const output = redactor.empty ? undefined : redactor;
  return new RoutingTransport(new LocalTransport(process.env, output), () =>
    createSshTransport(sshOverrides(settings, ssh), {
      onWarning: warn,
      ...(output ? { redactor: output } : {}),
    }),
  );
}

/** CLI flags and action inputs win over the config's `ssh:` block. */
export function sshOverrides(
  settings: Pick<
    ReleaseSettings,
    'identityPath' | 'privateKey' | 'passphrase' | 'knownHostsPaths' | 'knownHosts'
  >,
  ssh: SshOptions,
): SshOptions {
  return {
    ...ssh,
    ...(settings.identityPath ? { privateKeyPath: settings.identityPath } : {}),
    ...(settings.privateKey ? { privateKey: settings.privateKey } : {}),
    ...(settings.passphrase ? { passphrase: settings.passphrase } : {}),
    ...(settings.knownHostsPaths ? { knownHostsPaths: settings.knownHostsPaths } : {}),
    ...(settings.knownHosts ? { knownHosts: settings.knownHosts } : {}),
  };
}
