/**
 * known_hosts parsing and host matching, as OpenSSH does it (sshd(8) "SSH_KNOWN_HOSTS FILE
 * FORMAT"): plain and hashed (`|1|salt|hash`) names, `[host]:port` for non-standard ports, comma
 * lists with `*`/`?` wildcards and `!` negation, and the `@revoked` / `@cert-authority` markers.
 * Pure functions; reading files is the caller's business.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';

export interface KnownHostEntry {
  readonly marker: 'revoked' | 'cert-authority' | null;
  /** Comma-separated patterns of a plain entry; null for a hashed one. */
  readonly patterns: readonly string[] | null;
  readonly hashed: { readonly salt: Buffer; readonly hash: Buffer } | null;
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, … */
  readonly keyType: string;
  /** The public key in SSH wire format (what the server presents). */
  readonly key: Buffer;
  /** `file:line`, for error messages. */
  readonly source: string;
}

export interface ParsedKnownHosts {
  readonly entries: KnownHostEntry[];
  /** Lines that were skipped, as `file:line: why` (no key material). */
  readonly skipped: string[];
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function parseKnownHosts(text: string, sourceName: string): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const skipped: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const source = `${sourceName}:${index + 1}`;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return void skipped.push(`${source}: unknown marker ${m}`);
    }
    const [hosts, keyType, keyText] = fields;
    if (!hosts || !keyType || !keyText || !BASE64.test(keyText)) {
      return void skipped.push(`${source}: expected "hosts key-type base64-key"`);
    }
    const key = Buffer.from(keyText, 'base64');
    if (keyTypeOf(key) !== keyType)
      return void skipped.push(`${source}: key data does not match type ${keyType}`);
    let hashed: KnownHostEntry['hashed'] = null;
    let patterns: string[] | null = null;
    if (hosts.startsWith('|1|')) {
      const [salt, hash] = hosts.slice(3).split('|');
      if (!salt || !hash) return void skipped.push(`${source}: malformed hashed host name`);
      hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else {
      patterns = hosts.split(',').filter((p) => p !== '');
    }
    entries.push({ marker, patterns, hashed, keyType, key, source });
  });
  return { entries, skipped };
}

/** The name a host is listed under: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(address: string, port: number): string {
  const host = address.toLowerCase();
  return port === 22 ? host : `[${host}]:${port}`;
}

export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const digest = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return digest.length === entry.hashed.hash.length && digest.equals(entry.hashed.hash);
  }
  let matched = false;
  for (const pattern of entry.patterns ?? []) {
    const negated = pattern.startsWith('!');
    if (!wildcardMatch(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false; // a matching negation wins over everything
    matched = true;
  }
  return matched;
}

/**
 * `*` any run, `?` one character; case-insensitive like OpenSSH's host patterns. Greedy with a
 * single backtrack point (the last `*`): a RegExp with one `.*` per star backtracks exponentially
 * on a line such as 24 stars then `x`, and this runs synchronously while connecting, where it
 * froze the process (timers and signal handlers included). Here a failed try only moves the last
 * star on by one character, so the work is at most |pattern| + |name|², and a name is a host name.
 */
export function wildcardMatch(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  let pi = 0;
  let ni = 0;
  let star = -1; // index of the last `*` seen in p
  let starFrom = 0; // where in n that star's run currently ends
  while (ni < n.length) {
    if (p[pi] === '*') {
      star = pi++;
      starFrom = ni;
    } else if (pi < p.length && (p[pi] === '?' || p[pi] === n[ni])) {
      pi++;
      ni++;
    } else if (star >= 0) {
      pi = star + 1;
      ni = ++starFrom;
    } else {
      return false;
    }
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}

/** The key type named inside an SSH wire-format public key, or null if it is not one. */
export function keyTypeOf(key: Buffer): string | null {
  if (key.length < 4) return null;
  const len = key.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > key.length) return null;
  return key.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:…` as `ssh-keygen -l` prints it (unpadded base64). */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** `|1|salt|hash`, as `ssh-keygen -H` and `HashKnownHosts yes` write a host name. */
export function hashHostName(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}
