/**
 * The one pipeline behind the CLI and the action: settings → config → checks before anything runs
 * → transport → executor → events and the report. The front ends add only their reporters and
 * their way of exiting.
 */
import type { LoadedConfig } from '../config/index.js';
import { resolveHostFilter, selectRunner } from '../config/index.js';
import { cancelMessage } from '../contract/abort.js';
import { errorMessage } from '../contract/errors.js';
import { defaultReleaseId } from '../engine/model/release-id.js';
import type { Transport } from '../contract/transport.js';
import type { Runner } from '../engine/model/runner.js';
import type { EventListener } from '../engine/report/events.js';
import type { RunReport } from '../engine/report/report.js';
import type { RunPart } from '../engine/report/run-part.js';
import { Executor } from '../engine/schedule/executor.js';
import { PartialReport } from '../reporters/partial-report.js';
import { CANCEL_BUDGET_MS, type Cancellation } from './cancellation.js';
import type { DeployLock, LockTarget } from './lock/deploy-lock.js';
import { newDeployLock, notRunReport, passLock, withLock, type LockGate } from './lock/lock-gate.js';
import { lockTargetFor } from './lock/lock-plan.js';
import { releaseIdOf } from './part-release.js';
import { loadSettingsConfig, type LoadOptions } from './config-file.js';
import { checkConfigFiles, checkRunFiles, missingUploadSources } from './preflight.js';
import { runEmitter, type RunEmitter } from './run-emitter.js';
import { runIdentity, runIds, type RunIdentity } from './run-identity.js';
import { runPartOf } from './run-part-of.js';
import { createTransport, sshOverrides } from './run-transport.js';
import { MIN_REDACTED_LENGTH, Redactor, secretValues, tooShortToRedact } from './secrets.js';
import { sourceLabel, sourceName, type ReleaseSettings } from './settings.js';

export interface LoadedRelease {
  config: LoadedConfig;
  runner: Runner;
  /** Host names kept by `settings.hosts` (undefined: all). */
  hosts: string[] | undefined;
  /** Removes the release's secrets from anything written. */
  redactor: Redactor;
  /**
   * The release id (BW_RELEASE), decided here once for the whole run: the one given, the one a
   * part of a sharded release shares, or a new one (`defaultReleaseId`).
   */
  release: string;
  /** The part of a sharded release this run is, if it is one. */
  part?: RunPart;
  /** The deploy lock the run takes, if any (a dry run only says where). */
  lock?: LockTarget;
  /**
   * The config's deploy lock, when this part of a sharded release does not take it (no token of
   * a lock taken ahead of the parts was given).
   */
  lockLeftOut?: LockTarget;
}

/** Load and check everything that can be checked before a single command runs. Throws ConfigError/UsageError. */
export async function loadRelease(settings: ReleaseSettings, opts: LoadOptions = {}): Promise<LoadedRelease> {
  const release = releaseIdOf(settings) ?? defaultReleaseId(new Date());
  const { config } = await loadSettingsConfig(settings, opts);
  const { runner: runnerSource, hosts: hostsSource } = settings.sources;
  const runner = selectRunner(config, settings.runner, runnerSource && sourceName(runnerSource));
  const hosts = settings.hosts
    ? resolveHostFilter(config, settings.hosts, hostsSource ? sourceLabel(hostsSource) : undefined)
    : undefined;
  const lock = lockTargetFor(config, runner, settings);
  // Before the first stage, dry runs included: a missing key must not surface after local stages ran.
  await checkRunFiles(config, runner, hosts, sshOverrides(settings, config.ssh), settings, lock?.host);
  const redactor = opts.redactor ?? new Redactor(secretValues(settings));
  const part = runPartOf(settings);
  // A part of a sharded release takes no lock of its own: given the token of the lock a job
  // ahead of the matrix took (`boerewors lock acquire`), it re-enters that; else it runs without.
  const leftOut = part && !settings.lockToken ? lock : undefined;
  return {
    config,
    runner,
    hosts,
    redactor,
    release,
    part,
    lock: leftOut ? undefined : lock,
    lockLeftOut: leftOut,
  };
}

export interface ValidatedConfig {
  file: string;
  config: LoadedConfig;
  /** Upload sources that do not exist yet: a run fails unless something creates them first. */
  warnings: string[];
}

