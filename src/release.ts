/**
 * The one pipeline behind the CLI and the action: settings → config → plan → executor → events.
 * Entrypoints add only their reporters and their way of exiting.
 */
import { Executor } from './engine/executor.js';
import type { EventListener } from './engine/events.js';
import type { RunReport } from './engine/report.js';
import type { Runner } from './engine/runner.js';
import {
  findConfigFile,
  loadConfig,
  resolveHostFilter,
  selectRunner,
  type LoadedConfig,
} from './config/index.js';
import { checkRunFiles } from './preflight.js';
import { MIN_REDACTED_LENGTH, Redactor, tooShortToRedact } from './report/redact.js';
import type { ReleaseSettings } from './settings.js';
import { DryRunTransport } from './transport/dry-run.js';
import { LocalTransport } from './transport/local.js';
import { RoutingTransport } from './transport/routing.js';
import { createSshTransport } from './transport/ssh.js';
import type { SshOptions } from './contract/ssh-options.js';
import type { Transport } from './contract/transport.js';

export interface PreparedRelease {
  config: LoadedConfig;
  runner: Runner;
  /** Host names kept by `settings.hosts` (undefined: all). */
  hosts: string[] | undefined;
  /** Removes secret values from anything written. */
  redactor: Redactor;
}

/** Load and check everything that can be checked before a single command runs. Throws ConfigError/UsageError. */
export async function prepareRelease(
  settings: ReleaseSettings,
  cwd = process.cwd(),
): Promise<PreparedRelease> {
  const file = settings.configPath ?? (await findConfigFile(cwd));
  const config = await loadConfig(file, { vars: { ...settings.vars, ...settings.secretVars }, cwd });
  const runner = selectRunner(config, settings.runner);
  const hosts = settings.hosts ? resolveHostFilter(config, settings.hosts) : undefined;
  // Before the first stage, dry runs included: a missing key must not surface after local stages ran.
  await checkRunFiles(config, runner, hosts, sshOverrides(settings, config.ssh), settings);
  const redactor = new Redactor([
    ...Object.values(settings.secretVars),
    ...(settings.privateKey ? [settings.privateKey] : []),
    ...(settings.passphrase ? [settings.passphrase] : []),
  ]);
  return { config, runner, hosts, redactor };
}

export interface RunHooks {
  signal: AbortSignal;
  /** Every event, transport warnings (insecure host-key modes, trust on first use) included. */
  onEvent: EventListener;
}

/** Run a prepared release; events and the report are already redacted. Closes every connection. */
export async function executeRelease(
  settings: ReleaseSettings,
  prepared: PreparedRelease,
  hooks: RunHooks,
): Promise<RunReport> {
  const { redactor } = prepared;
  const onEvent: EventListener = (e) => hooks.onEvent(redactor.event(e));
  const warn = (message: string): void => onEvent({ type: 'warning', message });
  for (const name of tooShortToRedact(settings.secretVars)) {
    warn(
      `secret ${name} is shorter than ${MIN_REDACTED_LENGTH} characters, too short to be redacted ` +
        'from output, the summary and the report: use a longer value',
    );
  }
  const transport = createTransport(settings, prepared.config.ssh, warn, redactor);
  try {
    const executor = new Executor({
      transport,
      signal: hooks.signal,
      vars: prepared.config.vars,
      onEvent,
      ...(settings.limit !== undefined ? { limit: settings.limit } : {}),
      ...(prepared.hosts ? { hosts: prepared.hosts } : {}),
      ...(settings.release ? { release: settings.release } : {}),
    });
    return redactor.report(await executor.run(prepared.runner));
  } finally {
    await transport.close();
  }
}

function createTransport(
  settings: ReleaseSettings,
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
export function sshOverrides(settings: ReleaseSettings, ssh: SshOptions): SshOptions {
  return {
    ...ssh,
    ...(settings.identityPath ? { privateKeyPath: settings.identityPath } : {}),
    ...(settings.privateKey ? { privateKey: settings.privateKey } : {}),
    ...(settings.passphrase ? { passphrase: settings.passphrase } : {}),
    ...(settings.knownHostsPaths ? { knownHostsPaths: settings.knownHostsPaths } : {}),
    ...(settings.knownHosts ? { knownHosts: settings.knownHosts } : {}),
  };
}
