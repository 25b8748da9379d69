/**
 * Decides whether a presented host key is trusted, per `host-key-checking`:
 * - `strict`: the key must be listed for the host in known_hosts;
 * - `accept-new`: an unlisted host is trusted for this run (warning); a listed host must match;
 * - `off`: anything goes, with a loud warning once per run.
 * A mismatch always fails closed, naming the host and both fingerprints. A key marked `@revoked`
 * is refused in every mode.
 */
import { readFile } from 'node:fs/promises';
import { HostKeyError } from '../errors.js';
import {
  algorithmsForKeyType,
  entryMatches,
  fingerprint,
  keyTypeOf,
  knownHostsName,
  parseKnownHosts,
  type KnownHostEntry,
} from './ssh-known-hosts.js';
import type { HostKeyChecking, SshHooks } from './ssh-options.js';
import { expandHome } from './ssh-paths.js';

/** What ssh2 offers when we have no preference (its defaults, ed25519 first). */
const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

export interface KnownHostsSource {
  readonly paths: readonly string[];
  /** Entries given inline (action input). */
  readonly inline?: string;
}

export interface HostIdentity {
  /** `user@host:port`, for messages. */
  readonly label: string;
  readonly address: string;
  readonly port: number;
}

export class HostKeyVerifier {
  #entries: KnownHostEntry[] = [];
  /** What was read, for "checked: …" in errors: `~/.ssh/known_hosts (missing)`. */
  #consulted: string[] = [];
  #loaded: Promise<void> | undefined;
  /** accept-new: keys trusted on first use during this run, by known_hosts name. */
  readonly #acceptedThisRun = new Map<string, Buffer>();
  #warnedOff = false;

  constructor(
    private readonly mode: HostKeyChecking,
    private readonly source: KnownHostsSource,
    private readonly hooks: SshHooks = {},
  ) {}

  /** Reads the known_hosts files once; missing files are fine (the host is then unknown). */
  load(): Promise<void> {
    this.#loaded ??= this.#read();
    return this.#loaded;
  }

  async #read(): Promise<void> {
    for (const path of this.source.paths) {
      const full = expandHome(path);
      let text: string;
      try {
        text = await readFile(full, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        this.#consulted.push(`${path} (${code === 'ENOENT' ? 'missing' : `unreadable: ${code}`})`);
        continue;
      }
      this.#add(text, path);
    }
    if (this.source.inline?.trim()) this.#add(this.source.inline, 'ssh-known-hosts input');
  }

  #add(text: string, name: string): void {
    const parsed = parseKnownHosts(text, name);
    this.#entries.push(...parsed.entries);
    this.#consulted.push(name);
    for (const why of parsed.skipped) this.hooks.onDebug?.(`known_hosts: skipped ${why}`);
  }

  /** Host key algorithms to offer, known key types first so the server presents one we can check. */
  algorithmsFor(address: string, port: number): string[] {
    const name = knownHostsName(address, port);
    const preferred = this.#entries
      .filter((e) => e.marker === null && entryMatches(e, name))
      .flatMap((e) => algorithmsForKeyType(e.keyType));
    return [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS])].filter((a) =>
      DEFAULT_HOST_KEY_ALGORITHMS.includes(a),
    );
  }

  /** null when the key is trusted; otherwise the error to fail the connection with. Call after `load()`. */
  check(host: HostIdentity, key: Buffer): HostKeyError | null {
    const name = knownHostsName(host.address, host.port);
    const presented = `${keyTypeOf(key) ?? 'unknown-type'} ${fingerprint(key)}`;
    const matching = this.#entries.filter((e) => entryMatches(e, name));
    const revoked = matching.find((e) => e.marker === 'revoked' && e.key.equals(key));
    if (revoked) {
      return new HostKeyError(
        `${host.label}: host key ${presented} is marked @revoked (${revoked.source}); refusing to connect, nothing was run`,
      );
    }
    if (this.mode === 'off') {
      if (!this.#warnedOff) {
        this.#warnedOff = true;
        this.hooks.onWarning?.(
          'host-key-checking is OFF: host keys are not verified, so anyone on the network path can ' +
            'impersonate a host and receive every command and secret sent to it. Use strict or accept-new.',
        );
      }
      return null;
    }
    const plain = matching.filter((e) => e.marker === null);
    if (plain.some((e) => e.key.equals(key))) return null;
    const accepted = this.#acceptedThisRun.get(name);
    if (accepted?.equals(key)) return null;

    if (plain.length > 0 || accepted) {
      const expected = [
        ...plain.map((e) => `${e.keyType} ${fingerprint(e.key)} (${e.source})`),
        ...(accepted
          ? [`${keyTypeOf(accepted)} ${fingerprint(accepted)} (accepted earlier in this run)`]
          : []),
      ];
      return new HostKeyError(
        `${host.label}: HOST KEY MISMATCH, refusing to connect (nothing was run): presented ${presented}; ` +
          `expected ${expected.join(' or ')}. The host was re-keyed or the connection is being intercepted; ` +
          'if the change is legitimate, replace its known_hosts entry.',
      );
    }
    const authorities = matching.filter((e) => e.marker === 'cert-authority');
    if (authorities.length > 0 && this.mode === 'strict') {
      return new HostKeyError(
        `${host.label}: known_hosts lists only @cert-authority entries for this host ` +
          `(${authorities.map((e) => e.source).join(', ')}), and host certificates are not supported; ` +
          `add the host's own key instead (presented ${presented})`,
      );
    }
    if (this.mode === 'accept-new') {
      this.#acceptedThisRun.set(name, key);
      this.hooks.onWarning?.(
        `${host.label}: host key not in known_hosts, trusting it for this run (accept-new): ${presented}`,
      );
      return null;
    }
    return new HostKeyError(
      `${host.label}: host key not known (presented ${presented}); nothing was run. ` +
        `Checked: ${this.#consulted.join(', ') || 'no known_hosts file'}. Add the host's key to known_hosts ` +
        `(ssh-keyscan -p ${host.port} ${host.address}, after checking the fingerprint) or use host-key-checking: accept-new.`,
    );
  }
}
