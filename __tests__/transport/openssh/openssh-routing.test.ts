/**
 * The OpenSSH client through an ssh_config: hosts named by their Host alias alone, a two-hop
 * ProxyJump chain and a ProxyCommand (`ssh -W` through a jump host); each jump host's sshd log
 * shows the forward it made. Then the contract shared with the built-in client: an upload, a
 * timeout ending a background child, and nothing left behind (no ssh process, no socket directory).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, TimeoutError } from '../../../src/contract/errors.js';
import type { Host } from '../../../src/contract/host.js';
import { DEFAULT_SSH_OPTIONS } from '../../../src/contract/ssh-options.js';
import { createOpensshTransport } from '../../../src/transport/openssh/openssh.js';
import type { SshdConfig } from '../../support/sshd.js';
import { useSshdFleet } from '../../support/ssh-release-fixture.js';
import { collect, script, within } from '../../support/sshd-fixtures.js';
import { readPids, waitForExit } from '../../support/survivors.js';
import { noChildSsh, noNewSocketDirs, socketDirs } from '../../support/openssh-support.js';

const dir = mkdtempSync(join(tmpdir(), 'bw-osroute-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// h0 and h1 are the jump hosts: at DEBUG1 their sshd logs each direct-tcpip forward (its target).
const fleet = useSshdFleet({
  count: 4,
  hostConfig: (i): SshdConfig => (i < 2 ? { LogLevel: 'DEBUG1' } : {}),
});

let configPath = '';
beforeAll(() => {
  const [j1, j2, target, other] = fleet.hosts;
  configPath = join(dir, 'ssh_config');
  writeFileSync(
    configPath,
    [
      `Host bw-jump1`,
      `  HostName 127.0.0.1`,
      `  Port ${j1!.port}`,
      `Host bw-jump2`,
      `  HostName 127.0.0.1`,
      `  Port ${j2!.port}`,
      `  ProxyJump bw-jump1`,
      `Host bw-app`,
      `  HostName 127.0.0.1`,
      `  Port ${target!.port}`,
      `  ProxyJump bw-jump2`,
      `Host bw-web`,
      `  HostName 127.0.0.1`,
      `  Port ${other!.port}`,
      `  ProxyCommand ssh -F ${configPath} -W %h:%p bw-jump1`,
      `Host bw-direct`,
      `  HostName 127.0.0.1`,
      `  Port ${other!.port}`,
      `Host *`,
      `  User ${fleet.user}`,
      `  IdentityFile ${fleet.keyPath}`,
      `  IdentitiesOnly yes`,
      `  UserKnownHostsFile ${fleet.knownHostsPath}`,
      `  GlobalKnownHostsFile /dev/null`,
      `  BatchMode yes`,
      '',
    ].join('\n'),
  );
});

/** A host named by its alias alone, as `{ name: bw-app }` in a config: the default port, no user. */
const alias = (name: string): Host => ({ name, address: name, port: 22, local: false });

/** Only the ssh_config: no key, no known_hosts, no user of ours. */
const viaConfig = () => ({
  ...DEFAULT_SSH_OPTIONS,
  configFile: configPath,
  connectTimeoutMs: 5000,
});

afterEach(async () => {
  await noChildSsh();
  // No socket directory left that was not there before (others' may come and go meanwhile).
  await noNewSocketDirs(before);
});
let before: string[] = [];
beforeEach(() => {
  before = socketDirs();
});

/** `direct-tcpip` forwards to `port` that a jump host's sshd logged. */
async function forwardsTo(host: (typeof fleet.hosts)[number], port: number): Promise<number> {
  const log = await host.log();
  return log.split('\n').filter((l) => /direct_tcpip/.test(l) && l.includes(`target 127.0.0.1 port ${port}`))
    .length;
}

describe('routing through an ssh_config', () => {
  it('reaches a host by alias over a two-hop ProxyJump chain, logging in once, the hops in the logs', async () => {
    const [j1, j2, target] = fleet.hosts;
    const t = createOpensshTransport(viaConfig());
    const logins = await target!.logins();
    try {
      for (const n of [1, 2]) {
        const ctx = collect();
        await expect(t.exec(alias('bw-app'), script(`echo app-${n}`), ctx)).resolves.toMatchObject({
          exitCode: 0,
        });
        expect(ctx.stdout()).toEqual([`app-${n}`]);
      }
    } finally {
      await t.close();
    }
    expect((await target!.logins()) - logins).toBe(1);
    // jump1 forwarded to jump2, jump2 to the target.
    expect(await forwardsTo(j1!, j2!.port)).toBeGreaterThanOrEqual(1);
    expect(await forwardsTo(j2!, target!.port)).toBeGreaterThanOrEqual(1);
  });

  it('reaches a host through a ProxyCommand (ssh -W via a jump host)', async () => {
    const [j1, , , other] = fleet.hosts;
    const t = createOpensshTransport(viaConfig());
    const forwards = await forwardsTo(j1!, other!.port);
    try {
      const ctx = collect();
      await expect(t.exec(alias('bw-web'), script('echo web'), ctx)).resolves.toMatchObject({ exitCode: 0 });
      expect(ctx.stdout()).toEqual(['web']);
    } finally {
      await t.close();
    }
    expect((await forwardsTo(j1!, other!.port)) - forwards).toBe(1);
  });

  it('names an alias the ssh_config does not define', async () => {
    const t = createOpensshTransport(viaConfig());
    try {
      const err = await t.exec(alias('bw-nowhere'), script('echo x'), collect()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain('defines no Host "bw-nowhere"');
    } finally {
      await t.close();
    }
  });
});

describe('the contract shared with the built-in client', () => {
  it('uploads over the tar stream, link-from included', async () => {
    const src = join(dir, 'src');
    rmSync(src, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'alpha\n');
    writeFileSync(join(src, 'sub', 'b.txt'), 'beta\n');
    const to = join(fleet.scratchDir, 'upload-1');
    const to2 = join(fleet.scratchDir, 'upload-2');
    const t = createOpensshTransport(viaConfig());
    try {
      const first = await t.upload(alias('bw-direct'), { from: src, to }, collect());
      expect(first).toMatchObject({ files: 2, method: 'tar' });
      const second = await t.upload(alias('bw-direct'), { from: src, to: to2, linkFrom: to }, collect());
      expect(second).toMatchObject({ files: 2, filesLinked: 2 });
    } finally {
      await t.close();
    }
    expect(readFileSync(join(to2, 'sub', 'b.txt'), 'utf8')).toBe('beta\n');
  });

  it('a timeout ends the step and its background child on the host', async () => {
    const pids = join(fleet.scratchDir, 'timeout-pids');
    const marker = join(fleet.scratchDir, 'timeout-survived');
    const t = createOpensshTransport(viaConfig());
    const ac = new AbortController();
    try {
      const running = t.exec(
        alias('bw-direct'),
        script(`echo $$ >> ${pids}; (echo $BASHPID >> ${pids}; sleep 8; touch ${marker}) & wait`),
        { ...collect(ac.signal) },
      );
      const { waitUntil } = await import('../../support/sshd-fixtures.js');
      await waitUntil(() => readPids(pids).length >= 2, 10_000, 'the step to record its pids');
      ac.abort(new TimeoutError('bw-direct: timed out'));
      await expect(within(running, 10_000, 'the step to end')).rejects.toBeInstanceOf(TimeoutError);
      await waitForExit(readPids(pids), 15_000);
    } finally {
      await t.close();
    }
    expect(existsSync(marker)).toBe(false);
  });
});