/** `validate`: the config, and the SSH files it names; no runner is chosen and nothing runs. */
export async function validateConfig(configPath: string | undefined, cwd: string): Promise<ValidatedConfig> {
  const { file, config } = await loadSettingsConfig({ configPath }, { cwd });
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
  const { redactor, release } = loaded;
  const partial = new PartialReport(loaded.runner.name);
  // The report lists every warning of the run, the transport's (host keys) as well as the engine's.
  const warnings: string[] = [];
  const emitter = runEmitter(redactor, partial, warnings, hooks.onEvent, settings.dryRun);
  const { emit } = emitter;
  const warn = (message: string): void => emit({ type: 'warning', message });
  warnOfShortSecrets(settings, warn);
  const startedAt = new Date();
  const identity = runIdentity();
  const transport = createTransport(settings, loaded.config.ssh, warn, redactor);
  if (loaded.lockLeftOut) emit({ type: 'info', message: lockLeftOutMessage(settings) });
  const lock =
    loaded.lock && !settings.dryRun
      ? newDeployLock(transport, loaded.lock, { runner: loaded.runner.name, release, identity }, emit)
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
    const gate = await passLock(lock, loaded.lock, settings, cancellation.signal, emit);
    if ('refused' in gate) {
      const report = notRunReport(loaded.runner.name, release, startedAt, gate);
      emit({ type: 'run-start', runner: report.runner, release, startedAt: report.startedAt, stageCount: 0 });
      emit({ type: 'run-end', report });
      return { report: { ...redactor.report(report), warnings }, complete: true };
    }
    lock?.startHeartbeat();
    const executor = executorOf(settings, loaded, {
      gate,
      identity,
      transport,
      emit: fromEngine,
      signal: cancellation.signal,
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
    return { report: partial.snapshot(redactor.text(errorMessage(e)), 'failure'), complete: false };
  } finally {
    await endRun(emitter, lock, transport, cancellation.signal, finished);
  }
}

function warnOfShortSecrets(settings: ReleaseSettings, warn: (message: string) => void): void {
  for (const name of tooShortToRedact(settings.secretVars)) {
    warn(
      `secret ${name} is shorter than ${MIN_REDACTED_LENGTH} characters, too short to be redacted ` +
        'from output, the summary and the report: use a longer value',
    );
  }
}

/** Why this part of a sharded release runs without the config's deploy lock, and how to hold one. */
function lockLeftOutMessage(settings: ReleaseSettings): string {
  // The action takes the token in an input of its own; the CLI in the environment.
  const given = settings.sources.lockToken
    ? `"lock: acquire" in ${sourceName(settings.sources.lockToken)}`
    : '"boerewors lock acquire" in BW_LOCK_TOKEN';
  return (
    '🔓 deploy lock: a part of a sharded release does not take the lock itself; give every part ' +
    `the token of ${given} to hold one lock across them (docs/lock.md)`
  );
}

interface RunParts {
  gate: Exclude<LockGate, { refused: string }>;
  identity: RunIdentity;
  transport: Transport;
  emit: EventListener;
  signal: AbortSignal;
}

/** The engine for the run, with the `BW_*` variables of its lock and its workflow run. */
function executorOf(settings: ReleaseSettings, loaded: LoadedRelease, run: RunParts): Executor {
  const { release, part } = loaded;
  const ids = runIds(process.env, { lockToken: run.gate.token, part: part !== undefined, release });
  const vars = {
    ...loaded.config.vars,
    BW_LOCK_TOKEN: run.gate.token ?? '',
    // A re-run of a workflow run (of a failed shard too) keeps BW_RUN_ID: see prepare and undo.
    BW_RUN_ID: ids.run,
    BW_RUN_ATTEMPT: ids.attempt,
    BW_RUN_URL: run.identity.runUrl,
    BW_ACTOR: run.identity.who,
  };
  return new Executor({
    transport: run.transport,
    signal: run.signal,
    vars,
    onEvent: run.emit,
    release,
    limit: settings.limit,
    hosts: loaded.hosts,
    part,
    cancelBudgetMs: CANCEL_BUDGET_MS,
    dryRun: settings.dryRun,
  });
}

/** Flushes the events, releases the lock and closes the transport, whatever the run's end. */
async function endRun(
  emitter: RunEmitter,
  lock: DeployLock | undefined,
  transport: Transport,
  signal: AbortSignal,
  finished: boolean,
): Promise<void> {
  emitter.flush();
  await lock?.release(signal.aborted ? LOCK_RELEASE_MS.cancelled : LOCK_RELEASE_MS.normal);
  // Commands the engine could not stop may still hold the transport: the front end ends the process.
  const closing = transport.close();
  if (finished) await closing;
  else closing.catch(() => {});
}
