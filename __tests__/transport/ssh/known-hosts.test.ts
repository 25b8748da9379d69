/**
 * known_hosts parsing and matching, the host-key algorithms we offer, and the host-key policy,
 * without a server (the verdicts against real sshd and OpenSSH's ssh are in
 * ssh-host-keys-openssh.test.ts).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { HostKeyError } from '../../../src/contract/errors.js';
import { HostKeyVerifier } from '../../../src/transport/ssh/host-keys.js';
import { HOST_KEY_ALGORITHMS } from '../../../src/transport/ssh/host-key-algorithms.js';
import {
  entryMatches,
  fingerprint,
  keyTypeOf,
  knownHostsName,
  parseKnownHosts,
  wildcardMatch,
} from '../../../src/transport/ssh/known-hosts.js';

/** A syntactically valid wire-format key of `type` (random body: matching needs bytes, not math). */
function fakeKey(type: string): Buffer {
  const name = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(name.length);
  return Buffer.concat([len, name, randomBytes(32)]);
}
const b64 = (k: Buffer) => k.toString('base64');
const ED = fakeKey('ssh-ed25519');
const RSA = fakeKey('ssh-rsa');
const OTHER = fakeKey('ssh-ed25519');
const OTHER_RSA = fakeKey('ssh-rsa');
const ECDSA = fakeKey('ecdsa-sha2-nistp256');

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('parseKnownHosts', () => {
  it('reads plain, hashed, marked entries and skips junk with a reason', () => {
    const text = [
      '# comment',
      '',
      `web-1,10.0.0.1 ssh-ed25519 ${b64(ED)} comment here`,
      `${hashed('[db]:2222')} ssh-rsa ${b64(RSA)}`,
      `@revoked * ssh-ed25519 ${b64(OTHER)}`,
      `@cert-authority *.example ssh-ed25519 ${b64(OTHER)}`,
      `@bogus x ssh-ed25519 ${b64(ED)}`,
      'onlyonefield',
      `mismatch ssh-rsa ${b64(ED)}`,
    ].join('\r\n');
    const { entries, skipped } = parseKnownHosts(text, 'kh');
    expect(entries.map((e) => [e.marker, e.keyType, e.source])).toEqual([
      [null, 'ssh-ed25519', 'kh:3'],
      [null, 'ssh-rsa', 'kh:4'],
      ['revoked', 'ssh-ed25519', 'kh:5'],
      ['cert-authority', 'ssh-ed25519', 'kh:6'],
    ]);
    expect(skipped).toEqual([
      'kh:7: unknown marker @bogus',
      'kh:8: expected "hosts key-type base64-key"',
      'kh:9: key data does not match type ssh-rsa',
    ]);
  });
});

