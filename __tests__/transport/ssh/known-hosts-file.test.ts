/**
 * accept-new's record of a new host in a known_hosts file, without a server: the line OpenSSH
 * writes, appended safely (mode kept, never world-writable, hashed like the file), and no
 * duplicates when many connections record at once. ssh-host-keys-openssh.test.ts does the same
 * against real sshd and checks the files with OpenSSH's ssh.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostKeyVerifier } from '../../../src/transport/ssh/host-keys.js';
import { recordKnownHost } from '../../../src/transport/ssh/known-hosts-file.js';
import { entryMatches, hashHostName, parseKnownHosts } from '../../../src/transport/ssh/known-hosts.js';

function fakeKey(type: string): Buffer {
  const name = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(name.length);
  return Buffer.concat([len, name, randomBytes(32)]);
}
const ED = fakeKey('ssh-ed25519');
const OTHER = fakeKey('ssh-ed25519');
const line = (name: string, key: Buffer) => `${name} ssh-ed25519 ${key.toString('base64')}`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bw-kh-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('recordKnownHost', () => {
  it('creates a missing file (0600) and directory (0700) and writes the line OpenSSH writes', async () => {
    const path = join(dir, 'ssh', 'known_hosts');
    const outcome = await recordKnownHost(path, 'kh', '[10.0.0.1]:2222', ED);
    expect(outcome).toEqual({ kind: 'recorded', hashed: false, madePrivate: false });
    expect(await readFile(path, 'utf8')).toBe(`${line('[10.0.0.1]:2222', ED)}\n`);
    expect(await mode(path)).toBe(0o600);
    expect(await mode(join(dir, 'ssh'))).toBe(0o700);
  });

  it('appends to an existing file, keeping its mode, and ends an unterminated last line first', async () => {
    const path = join(dir, 'known_hosts');
    await writeFile(path, `# mine\n${line('web', OTHER)}`);
    await chmod(path, 0o640);
    await recordKnownHost(path, 'kh', 'db', ED);
    expect(await readFile(path, 'utf8')).toBe(`# mine\n${line('web', OTHER)}\n${line('db', ED)}\n`);
    expect(await mode(path)).toBe(0o640);
  });

  it('never leaves the file world-writable', async () => {
    const path = join(dir, 'known_hosts');
    await writeFile(path, '');
    await chmod(path, 0o666);
    expect(await recordKnownHost(path, 'kh', 'db', ED)).toMatchObject({
      kind: 'recorded',
      madePrivate: true,
    });
    expect(await mode(path)).toBe(0o664);
  });

  it('hashes the name when the file holds hashed entries', async () => {
    const path = join(dir, 'known_hosts');
    await writeFile(path, `${line(hashHostName('web'), OTHER)}\n`);
    expect(await recordKnownHost(path, 'kh', '[db]:2222', ED)).toMatchObject({ hashed: true });
    const text = await readFile(path, 'utf8');
    // Every name field is hashed: the plain name appears nowhere (a hash may contain "db" by chance).
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .every((l) => l.startsWith('|1|')),
    ).toBe(true);
    expect(text).not.toContain('[db]');
    const { entries } = parseKnownHosts(text, 'kh');
    expect(entries).toHaveLength(2);
    expect(entryMatches(entries[1]!, '[db]:2222')).toBe(true);
    expect(entries[1]!.key.equals(ED)).toBe(true);
  });

  it('writes nothing when the file lists the host already (the same key, or another one)', async () => {
    const path = join(dir, 'known_hosts');
    const before = `${line('db,web', ED)}\n`;
    await writeFile(path, before);
    expect(await recordKnownHost(path, 'kh', 'db', ED)).toEqual({ kind: 'present' });
    const conflict = await recordKnownHost(path, 'kh', 'web', OTHER);
    expect(conflict.kind).toBe('conflict');
    expect(conflict.kind === 'conflict' && conflict.listed.map((e) => e.source)).toEqual(['kh:1']);
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it('many records at once (two per host) leave one intact line per host', async () => {
    const path = join(dir, 'known_hosts');
    const keys = Array.from({ length: 40 }, () => fakeKey('ssh-ed25519'));
    const outcomes = await Promise.all(
      [...keys, ...keys].map((key, i) => recordKnownHost(path, 'kh', `[h${i % 40}]:22`, key)),
    );
    expect(outcomes.filter((o) => o.kind === 'recorded')).toHaveLength(40);
    expect(outcomes.filter((o) => o.kind === 'present')).toHaveLength(40);
    const { entries, skipped } = parseKnownHosts(await readFile(path, 'utf8'), 'kh');
    expect(skipped).toEqual([]);
    expect(entries.map((e) => e.patterns![0])).toEqual(keys.map((_, i) => `[h${i}]:22`));
    expect(entries.every((e, i) => e.key.equals(keys[i]!))).toBe(true);
  });
});

describe('HostKeyVerifier in accept-new', () => {
  const host = (port: number) => ({ label: `deploy@db:${port}`, address: 'db', port });

  it('adds a new host to the first known-hosts file, once, however many connections meet it', async () => {
    const first = join(dir, 'first');
    const second = join(dir, 'second');
    await writeFile(second, '');
    const warnings: string[] = [];
    const v = new HostKeyVerifier(
      'accept-new',
      { paths: [first, second] },
      { onWarning: (m) => warnings.push(m) },
    );
    await v.load();
    const verdicts = await Promise.all(Array.from({ length: 10 }, () => v.verify(host(2222), ED)));
    expect(verdicts).toEqual(Array(10).fill(null));
    expect(await readFile(first, 'utf8')).toBe(`${line('[db]:2222', ED)}\n`);
    expect(await readFile(second, 'utf8')).toBe('');
    expect(warnings).toEqual([
      expect.stringMatching(/^deploy@db:2222: new host, accepted its key .* added to .*first\.$/),
    ]);
    // Later in the run, and in a later run: a different key is refused.
    expect((await v.verify(host(2222), OTHER))?.message).toMatch(/MISMATCH.*added to .*first in this run/);
    const later = new HostKeyVerifier('accept-new', { paths: [first] });
    await later.load();
    expect(await later.verify(host(2222), ED)).toBeNull();
    expect((await later.verify(host(2222), OTHER))?.message).toMatch(/MISMATCH.*first:1\)/);
    expect(await readFile(first, 'utf8')).toBe(`${line('[db]:2222', ED)}\n`);
  });

  it('refuses when another run added a different key for the host since this one started', async () => {
    const path = join(dir, 'known_hosts');
    const v = new HostKeyVerifier('accept-new', { paths: [path] });
    await v.load();
    await writeFile(path, `${line('[db]:2222', OTHER)}\n`);
    expect((await v.verify(host(2222), ED))?.message).toMatch(/MISMATCH.*known_hosts:1\)/);
    expect(await readFile(path, 'utf8')).toBe(`${line('[db]:2222', OTHER)}\n`);
  });

  it('trusts for the run only, with a warning saying why, when the file cannot be written', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, '');
    const warnings: string[] = [];
    const v = new HostKeyVerifier(
      'accept-new',
      { paths: [join(blocker, 'known_hosts')] },
      { onWarning: (m) => warnings.push(m) },
    );
    await v.load();
    expect(await v.verify(host(2222), ED)).toBeNull();
    expect(warnings.join('\n')).toMatch(
      /trusted for this run only, as it could not be added to .*known_hosts \((EEXIST|ENOTDIR)\)/,
    );
  });
});
