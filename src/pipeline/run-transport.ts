/** The transport a run (or `boerewors lock`) uses, from the settings and the config's `ssh:` block. */
import { resolvedClient, type SshOptions } from '../contract/ssh-options.js';
import type { Transport } from '../contract/transport.js';
import { DryRunTransport } from '../transport/dry-run.js';
import { LocalTransport } from '../transport/local.js';
import { createOpensshTransport } from '../transport/openssh/openssh.js';
import { RoutingTransport } from '../transport/routing.js';
import { createSshTransport } from '../transport/ssh/ssh-transport.js';
import type { Redactor } from './secrets.js';
import type { ReleaseSettings } from './settings.js';

/** The settings that override the config's `ssh:` block (flags and inputs). */
export type SshSettings = Pick<
  ReleaseSettings,
  | 'identityPath'
  | 'privateKey'
  | 'passphrase'
  | 'knownHostsPaths'
  | 'knownHosts'
  | 'sshConfigText'
  | 'certificateText'
>;

/**
 * The transport of a run: nothing but the dry-run transport for `dryRun`; otherwise `local:` hosts
 * on this machine and the others over SSH, whose transport is created only when a step needs it.
 */
export function createTransport(
  settings: SshSettings & Pick<ReleaseSettings, 'dryRun'>,
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

/** CLI flags and action inputs win over the config's `ssh:` block; an empty one gives nothing. */
export function sshOverrides(settings: SshSettings, ssh: SshOptions): SshOptions {
  return {
    ...given({ configText: settings.sshConfigText, certificateText: settings.certificateText }),
    ...ssh,
    ...given({
      privateKeyPath: settings.identityPath,
      privateKey: settings.privateKey,
      passphrase: settings.passphrase,
      knownHostsPaths: settings.knownHostsPaths,
      knownHosts: settings.knownHosts,
    }),
  };
}

/** The entries of `values` that are set (neither undefined nor ''). */
function given<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value)) as Partial<T>;
}
