/** The `ssh:` block → the transport's SshOptions, defaults applied. */
import { DEFAULT_SSH_OPTIONS } from '../contract/ssh-options.js';
import type { JumpHost, SshOptions } from '../contract/ssh-options.js';
import { configIssueError } from './config-error.js';
import { didYouMean } from './did-you-mean.js';
import { parseRemoteAddress } from './formats.js';
import type { Locator } from './locator.js';
import { OPENSSH_OPTION_NAMES, OPENSSH_RESERVED_OPTIONS } from './openssh-option-names.js';
import type { SshConfig } from './schema.js';

/** The `ssh:` keys only the OpenSSH client understands. */
export const OPENSSH_ONLY_KEYS = ['config', 'certificate', 'options'] as const;

export function resolveSsh(config: SshConfig = {}): SshOptions {
  const knownHosts = config['known-hosts'];
  return {
    ...DEFAULT_SSH_OPTIONS,
    ...(config.user !== undefined ? { user: config.user } : {}),
    ...(config.port !== undefined ? { port: config.port } : {}),
    ...(config['private-key'] !== undefined ? { privateKeyPath: config['private-key'] } : {}),
    ...(knownHosts !== undefined
      ? { knownHostsPaths: typeof knownHosts === 'string' ? [knownHosts] : knownHosts }
      : {}),
    ...(config['host-key-checking'] !== undefined ? { hostKeyChecking: config['host-key-checking'] } : {}),
    ...(config['connect-timeout'] !== undefined ? { connectTimeoutMs: config['connect-timeout'] } : {}),
    ...(config.keepalive !== undefined ? { keepaliveMs: config.keepalive } : {}),
    ...(config['jump-host'] !== undefined ? { jumpHost: parseJumpHost(config['jump-host']) } : {}),
    ...(config['max-sessions'] !== undefined ? { maxSessions: config['max-sessions'] } : {}),
    ...(config.client !== undefined ? { client: config.client } : {}),
    ...(config.config !== undefined ? { configFile: config.config } : {}),
    ...(config.certificate !== undefined ? { certificateFile: config.certificate } : {}),
    ...(config.options !== undefined ? { extraOptions: opensshOptions(config.options) } : {}),
  };
}

function opensshOptions(
  options: Readonly<Record<string, string | number | boolean>>,
): Record<string, string> {
  const yesNo = (v: string | number | boolean): string =>
    typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v);
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [k, yesNo(v)]));
}

/**
 * `client: builtin` beside an OpenSSH-only key, and `options` names that are not OpenSSH's (with
 * did-you-mean) or that the transport sets itself: config errors at the key.
 */
export function checkSshClient(config: SshConfig | undefined, locator: Locator): void {
  if (!config) return;
  if (config.client === 'builtin') {
    const key = OPENSSH_ONLY_KEYS.find((k) => config[k] !== undefined);
    if (key) {
      throw configIssueError(
        locator,
        ['ssh', key],
        `ssh.${key} needs the OpenSSH client, but ssh.client is builtin; set client: openssh (or auto), or remove ssh.${key}`,
      );
    }
  }
  const known = new Map(OPENSSH_OPTION_NAMES.map((n) => [n.toLowerCase(), n]));
  for (const name of Object.keys(config.options ?? {})) {
    const path = ['ssh', 'options', name];
    if (!known.has(name.toLowerCase())) {
      const hint = didYouMean(name, OPENSSH_OPTION_NAMES);
      throw configIssueError(
        locator,
        path,
        `${name} is not an OpenSSH option${hint || ' (see man 5 ssh_config)'}`,
        { key: true },
      );
    }
    if (OPENSSH_RESERVED_OPTIONS.has(name.toLowerCase())) {
      throw configIssueError(
        locator,
        path,
        `${known.get(name.toLowerCase())} is set by boerewors for every connection (one master per host, no terminal, nothing forwarded); leave it out`,
        { key: true },
      );
    }
  }
}

/** `user@host:port` (user and port optional; port 22 by default). The schema has validated it. */
export function parseJumpHost(text: string): JumpHost {
  const entry = parseRemoteAddress(text);
  if (!entry) throw new Error(`invalid jump host "${text}"`);
  return {
    address: entry.address,
    port: entry.port ?? 22,
    ...(entry.user !== undefined ? { user: entry.user } : {}),
  };
}