describe('host matching', () => {
  const entry = (hosts: string) => parseKnownHosts(`${hosts} ssh-ed25519 ${b64(ED)}`, 'kh').entries[0]!;

  it('names non-standard ports [host]:port, and port 22 plainly', () => {
    expect(knownHostsName('Web-1.Example.com', 22)).toBe('web-1.example.com');
    expect(knownHostsName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });

  it('matches comma lists, wildcards, negation, case-insensitively', () => {
    expect(entryMatches(entry('a,WEB-1'), 'web-1')).toBe(true);
    expect(entryMatches(entry('web-?.example.com'), 'web-7.example.com')).toBe(true);
    expect(entryMatches(entry('*.example.com,!bad.example.com'), 'ok.example.com')).toBe(true);
    expect(entryMatches(entry('*.example.com,!bad.example.com'), 'bad.example.com')).toBe(false);
    expect(entryMatches(entry('[10.0.0.1]:2222'), '[10.0.0.1]:2222')).toBe(true);
    expect(entryMatches(entry('10.0.0.1'), '[10.0.0.1]:2222')).toBe(false);
    expect(entryMatches(entry('web.1'), 'webx1')).toBe(false); // dots are literal
  });

  it('matches hashed names only for the exact name', () => {
    const e = entry(hashed('[10.0.0.1]:2222'));
    expect(entryMatches(e, '[10.0.0.1]:2222')).toBe(true);
    expect(entryMatches(e, '10.0.0.1')).toBe(false);
  });

  it('fingerprints like ssh-keygen and reads the key type from the blob', () => {
    expect(fingerprint(Buffer.from('abc'))).toBe('SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0');
    expect(keyTypeOf(ED)).toBe('ssh-ed25519');
    expect(keyTypeOf(Buffer.from([0, 0]))).toBeNull();
  });
});

/** Reference semantics of `*`/`?` for small inputs: a plain dynamic programme, obviously right. */
function referenceMatch(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  // can[i][j]: p[i..] matches n[j..]
  const can = Array.from({ length: p.length + 1 }, () => new Array<boolean>(n.length + 1).fill(false));
  can[p.length]![n.length] = true;
  for (let i = p.length - 1; i >= 0; i--) {
    for (let j = n.length; j >= 0; j--) {
      const c = p[i];
      if (c === '*') can[i]![j] = can[i + 1]![j]! || (j < n.length && can[i]![j + 1]!);
      else can[i]![j] = j < n.length && (c === '?' || c === n[j]) && can[i + 1]![j + 1]!;
    }
  }
  return can[0]![0]!;
}

describe('wildcardMatch', () => {
  it('agrees with the reference on 5 000 random patterns and names', () => {
    let seed = 16;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const text = (alphabet: string, max: number): string =>
      Array.from({ length: random(max + 1) }, () => alphabet[random(alphabet.length)]).join('');
    for (let i = 0; i < 5_000; i++) {
      const pattern = text('aAb.*?', 8);
      const name = text('ab.', 8);
      if (wildcardMatch(pattern, name) !== referenceMatch(pattern, name))
        throw new Error(`disagree on ${JSON.stringify(pattern)} vs ${JSON.stringify(name)}`);
    }
    expect(wildcardMatch('*.example.com', 'web-1.EXAMPLE.com')).toBe(true);
    expect(wildcardMatch('[10.0.0.?]:22*', '[10.0.0.7]:2222')).toBe(true);
    expect(wildcardMatch('', '')).toBe(true);
    expect(wildcardMatch('*', '')).toBe(true);
    expect(wildcardMatch('?', '')).toBe(false);
  });

  // A backtracking RegExp took ~5 s for 14 stars and x6.5 per two more, synchronously, freezing
  // the process (connect timeout and signal handlers included). These must be instant.
  it('answers adversarial patterns at once (finished within 2 s for all)', () => {
    const name = '[127.0.0.1]:42216';
    const long = 'a'.repeat(255);
    const cases: [string, string, boolean][] = [
      ['*'.repeat(24) + 'x', name, false],
      ['*'.repeat(100_000) + 'x', long, false],
      ['*a'.repeat(300) + 'b', long, false],
      ['a*'.repeat(300) + 'b', long, false],
      ['*?'.repeat(300) + 'x', long, false],
      ['*' + 'a'.repeat(200) + '*' + 'a'.repeat(54) + 'b*', long, false],
      ['*a'.repeat(100) + '*', long, true],
      ['*'.repeat(50) + '?'.repeat(255), long, true],
    ];
    const started = Date.now();
    for (const [pattern, n, expected] of cases) expect(wildcardMatch(pattern, n)).toBe(expected);
    // The same through parsing and host matching, many lines of it.
    const line = (p: string) => `${p},!nothing ssh-ed25519 ${b64(ED)}`;
    const text = Array.from({ length: 200 }, (_, i) => line(cases[i % cases.length]![0])).join('\n');
    const { entries } = parseKnownHosts(text, 'kh');
    expect(entries.filter((e) => entryMatches(e, name))).toHaveLength(0);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('HostKeyVerifier', () => {
  const host = { label: 'deploy@db:2222', address: 'db', port: 2222 };
  async function verifier(mode: 'strict' | 'accept-new' | 'off', inline: string, warnings: string[] = []) {
    const v = new HostKeyVerifier(mode, { paths: [], inline }, { onWarning: (m) => warnings.push(m) });
    await v.load();
    return v;
  }

  it('offers the host-key algorithms in OpenSSH order, never in file order', async () => {
    const offered = async (lines: string[]) =>
      (await verifier('strict', lines.map((l) => `[db]:2222 ${l}`).join('\n'))).algorithmsFor('db', 2222);
    const rsa = `ssh-rsa ${b64(RSA)}`;
    const ed = `ssh-ed25519 ${b64(ED)}`;
    const ecdsa = `ecdsa-sha2-nistp256 ${b64(ECDSA)}`;
    // OpenSSH's defaults (without certificates, security keys and SHA-1 ssh-rsa) for an unknown host.
    expect(HOST_KEY_ALGORITHMS).toEqual([
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
      'ecdsa-sha2-nistp384',
      'ecdsa-sha2-nistp521',
      'rsa-sha2-512',
      'rsa-sha2-256',
    ]);
    expect(await offered([])).toEqual(HOST_KEY_ALGORITHMS);
    // Only RSA known: ask for RSA first, or the server would present a key we cannot check.
    expect((await offered([rsa])).slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-ed25519']);
    // Known types first in OpenSSH's order, whatever the file's order (ssh-keyscan writes RSA first).
    expect((await offered([rsa, ecdsa])).slice(0, 4)).toEqual([
      'ecdsa-sha2-nistp256',
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-ed25519',
    ]);
    // The most preferred type is known: OpenSSH keeps its order as is, and so do we.
    expect(await offered([rsa, ed])).toEqual(HOST_KEY_ALGORITHMS);
    expect(await offered([rsa, ecdsa, ed])).toEqual(HOST_KEY_ALGORITHMS);
    // Marked lines do not count, as in OpenSSH.
    const marked = await verifier('strict', `@revoked [db]:2222 ${rsa}\n@cert-authority [db]:2222 ${rsa}`);
    expect(marked.algorithmsFor('db', 2222)).toEqual(HOST_KEY_ALGORITHMS);
  });

  it('decides on the presented key alone: a stale line of another type neither hides nor breaks it', async () => {
    // The server presents ed25519 (offered first); the stale RSA line must not matter.
    const stale = await verifier(
      'strict',
      `[db]:2222 ssh-rsa ${b64(OTHER_RSA)}\n[db]:2222 ssh-ed25519 ${b64(ED)}`,
    );
    expect(await stale.verify(host, ED)).toBeNull();
    // A matching RSA line must not hide an ed25519 key that changed.
    const changed = await verifier(
      'strict',
      `[db]:2222 ssh-rsa ${b64(RSA)}\n[db]:2222 ssh-ed25519 ${b64(OTHER)}`,
    );
    const err = await changed.verify(host, ED);
    expect(err?.message).toMatch(
      new RegExp(
        `MISMATCH.*expected ssh-ed25519 ${escape(fingerprint(OTHER))} \\(known_hosts given inline:2\\) or ssh-rsa`,
      ),
    );
    // A host listed only with keys of another type presents one of those if it can; if it presents
    // another type anyway, that is a mismatch (OpenSSH: "host key has changed"), in accept-new too.
    const rsaOnly = await verifier('accept-new', `[db]:2222 ssh-rsa ${b64(RSA)}`);
    expect((await rsaOnly.verify(host, ED))?.message).toMatch(/MISMATCH/);
  });

  it('lists every expected fingerprint on a mismatch', async () => {
    const v = await verifier('strict', `[db]:2222 ssh-rsa ${b64(RSA)}\n[db]:2222 ssh-ed25519 ${b64(OTHER)}`);
    const err = await v.verify(host, ED);
    expect(err).toBeInstanceOf(HostKeyError);
    expect(err!.message).toContain(`presented ssh-ed25519 ${fingerprint(ED)}`);
    expect(err!.message).toContain(`ssh-rsa ${fingerprint(RSA)} (known_hosts given inline:1)`);
    expect(err!.message).toContain(`ssh-ed25519 ${fingerprint(OTHER)} (known_hosts given inline:2)`);
  });

  it('accept-new without a known-hosts file remembers the first key for the run and refuses another', async () => {
    const warnings: string[] = [];
    const v = await verifier('accept-new', '', warnings);
    expect(await v.verify(host, ED)).toBeNull();
    expect(await v.verify(host, ED)).toBeNull();
    expect(warnings).toEqual([
      `deploy@db:2222: new host, accepted its key ssh-ed25519 ${fingerprint(ED)} (accept-new): ` +
        'trusted for this run only, as no known-hosts file is configured to add it to.',
    ]);
    expect((await v.verify(host, OTHER))?.message).toMatch(/accepted earlier in this run/);
    // The key accepted for the host now decides what is offered to it.
    expect(v.algorithmsFor('db', 2222)[0]).toBe('ssh-ed25519');
  });

  it('off warns once per run, whatever the hosts present', async () => {
    const warnings: string[] = [];
    const v = await verifier('off', `[db]:2222 ssh-ed25519 ${b64(OTHER)}`, warnings);
    expect(await v.verify(host, ED)).toBeNull();
    expect(await v.verify({ ...host, port: 22 }, RSA)).toBeNull();
    expect(warnings).toHaveLength(1);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
