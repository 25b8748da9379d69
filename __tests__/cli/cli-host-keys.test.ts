/**
 * Host keys through the built CLI against real sshd: a known_hosts file full of pathological
 * wildcard patterns cannot freeze the process, and accept-new pins a host across runs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir } from '../support/cli.js';
import { findSsh, opensshVerdict } from '../support/openssh-client.js';
import { useSshdFleet } from '../support/ssh-release-fixture.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const fleet = useSshdFleet({ count: 2 });

const keyOf = (publicLine: string) => publicLine.split(' ').slice(0, 2).join(' ');

function config(knownHosts: string, port: number, checking = 'strict'): string {
  return `version: 1
# The deploy lock is not under test here (and a fixed one would collide across suites).
lock: false
ssh:
  user: ${fleet.user}
  private-key: ${fleet.keyPath}
  known-hosts: ${knownHosts}
  host-key-checking: ${checking}
  connect-timeout: 5s
hosts:
  web:
    - { name: web-1, address: 127.0.0.1, port: ${port} }
runners:
  deploy:
    stages:
      - name: Check
        hosts: [web]
        steps:
          - run: echo "on $BW_HOST"
`;
}

describe('host keys through the CLI', () => {
  // Matching these with a backtracking RegExp took hours of synchronous work: the connect timeout
  // and SIGTERM could not fire, and the CLI had to be killed. OpenSSH answers at once.
  it('known_hosts lines with pathological wildcards: the run finishes in time (within 20 s)', async () => {
    const dir = await tempDir();
    const h0 = fleet.hosts[0]!;
    const key = keyOf(h0.hostPublicKey);
    const patterns = [
      '*'.repeat(24) + 'x',
      '*'.repeat(40) + '?x',
      '*1'.repeat(60) + 'z',
      '*.'.repeat(100) + 'q',
    ];
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(
      knownHosts,
      [...patterns.map((p) => `${p} ${key}`), `[127.0.0.1]:${h0.port} ${key}`].join('\n'),
    );
    const cfg = join(dir, 'release.yml');
    await writeFile(cfg, config(knownHosts, h0.port));
    const r = await runCli(['run', '-c', cfg], { timeoutMs: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/web-1 +│ on web-1/);
    expect(r.ms).toBeLessThan(20_000);
    if (findSsh()) expect((await opensshVerdict(fleet, h0, knownHosts, 'yes')).verdict).toBe('connects');
  }, 40_000);

  it('accept-new: the first run adds the host to the config known-hosts file, a later run refuses a changed key', async () => {
    const dir = await tempDir();
    const proxy = await startTcpProxy(fleet.hosts[0]!.port);
    try {
      const knownHosts = join(dir, 'known_hosts');
      const cfg = join(dir, 'release.yml');
      await writeFile(cfg, config(knownHosts, proxy.port, 'accept-new'));
      const first = await runCli(['run', '-c', cfg], { timeoutMs: 30_000 });
      expect(first.code).toBe(0);
      expect(first.stdout + first.stderr).toContain(`added to ${knownHosts}`);
      const pinned = `[127.0.0.1]:${proxy.port} ${keyOf(fleet.hosts[0]!.hostPublicKey)}\n`;
      expect(await readFile(knownHosts, 'utf8')).toBe(pinned);

      const second = await runCli(['run', '-c', cfg], { timeoutMs: 30_000 });
      expect(second.code).toBe(0);
      expect(second.stdout + second.stderr).not.toContain('new host');

      proxy.target = fleet.hosts[1]!.port; // same address, another key
      const third = await runCli(['run', '-c', cfg], { timeoutMs: 30_000 });
      expect(third.code).toBe(1);
      expect(third.stdout).toMatch(new RegExp(`HOST KEY MISMATCH.*\\(${knownHosts}:1\\)`));
      expect(third.stdout).not.toContain('on web-1');
      expect(await readFile(knownHosts, 'utf8')).toBe(pinned);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
