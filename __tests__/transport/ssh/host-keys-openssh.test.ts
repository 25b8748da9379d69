/**
 * Host-key verdicts against real sshd, each next to OpenSSH's: the same known_hosts file goes to
 * our transport and to OpenSSH's `ssh` (StrictHostKeyChecking yes / accept-new / no), and both
 * verdicts are asserted. The hosts have several host keys, so the algorithms we offer decide which
 * key is checked; accept-new's additions to the file are compared with what `ssh` adds.
 */
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HostKeyError } from '../../../src/contract/errors.js';
import type { HostKeyChecking } from '../../../src/contract/ssh-options.js';
import { createSshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { findSsh, opensshVerdict, type OpensshChecking } from '../../support/openssh-client.js';
import { startSshdFleet, type SshdFleet, type SshdHost } from '../../support/sshd.js';
import { collect, fleetOptions, hostOf, script } from '../../support/sshd-fixtures.js';
import { generateKey, hashKnownHosts } from '../../support/sshd-keys.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';

type Verdict = 'connects' | 'refuses';

/** One host with ed25519, RSA and ecdsa keys; one with ecdsa and RSA only; four with ed25519 only. */
let all: SshdFleet;
let noEd: SshdFleet;
let ed: SshdFleet;
/** `type base64` of keys no host has. */
const stale = { ed25519: '', rsa: '', ecdsa: '' };
let caseNo = 0;

// OpenSSH's ssh is part of every OpenSSH install, so CI (BW_REQUIRE_SSHD=1) always compares. Only
// a machine without OpenSSH (in-process ssh2 servers) checks our verdicts alone.
const compare = findSsh() !== undefined || process.env.BW_REQUIRE_SSHD === '1';

beforeAll(async () => {
  [all, noEd, ed] = await Promise.all([
    startSshdFleet({ count: 1, hostKeyTypes: ['ed25519', 'rsa', 'ecdsa'] }),
    startSshdFleet({ count: 1, hostKeyTypes: ['ecdsa', 'rsa'] }),
    startSshdFleet({ count: 4 }),
  ]);
  for (const type of ['ed25519', 'rsa', 'ecdsa'] as const)
    stale[type] = keyOf((await generateKey(join(all.dir, `stale_${type}`), { type })).publicLine);
  if (!compare) process.stderr.write('OpenSSH ssh not found: host-key verdicts are checked without it\n');
}, 60_000);

afterAll(() => Promise.all([all?.stop(), noEd?.stop(), ed?.stop()]));

const keyOf = (publicLine: string) => publicLine.split(' ').slice(0, 2).join(' ');
const nameOf = (h: { address: string; port: number }) => `[${h.address}]:${h.port}`;
/** `type base64` of `host`'s key of that type. */
function key(host: SshdHost, type: 'ed25519' | 'rsa' | 'ecdsa'): string {
  const found = host.hostKeys.find((k) => k.type === type);
  if (!found) throw new Error(`${host.name} has no ${type} key`);
  return keyOf(found.publicLine);
}

async function knownHostsFile(text: string, hashed = false): Promise<string> {
  const path = join(all.dir, `kh-${++caseNo}`);
  await writeFile(path, text);
  if (hashed) await hashKnownHosts(path);
  return path;
}

const opensshMode: Record<HostKeyChecking, OpensshChecking> = {
  strict: 'yes',
  'accept-new': 'accept-new',
  off: 'no',
};

/** Our verdict: `echo ran` through a fresh transport (a fresh "run"), with its warnings. */
async function ours(
  fleet: SshdFleet,
  host: { name: string; address: string; port: number },
  knownHostsPaths: string[],
  mode: HostKeyChecking,
  knownHosts?: string,
) {
  const warnings: string[] = [];
  const transport = createSshTransport(
    fleetOptions(fleet, { knownHostsPaths, hostKeyChecking: mode, ...(knownHosts ? { knownHosts } : {}) }),
    { onWarning: (m) => warnings.push(m) },
  );
  const out = collect();
  try {
    const result = await transport.exec(hostOf(host), script('echo ran'), out);
    expect(result.exitCode).toBe(0);
    expect(out.stdout()).toEqual(['ran']);
    return { verdict: 'connects' as Verdict, message: '', warnings };
  } catch (err) {
    if (!(err instanceof HostKeyError)) throw err;
    return { verdict: 'refuses' as Verdict, message: err.message, warnings };
  } finally {
    await transport.close();
  }
}

/** OpenSSH's verdict on its own copy of `file` (accept-new may write to it). */
async function theirs(
  fleet: SshdFleet,
  host: SshdHost | { address: string; port: number },
  file: string,
  mode: HostKeyChecking,
) {
  if (!compare) return null;
  const copy = await knownHostsFile(await readFile(file, 'utf8'));
  return { ...(await opensshVerdict(fleet, host, copy, opensshMode[mode])), file: copy };
}

interface Case {
  name: string;
  fleet: () => SshdFleet;
  lines: () => string[];
  mode: HostKeyChecking;
  hashed?: boolean;
  openssh: Verdict;
  ours: Verdict;
  /** What our refusal says (default: a mismatch). */
  why?: RegExp;
}

const h = (fleet: () => SshdFleet) => () => fleet().hosts[0]!;
const allHost = h(() => all);
const noEdHost = h(() => noEd);
const edHost = h(() => ed);
const at = (host: () => SshdHost, k: string) => `${nameOf(host())} ${k}`;

const cases: Case[] = [
  // Several keys per host: the key of the type we ask for first is checked.
  {
    name: 'a stale RSA line before the good ed25519 line (ssh-keyscan writes RSA first)',
    fleet: () => all,
    lines: () => [at(allHost, stale.rsa), at(allHost, key(allHost(), 'ed25519'))],
    mode: 'strict',
    openssh: 'connects',
    ours: 'connects',
  },
  {
    name: 'the same, hashed',
    fleet: () => all,
    lines: () => [at(allHost, stale.rsa), at(allHost, key(allHost(), 'ed25519'))],
    mode: 'strict',
    hashed: true,
    openssh: 'connects',
    ours: 'connects',
  },
  {
    name: 'the same in accept-new',
    fleet: () => all,
    lines: () => [at(allHost, stale.rsa), at(allHost, key(allHost(), 'ed25519'))],
    mode: 'accept-new',
    openssh: 'connects',
    ours: 'connects',
  },
  {
    name: 'a matching RSA line before a changed ed25519 line',
    fleet: () => all,
    lines: () => [at(allHost, key(allHost(), 'rsa')), at(allHost, stale.ed25519)],
    mode: 'strict',
    openssh: 'refuses',
    ours: 'refuses',
  },
  {
    name: 'the same, hashed',
    fleet: () => all,
    lines: () => [at(allHost, key(allHost(), 'rsa')), at(allHost, stale.ed25519)],
    mode: 'strict',
    hashed: true,
    openssh: 'refuses',
    ours: 'refuses',
  },
  {
    name: 'the same in accept-new',
    fleet: () => all,
    lines: () => [at(allHost, key(allHost(), 'rsa')), at(allHost, stale.ed25519)],
    mode: 'accept-new',
    openssh: 'refuses',
    ours: 'refuses',
  },
  {
    name: 'only the good RSA key listed',
    fleet: () => all,
    lines: () => [at(allHost, key(allHost(), 'rsa'))],
    mode: 'strict',
    openssh: 'connects',
    ours: 'connects',
  },
  {
    name: 'only a stale RSA key listed',
    fleet: () => all,
    lines: () => [at(allHost, stale.rsa)],
    mode: 'strict',
    openssh: 'refuses',
    ours: 'refuses',
  },
  {
    name: 'only the good ecdsa key listed',
    fleet: () => all,
    lines: () => [at(allHost, key(allHost(), 'ecdsa'))],
    mode: 'strict',
    openssh: 'connects',
    ours: 'connects',
  },
  {
    name: 'a stale RSA line before the good ecdsa line',
    fleet: () => all,
    lines: () => [at(allHost, stale.rsa), at(allHost, key(allHost(), 'ecdsa'))],
    mode: 'strict',
    openssh: 'connects',
    ours: 'connects',
  },
  {
    // ed25519 is known, so OpenSSH keeps its default order: the server, without ed25519, presents
    // ecdsa (before RSA in that order), which is not listed.
    name: 'host without ed25519: a stale ed25519 line and the good RSA line',
    fleet: () => noEd,
    lines: () => [at(noEdHost, stale.ed25519), at(noEdHost, key(noEdHost(), 'rsa'))],
    mode: 'strict',
    openssh: 'refuses',
    ours: 'refuses',
  },
  {
    name: 'host without ed25519: only the good RSA line',
    fleet: () => noEd,
    lines: () => [at(noEdHost, key(noEdHost(), 'rsa'))],
    mode: 'strict',
    openssh: 'connects',
    ours: 'connects',
  },
  {
    name: 'host with only ed25519, listed with an RSA key only',
    fleet: () => ed,
    lines: () => [at(edHost, stale.rsa)],
    mode: 'strict',
    openssh: 'refuses',
    ours: 'refuses',
  },
  {
    name: 'the same in accept-new (a key of a new type for a listed host is not "new")',
    fleet: () => ed,
    lines: () => [at(edHost, stale.rsa)],
    mode: 'accept-new',
    openssh: 'refuses',
    ours: 'refuses',
  },
  {
    name: 'a host known only through @cert-authority',
    fleet: () => ed,
    lines: () => [`@cert-authority ${at(edHost, stale.ed25519)}`],
    mode: 'strict',
    openssh: 'refuses',
    ours: 'refuses',
    why: /only @cert-authority entries .*not supported/,
  },
  // The documented differences: ours is stricter.
  {
    name: 'a host on port != 22 listed only under its bare name (OpenSSH falls back to it)',
    fleet: () => ed,
    lines: () => [`${edHost().address} ${key(edHost(), 'ed25519')}`],
    mode: 'strict',
    openssh: 'connects',
    ours: 'refuses',
    why: /host key not known/,
  },
  {
    name: 'a @revoked key with checking off (OpenSSH "no" only warns)',
    fleet: () => ed,
    lines: () => [at(edHost, key(edHost(), 'ed25519')), `@revoked * ${key(edHost(), 'ed25519')}`],
    mode: 'off',
    openssh: 'connects',
    ours: 'refuses',
    why: /is marked @revoked/,
  },
];

describe('host-key verdicts, ours next to OpenSSH ssh on the same known_hosts', () => {
  it.each(cases)(
    '$mode: $name: OpenSSH $openssh, we $ours',
    async (c) => {
      const fleet = c.fleet();
      const host = fleet.hosts[0]!;
      const file = await knownHostsFile(`${c.lines().join('\n')}\n`, c.hashed);
      const before = await readFile(file, 'utf8');
      const openssh = await theirs(fleet, host, file, c.mode);
      const result = await ours(fleet, host, [file], c.mode);
      if (openssh) expect(openssh.verdict).toBe(c.openssh);
      expect(result.verdict).toBe(c.ours);
      if (result.verdict === 'refuses') expect(result.message).toMatch(c.why ?? /HOST KEY MISMATCH/);
      // None of these hosts is new: nothing may be added to the file, by either.
      expect(await readFile(file, 'utf8')).toBe(before);
      if (openssh && c.mode !== 'off') expect(await readFile(openssh.file, 'utf8')).toBe(before);
    },
    30_000,
  );
});

describe('accept-new records new hosts in the first known-hosts file, as OpenSSH does', () => {
  let proxy: TcpProxy | undefined;
  afterEach(() => proxy?.close());

  it('adds the line ssh adds; a later run trusts it, and refuses the host once its key changed', async () => {
    // One address (the proxy) in front of ed's h0, later h1: a re-keyed or intercepted host.
    proxy = await startTcpProxy(ed.hosts[0]!.port);
    const via = { name: 'via-proxy', address: '127.0.0.1', port: proxy.port };
    const file = join(ed.dir, `accept-new-${++caseNo}`, 'known_hosts'); // neither exists yet
    const empty = await knownHostsFile('');

    const first = await ours(ed, via, [file, ed.knownHostsPath], 'accept-new');
    expect(first.verdict).toBe('connects');
    expect(first.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `new host, accepted its key ssh-ed25519 SHA256:\\S+ \\(accept-new\\): added to ${file}\\.$`,
        ),
      ),
    ]);
    const written = await readFile(file, 'utf8');
    expect(written).toBe(`${nameOf(via)} ${key(ed.hosts[0]!, 'ed25519')}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const openssh = await theirs(ed, via, empty, 'accept-new');
    if (openssh) {
      expect(openssh.verdict).toBe('connects');
      expect(await readFile(openssh.file, 'utf8')).toBe(written); // the very line ssh adds
    }

    const later = await ours(ed, via, [file], 'strict');
    expect(later).toMatchObject({ verdict: 'connects', warnings: [] });

    proxy.target = ed.hosts[1]!.port;
    const changed = await ours(ed, via, [file], 'accept-new');
    expect(changed.verdict).toBe('refuses');
    expect(changed.message).toMatch(new RegExp(`MISMATCH.*\\(${file}:1\\)`));
    expect((await theirs(ed, via, file, 'accept-new'))?.verdict ?? 'refuses').toBe('refuses');
    expect(await readFile(file, 'utf8')).toBe(written);
  }, 30_000);

  it('hashes the new line when the file is hashed, keeps its mode, and ssh reads it back', async () => {
    const [h0, h1] = ed.hosts as [SshdHost, SshdHost];
    const file = await knownHostsFile(`${nameOf(h1)} ${key(h1, 'ed25519')}\n`, true);
    await chmod(file, 0o640);
    const result = await ours(ed, h0, [file], 'accept-new');
    expect(result.warnings.join('\n')).toMatch(/added to .* \(hashed, like its other entries\)/);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('127.0.0.1');
    expect(text.trim().split('\n')).toHaveLength(2);
    expect(text.trim().split('\n')[1]).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 /);
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    // The hashed line names h0 correctly: strict checking (ours and OpenSSH's) accepts h0 with it.
    expect((await ours(ed, h0, [file], 'strict')).verdict).toBe('connects');
    expect((await theirs(ed, h0, file, 'strict'))?.verdict ?? 'connects').toBe('connects');
  }, 30_000);

  it('with no known-hosts file (inline entries only) the key is trusted for this run only', async () => {
    const [h0, h1] = ed.hosts as [SshdHost, SshdHost];
    const inline = `${nameOf(h1)} ${key(h1, 'ed25519')}\n`;
    for (let run = 1; run <= 2; run++) {
      const result = await ours(ed, h0, [], 'accept-new', inline);
      expect(result.verdict).toBe('connects');
      expect(result.warnings).toEqual([
        expect.stringMatching(
          /: trusted for this run only, as no known-hosts file is configured to add it to\.$/,
        ),
      ]);
    }
  }, 30_000);

  it('a host known only through @cert-authority is new to accept-new: trusted and added, like ssh does', async () => {
    const host = ed.hosts[2]!;
    const ca = `@cert-authority ${nameOf(host)} ${stale.ed25519}\n`;
    const file = await knownHostsFile(ca);
    const openssh = await theirs(ed, host, file, 'accept-new');
    const result = await ours(ed, host, [file], 'accept-new');
    expect(result.verdict).toBe('connects');
    expect(result.warnings.join('\n')).toMatch(/added to .*only @cert-authority entries .*not supported/);
    const added = `${nameOf(host)} ${key(host, 'ed25519')}\n`;
    expect(await readFile(file, 'utf8')).toBe(ca + added);
    if (openssh) {
      expect(openssh.verdict).toBe('connects');
      expect(await readFile(openssh.file, 'utf8')).toBe(ca + added);
    }
  }, 30_000);

  it('connecting ahead, two runs at once: every host added exactly once, and the file works for ssh', async () => {
    const dir = join(ed.dir, `ahead-${++caseNo}`);
    await mkdir(dir);
    const file = join(dir, 'known_hosts');
    const hosts = ed.hosts.map(hostOf);
    const runs = [0, 1].map(() =>
      createSshTransport(fleetOptions(ed, { knownHostsPaths: [file], hostKeyChecking: 'accept-new' })),
    );
    try {
      const signal = new AbortController().signal;
      for (const t of runs) t.connectAhead!(hosts, signal);
      const results = await Promise.all(
        runs.flatMap((t) => hosts.map((host) => t.exec(host, script('echo ran'), collect()))),
      );
      expect(results.map((r) => r.exitCode)).toEqual(Array(8).fill(0));
    } finally {
      await Promise.all(runs.map((t) => t.close()));
    }
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean).sort();
    expect(lines).toEqual(ed.hosts.map((host) => `${nameOf(host)} ${key(host, 'ed25519')}`).sort());
    for (const host of ed.hosts)
      expect((await theirs(ed, host, file, 'strict'))?.verdict ?? 'connects').toBe('connects');
  }, 60_000);
});
