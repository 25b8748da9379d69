/**
 * Decides whether a presented host key is trusted, per `host-key-checking`, with OpenSSH's
 * verdicts (see docs/ssh.md for the few deliberate differences):
 * - `strict`: the key must be listed for the host in known_hosts;
 * - `accept-new`: an unlisted host is trusted and its key added to the first known-hosts file (or,
 *   with none configured, remembered for this run); a listed host must match;
 * - `off`: anything goes, with a loud warning once per run.
 * A listed host must present one of its listed keys; a key of a type not listed for it is a
 * mismatch too, as in OpenSSH. Which key it presents follows from the algorithms we offer
 * (`algorithmsFor`, OpenSSH's order). A key marked `@revoked` is refused in every mode.
 */
import { readFileSync } from 'node:fs';
import { HostKeyError } from '../../contract/errors.js';
import { orderHostKeyAlgorithms } from './host-key-algorithms.js';
import { recordKnownHost } from './known-hosts-file.js';
import {
  entryMatches,
  fingerprint,
  keyTypeOf,
  knownHostsName,
  parseKnownHosts,
  type KnownHostEntry,
} from './known-hosts.js';
import type { HostKeyChecking } from '../../contract/ssh-options.js';
import type { SshHooks } from '../remote/hooks.js';
import { expandHome } from '../remote/paths.js';

export interface KnownHostsSource {
  readonly paths: readonly string[];
  /** Entries given inline (the action's input), named `known_hosts given inline` in messages. */
  readonly inline?: string;
}

export interface HostIdentity {
  /** `user@host:port`, for messages. */
  readonly label: string;
  readonly address: string;
  readonly port: number;
}

/** A key known for a host: a known_hosts line, or one accepted (accept-new) during this run. */
interface ListedKey {
  readonly keyType: string;
  readonly key: Buffer;
  /** `file:line`, or how it came to be trusted in this run. */
  readonly source: string;
}

/** accept-new: a key first met in this run; `settled` is the verdict once recording is done. */
interface AcceptedKey extends ListedKey {
  readonly settled: Promise<HostKeyError | null>;
}

