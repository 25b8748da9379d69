/**
 * The SSH transport's settings: what the config's `ssh:` block resolves to (durations in ms, defaults
 * applied) and what the front ends override. Plain data, so config can build it without the transport.
 */
export type HostKeyChecking = 'strict' | 'accept-new' | 'off';

/**
 * Which SSH client connects: `builtin` (ssh2, in process) or `openssh` (the system's `ssh`, for
 * certificates and ssh_config); `auto` picks openssh when an OpenSSH-only setting is given.
 */
export type SshClientChoice = 'auto' | 'builtin' | 'openssh';

export interface JumpHost {
  readonly user?: string;
  readonly address: string;
  readonly port: number;
}

export interface SshOptions {
  /** Default user for hosts that name none. Default: the current OS user. */
  readonly user?: string;
  /** Default port. Default 22. */
  readonly port: number;
  /** Path of the private key (`~` expanded by the transport). */
  readonly privateKeyPath?: string;
  /** Private key text (action input / library); wins over `privateKeyPath`. Never logged. */
  readonly privateKey?: string;
  /** Passphrase of an encrypted key. Never logged. */
  readonly passphrase?: string;
  /** known_hosts files to read (`~` expanded). Default `~/.ssh/known_hosts`. */
  readonly knownHostsPaths: readonly string[];
  /** Extra known_hosts entries, given inline (the action's `ssh-known-hosts` input). */
  readonly knownHosts?: string;
  /** Default `strict`. */
  readonly hostKeyChecking: HostKeyChecking;
  /** Default 10 000. */
  readonly connectTimeoutMs: number;
  /** Keepalive interval; a host is lost after 3 missed. Default 5 000. */
  readonly keepaliveMs: number;
  readonly jumpHost?: JumpHost;
  /** Concurrent channels per connection. Default 8 (below OpenSSH's MaxSessions 10). */
  readonly maxSessions: number;
  /** Concurrent handshakes across all hosts. Default 8 (below OpenSSH's MaxStartups 10). */
  readonly maxHandshakes: number;
  /** Default `auto`: see `SshClientChoice`. */
  readonly client: SshClientChoice;
  /** An ssh_config file for the OpenSSH client (`ssh -F`). */
  readonly configFile?: string;
  /** ssh_config text (the action's `ssh-config` input); written to a private file. Wins over `configFile`. */
  readonly configText?: string;
  /** A user certificate (`CertificateFile`). */
  readonly certificateFile?: string;
  /** Certificate text (the action's `ssh-certificate` input); wins over `certificateFile`. */
  readonly certificateText?: string;
  /** Extra OpenSSH options (`-o Name=value`), in order. */
  readonly extraOptions?: Readonly<Record<string, string>>;
}

/** Whether `options` name something only the OpenSSH client can do. */
export function wantsOpenssh(options: Partial<SshOptions>): boolean {
  return Boolean(
    options.configFile ||
    options.configText ||
    options.certificateFile ||
    options.certificateText ||
    Object.keys(options.extraOptions ?? {}).length > 0,
  );
}

/** The client `options` resolve to: `auto` becomes openssh or builtin. */
export function resolvedClient(options: Partial<SshOptions>): 'builtin' | 'openssh' {
  const client = options.client ?? 'auto';
  if (client !== 'auto') return client;
  return wantsOpenssh(options) ? 'openssh' : 'builtin';
}

export const DEFAULT_SSH_OPTIONS: SshOptions = Object.freeze({
  port: 22,
  knownHostsPaths: ['~/.ssh/known_hosts'],
  hostKeyChecking: 'strict',
  connectTimeoutMs: 10_000,
  keepaliveMs: 5_000,
  maxSessions: 8,
  maxHandshakes: 8,
  client: 'auto',
});
