/** The `ssh:` block → the transport's SshOptions, defaults applied. */
import { DEFAULT_SSH_OPTIONS } from '../contract/ssh-options.js';
import type { JumpHost, SshOptions } from '../contract/ssh-options.js';
import { parseRemoteAddress } from './formats.js';
import type { SshConfig } from './schema.js';

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
  };
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
