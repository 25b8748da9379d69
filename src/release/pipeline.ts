/**
 * The one pipeline behind the CLI and the action: settings → config → checks before anything runs
 * → transport → executor → events and the report. The front ends add only their reporters and
 * their way of exiting.
 */
import type { LoadedConfig } from '../config/index.js';
import { resolveHostFilter, selectRunner } from '../config/index.js';
import { cancelMessage } from '../contract/abort.js';
import { ConfigError, errorMessage } from '../contract/errors.js';
import { resolvedClient, type SshOptions } from '../contract/ssh-options.js';
import type { Transport } from '../contract/transport.js';
import { Executor } from '../engine/executor.js';
import type { EventListener } from '../engine/events.js';
import type { RunReport } from '../engine/report.js';
import { defaultReleaseId } from '../engine/release-id.js';
import type { Runner } from '../engine/runner.js';
// The library entry, not config/ directly: a JavaScript config's function receives the library.
import * as library from '../index.js';
import { PartialReport } from '../reporters/partial-report.js';
import { DryRunTransport } from '../transport/dry-run.js';
import { LocalTransport } from '../transport/local.js';
import { RoutingTransport } from '../transport/routing.js';
import { createSshTransport } from '../transport/ssh.js';
import { createOpensshTransport } from '../transport/openssh/openssh.js';
import { CANCEL_BUDGET_MS, type Cancellation } from './cancellation.js';
import { runEmitter } from './run-emitter.js';
import type { LockTarget } from './deploy-lock.js';
import { newDeployLock, notRunReport, passLock, withLock } from './lock-gate.js';
import { lockTargetFor } from './lock-plan.js';
import { releaseIdOf } from './part-release.js';
import { checkConfigFiles, checkLockFiles, checkRunFiles, missingUploadSources } from './preflight.js';
import { runIdentity, runIds } from './run-identity.js';
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
  /** The deploy lock the run takes, if any (a dry run only says where). */
  lock?: LockTarget;
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
  const lock = lockTargetFor(config, runner, settings);
  // Before the first stage, dry runs included: a missing key must not surface after local stages ran.
  await checkRunFiles(config, runner, hosts, sshOverrides(settings, config.ssh), settings, lock?.host);
  const redactor = opts.redactor ?? new Redactor(secretValues(settings));
  return { config, runner, hosts, redactor, ...(lock ? { lock } : {}) };
}

export interface LoadedLock {
  config: LoadedConfig;
  lock: LockTarget;
  redactor: Redactor;
}

