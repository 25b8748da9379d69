/** known_hosts parsing and matching, and the host-key policy, without a server. */
import { createHmac, randomBytes } from 'node:crypto';
import { HostKeyError } from '../../src/errors.js';
import { HostKeyVerifier } from '../../src/transport/ssh-host-keys.js';
import {
  entryMatches,
  fingerprint,
  keyTypeOf,
  knownHostsName,
  parseKnownHosts,
} from '../../src/transport/ssh-known-hosts.js';

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

describe('HostKeyVerifier', () => {
  const host = { label: 'deploy@db:2222', address: 'db', port: 2222 };
  async function verifier(mode: 'strict' | 'accept-new' | 'off', inline: string, warnings: string[] = []) {
    const v = new HostKeyVerifier(mode, { paths: [], inline }, { onWarning: (m) => warnings.push(m) });
    await v.load();
    return v;
  }

  it('offers the known key types first so the server presents a checkable key', async () => {
    const v = await verifier('strict', `[db]:2222 ssh-rsa ${b64(RSA)}`);
    expect(v.algorithmsFor('db', 2222).slice(0, 4)).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
    ]);
    expect(v.algorithmsFor('other', 22)[0]).toBe('ssh-ed25519');
  });

  it('lists every expected fingerprint on a mismatch', async () => {
    const v = await verifier('strict', `[db]:2222 ssh-rsa ${b64(RSA)}\n[db]:2222 ssh-ed25519 ${b64(OTHER)}`);
    const err = v.check(host, ED);
    expect(err).toBeInstanceOf(HostKeyError);
    expect(err!.message).toContain(`presented ssh-ed25519 ${fingerprint(ED)}`);
    expect(err!.message).toContain(`ssh-rsa ${fingerprint(RSA)} (ssh-known-hosts input:1)`);
    expect(err!.message).toContain(`ssh-ed25519 ${fingerprint(OTHER)} (ssh-known-hosts input:2)`);
  });

  it('accept-new remembers the first key of the run and refuses a different one later', async () => {
    const warnings: string[] = [];
    const v = await verifier('accept-new', '', warnings);
    expect(v.check(host, ED)).toBeNull();
    expect(v.check(host, ED)).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(v.check(host, OTHER)?.message).toMatch(/accepted earlier in this run/);
  });

  it('off warns once per run, whatever the hosts present', async () => {
    const warnings: string[] = [];
    const v = await verifier('off', `[db]:2222 ssh-ed25519 ${b64(OTHER)}`, warnings);
    expect(v.check(host, ED)).toBeNull();
    expect(v.check({ ...host, port: 22 }, RSA)).toBeNull();
    expect(warnings).toHaveLength(1);
  });
});
