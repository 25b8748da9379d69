import type { OutputRedactor } from './line-splitter.js';

/** The `ssh:` block of a release config, resolved (durations in ms, defaults applied). */
export type HostKeyChecking = 'strict' | 'accept-new' | 'off';

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
  /** Extra known_hosts entries (action input `ssh-known-hosts`). */
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
}

export const DEFAULT_SSH_OPTIONS: SshOptions = Object.freeze({
  port: 22,
  knownHostsPaths: ['~/.ssh/known_hosts'],
  hostKeyChecking: 'strict',
  connectTimeoutMs: 10_000,
  keepaliveMs: 5_000,
  maxSessions: 8,
  maxHandshakes: 8,
});

/** How the SSH transport talks back: it never prints; the CLI/action turn these into log lines. */
export interface SshHooks {
  /** Security-relevant notices: `host-key-checking: off`, a host trusted on first use. */
  onWarning?(message: string): void;
  /** Connection life cycle (connect, reconnect, lowered channel limit). Never contains secrets. */
  onDebug?(message: string): void;
  /** Removes secrets from command output before it is split into lines (see LineSplitter). */
  redactor?: OutputRedactor;
}