/** For `boerewors lock …`: the config's deploy lock, whichever runner would take it. */
export async function loadLockConfig(settings: ReleaseSettings, opts: LoadOptions = {}): Promise<LoadedLock> {
  const cwd = opts.cwd ?? process.cwd();
  const file = settings.configPath ?? (await library.findConfigFile(cwd));
  const config = await library.loadConfig(file, { vars: { ...settings.vars, ...settings.secretVars }, cwd });
  const { lock: settingsOfLock } = config;
  if (settingsOfLock.mode === 'off')
    throw new ConfigError(`${config.file}: the deploy lock is off (lock: false)`);
  const lock = lockTargetFor({ ...config, lock: { ...settingsOfLock, mode: 'on' } }, undefined, settings);
  if (!lock) {
    throw new ConfigError(
      `${config.file}: no host to take the deploy lock on: the config names no non-local host (lock.host names one)`,
    );
  }
  await checkLockFiles(config, lock.host, sshOverrides(settings, config.ssh), settings);
  return { config, lock, redactor: opts.redactor ?? new Redactor(secretValues(settings)) };
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

/** Time to release the lock at the end of a run; after a cancel, what is left of the cancel budget. */
const LOCK_RELEASE_MS = { normal: 10_000, cancelled: 1000 } as const;

/**
 * Run a loaded release to its report: take the deploy lock (when the run has one), run the
 * runner, release the lock. A run that does not get the lock runs nothing: no stage, not even one
 * meant for the way out, and its report says who holds the lock. A cancelled run whose commands do
 * not stop within the cancellation's grace period is reported from its events so far (every job
 * still running counts as cancelled); so is a run whose engine threw. The lock is released in
 * every case, within what is left of the cancel budget after a cancel.
 */
export async function runRelease(
  settings: ReleaseSettings,
  loaded: LoadedRelease,
  hooks: RunHooks,
): Promise<RunOutcome> {
  const { cancellation } = hooks;
  const { redactor } = loaded;
  const partial = new PartialReport(loaded.runner.name);
  // The report lists every warning of the run, the transport's (host keys) as well as the engine's.
  const warnings: string[] = [];
  const emitter = runEmitter(redactor, partial, warnings, hooks.onEvent, settings.dryRun);
  const { emit } = emitter;
  const warn = (message: string): void => emit({ type: 'warning', message });
  for (const name of tooShortToRedact(settings.secretVars)) {
    warn(
      `secret ${name} is shorter than ${MIN_REDACTED_LENGTH} characters, too short to be redacted ` +
        'from output, the summary and the report: use a longer value',
    );
  }
  const startedAt = new Date();
  const release = releaseIdOf(settings) ?? defaultReleaseId(startedAt);
  const identity = runIdentity();
  const transport = createTransport(settings, loaded.config.ssh, warn, redactor);
  const part = runPartOf(settings);
  // A part of a sharded release takes no lock of its own: given the token of the lock a job
  // ahead of the matrix took (`boerewors lock acquire`), it re-enters that; else it runs without.
  const lockTarget = part && !settings.lockToken ? undefined : loaded.lock;
  if (loaded.lock && !lockTarget) {
    // The action takes the token in an input of its own; the CLI in the environment.
    const given = settings.sources.lockToken
      ? `"lock: acquire" in ${sourceName(settings.sources.lockToken)}`
      : '"boerewors lock acquire" in BW_LOCK_TOKEN';
    emit({
      type: 'info',
      message:
        '🔓 deploy lock: a part of a sharded release does not take the lock itself; give every part ' +
        `the token of ${given} to hold one lock across them (docs/lock.md)`,
    });
  }
  const lock =
    lockTarget && !settings.dryRun
      ? newDeployLock(transport, lockTarget, { runner: loaded.runner.name, release, identity }, emit)
      : undefined;
  let finished = true;
  // Once the run is reported without the engine (it did not stop in time), what the engine still
  // says (a job ending, a connection cut at exit, its own run-end) would come after the report's
  // last line and contradict it: it is not heard any more.
  let engineHeard = true;
  const fromEngine = (e: Parameters<typeof emit>[0]): void => {
    if (engineHeard) emit(e);
  };
  try {
    const gate = await passLock(lock, lockTarget, settings, cancellation.signal, emit);
    if ('refused' in gate) {
      const report = notRunReport(loaded.runner.name, release, startedAt, gate);
      emit({ type: 'run-start', runner: report.runner, release, startedAt: report.startedAt, stageCount: 0 });
      emit({ type: 'run-end', report });
      return { report: { ...redactor.report(report), warnings }, complete: true };
    }
    lock?.startHeartbeat();
    const ids = runIds(process.env, { lockToken: gate.token, part: part !== undefined, release });
    const vars = {
      ...loaded.config.vars,
      BW_LOCK_TOKEN: gate.token ?? '',
      // A re-run of a workflow run (of a failed shard too) keeps BW_RUN_ID: see prepare and undo.
      BW_RUN_ID: ids.run,
      BW_RUN_ATTEMPT: ids.attempt,
      BW_RUN_URL: identity.runUrl,
      BW_ACTOR: identity.who,
    };
    const executor = new Executor({
      transport,
      signal: cancellation.signal,
      vars,
      onEvent: fromEngine,
      release,
      ...(settings.limit !== undefined ? { limit: settings.limit } : {}),
      ...(loaded.hosts ? { hosts: loaded.hosts } : {}),
      ...(part ? { part } : {}),
      cancelBudgetMs: CANCEL_BUDGET_MS,
      dryRun: settings.dryRun,
    });
    const report = await cancellation.race(executor.run(loaded.runner));
    if (report)
      return { report: withLock({ ...redactor.report(report), warnings }, gate.lock), complete: true };
    finished = false;
    engineHeard = false;
    return {
      report: withLock(partial.snapshot(cancelMessage(cancellation.signal)), gate.lock),
      complete: false,
    };
  } catch (e) {
    finished = false;
    engineHeard = false;
    return {
      report: partial.snapshot(redactor.text(errorMessage(e)), 'failure'),
      complete: false,
    };
  } finally {
    emitter.flush();
    await lock?.release(cancellation.signal.aborted ? LOCK_RELEASE_MS.cancelled : LOCK_RELEASE_MS.normal);
    // Commands the engine could not stop may still hold the transport: the front end ends the process.
    const closing = transport.close();
    if (finished) await closing;
    else closing.catch(() => {});
  }
}

/**
 * The transport of a run: nothing but the dry-run transport for `dryRun`; otherwise `local:` hosts
 * on this machine and the others over SSH, whose transport is created only when a step needs it.
 */
export function createTransport(
  settings: Pick<
    ReleaseSettings,
    | 'dryRun'
    | 'identityPath'
    | 'privateKey'
    | 'passphrase'
    | 'knownHostsPaths'
    | 'knownHosts'
    | 'sshConfigText'
    | 'certificateText'
  >,
  ssh: SshOptions,
  warn: (m: string) => void,
  redactor: Redactor,
): Transport {
  if (settings.dryRun) return new DryRunTransport();
  // Output is redacted as it is split into lines, before a long line is cut into pieces that no
  // later redaction could join again.
  const output = redactor.empty ? undefined : redactor;
  const options = sshOverrides(settings, ssh);
  const hooks = { onWarning: warn, ...(output ? { redactor: output } : {}) };
  return new RoutingTransport(new LocalTransport(process.env, output), () =>
    resolvedClient(options) === 'openssh'
      ? createOpensshTransport(options, hooks)
      : createSshTransport(options, hooks),
  );
}

/** CLI flags and action inputs win over the config's `ssh:` block. */
export function sshOverrides(
  settings: Pick<
    ReleaseSettings,
    | 'identityPath'
    | 'privateKey'
    | 'passphrase'
    | 'knownHostsPaths'
    | 'knownHosts'
    | 'sshConfigText'
    | 'certificateText'
  >,
  ssh: SshOptions,
): SshOptions {
  return {
    ...(settings.sshConfigText ? { configText: settings.sshConfigText } : {}),
    ...(settings.certificateText ? { certificateText: settings.certificateText } : {}),
    ...ssh,
    ...(settings.identityPath ? { privateKeyPath: settings.identityPath } : {}),
    ...(settings.privateKey ? { privateKey: settings.privateKey } : {}),
    ...(settings.passphrase ? { passphrase: settings.passphrase } : {}),
    ...(settings.knownHostsPaths ? { knownHostsPaths: settings.knownHostsPaths } : {}),
    ...(settings.knownHosts ? { knownHosts: settings.knownHosts } : {}),
  };
}
