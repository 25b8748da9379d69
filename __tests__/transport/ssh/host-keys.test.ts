/**
 * Host-key verification against a real sshd: unknown and mismatched keys fail closed before
 * anything runs, name the host and both fingerprints, and are not retried; hashed known_hosts,
 * accept-new and off behave as documented. Verdicts compared with OpenSSH's own ssh, and
 * accept-new's additions to known_hosts, are in ssh-host-keys-openssh.test.ts.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HostKeyError } from '../../../src/contract/errors.js';
import type { SshOptions } from '../../../src/contract/ssh-options.js';
import { createSshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { startSshdFleet, type SshdFleet } from '../../support/sshd.js';
import { collect, fleetOptions, hostOf, script } from '../../support/sshd-fixtures.js';
import { fingerprint, generateKey, hashKnownHosts } from '../../support/sshd-keys.js';

let fleet: SshdFleet;
let hostFingerprint: string;
let otherKeyLine: string;
let otherFingerprint: string;

beforeAll(async () => {
  fleet = await startSshdFleet({ count: 1 });
  hostFingerprint = await fingerprint(fleet.hosts[0]!.hostPublicKeyPath);
  const other = await generateKey(join(fleet.dir, 'other_host_key'));
  otherKeyLine = other.publicLine.split(' ').slice(0, 2).join(' ');
  otherFingerprint = await fingerprint(other.publicPath);
}, 20_000);

afterAll(() => fleet?.stop());

const h0 = () => fleet.hosts[0]!;
const hostName = () => `[127.0.0.1]:${h0().port}`;
const hostKeyLine = () => h0().hostPublicKey.split(' ').slice(0, 2).join(' ');

async function knownHosts(name: string, text: string): Promise<string> {
  const path = join(fleet.dir, name);
  await writeFile(path, text);
  return path;
}

/** Runs `echo ran` on h0 with these options; returns the result or the error, plus warnings. */
async function attempt(overrides: Partial<SshOptions>) {
  const warnings: string[] = [];
  const transport = createSshTransport(fleetOptions(fleet, overrides), {
    onWarning: (m) => warnings.push(m),
  });
  const out = collect();
  try {
    const result = await transport.exec(hostOf(h0()), script('echo ran'), out).catch((e: unknown) => e);
    return { result, warnings, out: out.stdout() };
  } finally {
    await transport.close();
  }
}

describe('SSH host keys', () => {
  it('a mismatched key fails closed: nothing runs, one connection, both fingerprints, user@host:port', async () => {
    const before = await h0().connections();
    const path = await knownHosts('kh-wrong', `${hostName()} ${otherKeyLine}\n`);
    const { result, out } = await attempt({ knownHostsPaths: [path] });
    expect(result).toBeInstanceOf(HostKeyError);
    const err = result as HostKeyError;
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`${fleet.user}@127.0.0.1:${h0().port}`);
    expect(err.message).toContain(`presented ssh-ed25519 ${hostFingerprint}`);
    expect(err.message).toContain(`expected ssh-ed25519 ${otherFingerprint}`);
    expect(err.message).toMatch(/MISMATCH/);
    expect(out).toEqual([]);
    expect(await h0().connections()).toBe(before + 1);
    expect(await h0().logins()).toBe(0);
  }, 10_000);

  it('an unknown host fails in strict mode, showing the presented fingerprint', async () => {
    const path = await knownHosts('kh-empty', '# nothing here\n');
    const { result } = await attempt({ knownHostsPaths: [path, join(fleet.dir, 'missing')] });
    expect(result).toBeInstanceOf(HostKeyError);
    expect((result as Error).message).toContain(hostFingerprint);
    expect((result as Error).message).toContain('missing (missing)');
  }, 10_000);

  it('hashed known_hosts entries (|1|salt|hash) are honoured', async () => {
    const path = join(fleet.dir, 'kh-hashed');
    await copyFile(fleet.knownHostsPath, path);
    await hashKnownHosts(path);
    const { result, out } = await attempt({ knownHostsPaths: [path] });
    expect(result).toMatchObject({ exitCode: 0 });
    expect(out).toEqual(['ran']);
  }, 10_000);

  it('entries from the inline known-hosts input are used (comma lists too)', async () => {
    const { result } = await attempt({
      knownHostsPaths: [],
      knownHosts: `other.example,${hostName()} ${hostKeyLine()}\n`,
    });
    expect(result).toMatchObject({ exitCode: 0 });
  }, 10_000);

  it('accept-new trusts an unknown host with a warning and adds it to the known-hosts file', async () => {
    const path = await knownHosts('kh-empty2', '');
    const { result, warnings } = await attempt({ knownHostsPaths: [path], hostKeyChecking: 'accept-new' });
    expect(result).toMatchObject({ exitCode: 0 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(hostFingerprint);
    expect(warnings[0]).toContain(`added to ${path}`);
    expect(await readFile(path, 'utf8')).toBe(`${hostName()} ${hostKeyLine()}\n`);
  }, 10_000);

  it('accept-new still refuses a mismatch', async () => {
    const path = await knownHosts('kh-wrong2', `${hostName()} ${otherKeyLine}\n`);
    const { result } = await attempt({ knownHostsPaths: [path], hostKeyChecking: 'accept-new' });
    expect(result).toBeInstanceOf(HostKeyError);
  }, 10_000);

  it('off connects to anything, with a loud warning', async () => {
    const path = await knownHosts('kh-wrong3', `${hostName()} ${otherKeyLine}\n`);
    const { result, warnings } = await attempt({ knownHostsPaths: [path], hostKeyChecking: 'off' });
    expect(result).toMatchObject({ exitCode: 0 });
    expect(warnings.join('\n')).toMatch(/host-key-checking is OFF/);
  }, 10_000);

  it('@revoked keys are refused in every mode', async () => {
    const path = await knownHosts(
      'kh-revoked',
      `${hostName()} ${hostKeyLine()}\n@revoked * ${hostKeyLine()}\n`,
    );
    for (const mode of ['strict', 'off'] as const) {
      const { result } = await attempt({ knownHostsPaths: [path], hostKeyChecking: mode });
      expect(result).toBeInstanceOf(HostKeyError);
      expect((result as Error).message).toMatch(/@revoked/);
    }
  }, 10_000);

  it('@cert-authority-only hosts get a clear "not supported" error', async () => {
    const path = await knownHosts('kh-ca', `@cert-authority *.example,${hostName()} ${otherKeyLine}\n`);
    const { result } = await attempt({ knownHostsPaths: [path] });
    expect(result).toBeInstanceOf(HostKeyError);
    expect((result as Error).message).toMatch(/@cert-authority.*not supported/);
  }, 10_000);
});