export class HostKeyVerifier {
  #entries: KnownHostEntry[] = [];
  /** What was read, for "checked: …" in errors: `~/.ssh/known_hosts (missing)`. */
  #consulted: string[] = [];
  #loaded: Promise<void> | undefined;
  /** accept-new: keys of hosts that were new in this run, by known_hosts name. */
  readonly #accepted = new Map<string, AcceptedKey>();
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
        // At once, as the private key (keys.ts): it is on the way to every handshake.
        text = readFileSync(full, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        this.#consulted.push(`${path} (${code === 'ENOENT' ? 'missing' : `unreadable: ${code}`})`);
        continue;
      }
      this.#add(text, path);
    }
    if (this.source.inline?.trim()) this.#add(this.source.inline, 'known_hosts given inline');
  }

  #add(text: string, name: string): void {
    const parsed = parseKnownHosts(text, name);
    this.#entries.push(...parsed.entries);
    this.#consulted.push(name);
    for (const why of parsed.skipped) this.hooks.onDebug?.(`known_hosts: skipped ${why}`);
  }

  /** The keys listed for `name` (plain entries, and keys accepted in this run). */
  #listed(name: string): ListedKey[] {
    const listed: ListedKey[] = this.#entries.filter((e) => e.marker === null && entryMatches(e, name));
    const accepted = this.#accepted.get(name);
    return accepted ? [...listed, accepted] : listed;
  }

  /**
   * Host key algorithms to offer, in OpenSSH's order for the key types listed for the host, so a
   * host with several keys presents the one OpenSSH would check. Call after `load()`.
   */
  algorithmsFor(address: string, port: number): string[] {
    const types = new Set(this.#listed(knownHostsName(address, port)).map((k) => k.keyType));
    return orderHostKeyAlgorithms(types);
  }

  /**
   * null when the key is trusted; otherwise the error to fail the connection with. In accept-new
   * a new host's key is recorded before this settles. Call after `load()`.
   */
  async verify(host: HostIdentity, key: Buffer): Promise<HostKeyError | null> {
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
    const listed = this.#listed(name);
    const accepted = this.#accepted.get(name);
    // Met earlier in this run: trusted once it is recorded (or found to conflict with the file).
    if (accepted?.key.equals(key)) return accepted.settled;
    if (listed.some((k) => k.key.equals(key))) return null;
    if (listed.length > 0) return mismatch(host, presented, key, listed);

    const authorities = matching.filter((e) => e.marker === 'cert-authority');
    const caNote =
      authorities.length > 0
        ? ` known_hosts lists only @cert-authority entries for this host (${authorities.map((e) => e.source).join(', ')}), ` +
          'and host certificates are not supported.'
        : '';
    if (this.mode === 'accept-new') return this.#acceptNew(host, name, key, presented, caNote);
    if (caNote) {
      return new HostKeyError(
        `${host.label}:${caNote} Add the host's own key instead (presented ${presented}); nothing was run.`,
      );
    }
    return new HostKeyError(
      `${host.label}: host key not known (presented ${presented}); nothing was run. ` +
        `Checked: ${this.#consulted.join(', ') || 'no known_hosts file'}. Add the host's key to known_hosts ` +
        `(ssh-keyscan -p ${host.port} ${host.address}, after checking the fingerprint) or use host-key-checking: accept-new.`,
    );
  }

  /**
   * accept-new meets a host for the first time: trust its key, and add it to the first
   * known-hosts file so a later run refuses a different one. Without a file (only the action's
   * inline entries), or when the file cannot be written, it is trusted for this run only.
   */
  #acceptNew(
    host: HostIdentity,
    name: string,
    key: Buffer,
    presented: string,
    caNote: string,
  ): Promise<HostKeyError | null> {
    const file = this.source.paths[0];
    const warn = (what: string): void =>
      this.hooks.onWarning?.(
        `${host.label}: new host, accepted its key ${presented} (accept-new): ${what}.${caNote}`,
      );
    if (file === undefined) {
      warn('trusted for this run only, as no known-hosts file is configured to add it to');
      return this.#remember(name, key, 'accepted earlier in this run', Promise.resolve(null));
    }
    const settled = recordKnownHost(expandHome(file), file, name, key).then(
      (outcome): HostKeyError | null => {
        if (outcome.kind === 'present') return null;
        if (outcome.kind === 'conflict') {
          this.#accepted.delete(name);
          this.#entries.push(...outcome.listed);
          return mismatch(host, presented, key, outcome.listed);
        }
        if (outcome.madePrivate)
          this.hooks.onWarning?.(`${file} was world-writable; removed that permission`);
        warn(`added to ${file}${outcome.hashed ? ' (hashed, like its other entries)' : ''}`);
        return null;
      },
      (err: unknown) => {
        const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        warn(`trusted for this run only, as it could not be added to ${file} (${why})`);
        return null;
      },
    );
    return this.#remember(name, key, `added to ${file} in this run`, settled);
  }

  /** Remembers a new host's key at once, so its other connections (connect-ahead) do not record it again. */
  #remember(name: string, key: Buffer, source: string, settled: Promise<HostKeyError | null>) {
    this.#accepted.set(name, { keyType: keyTypeOf(key) ?? 'unknown-type', key, source, settled });
    return settled;
  }
}

/** Listed host, other key: the keys of the presented type first, as those are what was expected. */
function mismatch(
  host: HostIdentity,
  presented: string,
  key: Buffer,
  listed: readonly ListedKey[],
): HostKeyError {
  const type = keyTypeOf(key);
  const ordered = [...listed.filter((k) => k.keyType === type), ...listed.filter((k) => k.keyType !== type)];
  const expected = ordered.map((k) => `${k.keyType} ${fingerprint(k.key)} (${k.source})`);
  return new HostKeyError(
    `${host.label}: HOST KEY MISMATCH, refusing to connect (nothing was run): presented ${presented}; ` +
      `expected ${expected.join(' or ')}. The host was re-keyed or the connection is being intercepted; ` +
      'if the change is legitimate, replace its known_hosts entry.',
  );
}
