import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fleetConfigHead, useSshdFleet } from '../support/ssh-release-fixture.js';
import { runCli, tempDir } from '../support/cli.js';
import { readPids, waitForExit } from '../support/survivors.js';
import { loginHome } from '../support/sshd-user.js';

// The CLI end to end against real OpenSSH servers: a YAML config, the built bin, a real release.
describe('boerewors run over ssh', () => {
  const fleet = useSshdFleet({ count: 3 });

  /**
   * `root` is on the hosts (the login user's); `build` is on the controller. `lock`: the `lock:`
   * value; off unless a test is about it, and then with a name of its own (suites and worktrees
   * share the login user's ~/.boerewors/locks).
   */
  function config(root: string, build: string, extra = '', lock = 'false'): string {
    return `${fleetConfigHead(fleet, { lock, vars: { ROOT: root, BUILD: build } })}runners:
  deploy:
    stages:
      - name: Build
        steps:
          - local: mkdir -p "$BUILD" && echo "release $BW_RELEASE" > "$BUILD/index.html"
      - name: Distribute
        hosts: [web]
        steps:
          - upload: { from: '\${BUILD}/', to: '\${ROOT}/hosts/\${BW_HOST}/releases/\${BW_RELEASE}' }
          - run: grep -q "release $BW_RELEASE" "$ROOT/hosts/$BW_HOST/releases/$BW_RELEASE/index.html"
      - name: Switch
        hosts: [web]
        steps:
          - run: cd "$ROOT/hosts/$BW_HOST" && ln -sfn "releases/$BW_RELEASE" current.new && mv -T current.new current
          - run: echo "on $(whoami) $BW_HOST"
${extra}`;
  }

  it('ships a release to three sshd hosts over one connection each, the deploy lock included', async () => {
    const root = join(fleet.scratchDir, `cli-${Date.now()}`);
    const dir = await tempDir();
    const cfg = join(dir, 'release.yml');
    const lockName = `cli-ssh-${process.pid}-${Date.now()}`;
    await writeFile(cfg, config(root, join(dir, 'build'), '', `{ name: ${lockName} }`));
    const before = await Promise.all(fleet.hosts.map((h) => h.logins()));
    const report = join(dir, 'r.json');
    const r = await runCli(['run', '-c', cfg, '--report', report], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const h of fleet.hosts) {
      expect(readlinkSync(join(root, 'hosts', h.name, 'current'))).toMatch(
        /^releases\/\d{8}T\d{6}Z-[0-9a-f]{6}$/,
      );
      expect(r.stdout).toMatch(new RegExp(`^${h.name} +│ on ${fleet.user} ${h.name}$`, 'm'));
    }
    const after = await Promise.all(fleet.hosts.map((h) => h.logins()));
    expect(after.map((n, i) => n - (before[i] ?? 0))).toEqual([1, 1, 1]);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.stages.map((s: { result: string }) => s.result)).toEqual(['success', 'success', 'success']);
    // Taken on the first host over the connection its jobs used, and gone again.
    expect(json.lock).toEqual({ name: lockName, host: fleet.hosts[0]!.name, state: 'acquired' });
    expect(r.stdout).toContain(`🔒 deploy lock "${lockName}" on ${fleet.hosts[0]!.name} taken`);
    expect(r.stdout).toContain(`🔓 deploy lock "${lockName}" on ${fleet.hosts[0]!.name} released`);
    expect(existsSync(join(loginHome(fleet.user), '.boerewors/locks', lockName))).toBe(false);
  });

  it('an unknown host key fails closed: nothing runs, exit 1, both the host and the fingerprint named', async () => {
    const root = join(fleet.scratchDir, `cli-hk-${Date.now()}`);
    const dir = await tempDir();
    const emptyKnownHosts = join(dir, 'known_hosts');
    await writeFile(emptyKnownHosts, '');
    const cfg = join(dir, 'release.yml');
    await writeFile(cfg, config(root, join(dir, 'build')));
    const report = join(dir, 'r.json');
    const r = await runCli(['run', '-c', cfg, '--known-hosts', emptyKnownHosts, '--report', report], {
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(1);
    const h0 = fleet.hosts[0]!;
    expect(r.stdout).toContain(`${fleet.user}@${h0.address}:${h0.port}`);
    expect(r.stdout).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    const distribute = json.stages[1];
    expect(distribute.jobs.map((j: { result: string; attempts: number }) => [j.result, j.attempts])).toEqual([
      ['failure', 1],
      ['skipped', 0],
      ['skipped', 0],
    ]);
    expect(json.stages.map((s: { result: string }) => s.result)).toEqual(['success', 'failure', 'skipped']);
  });

  it('hosts written as address:port on one address are distinct hosts, named address:port', async () => {
    const dir = await tempDir();
    const cfg = join(dir, 'release.yml');
    const [a, b] = fleet.hosts.map((h) => `${h.address}:${h.port}`);
    await writeFile(
      cfg,
      `version: 1
lock: false
ssh: { user: ${fleet.user}, private-key: ${fleet.keyPath}, known-hosts: ${fleet.knownHostsPath} }
hosts:
  nat: ["${a}", "${b}"]
runners:
  deploy:
    stages:
      - name: Hello
        hosts: [nat]
        steps: [{ run: echo "hello from $BW_HOST" }]
`,
    );
    const report = join(dir, 'r.json');
    const r = await runCli(['run', '-c', cfg, '--report', report, '--hosts', `${b}`], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${b} │ hello from ${b}`);
    const all = await runCli(['run', '-c', cfg, '--report', report], { timeoutMs: 60_000 });
    expect(all.code).toBe(0);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.stages[0].jobs.map((j: { host: string; result: string }) => [j.host, j.result])).toEqual([
      [a, 'success'],
      [b, 'success'],
    ]);
  });

  it('a step that times out after its shell exited takes its background children with it', async () => {
    // `sleep … &` without a redirect holds the step's output open: the step outlives its shell.
    const dir = await tempDir();
    const marker = join(fleet.scratchDir, `cli-orphan-${Date.now()}`);
    const pids = `${marker}.pids`;
    const h = fleet.hosts[0]!;
    const cfg = join(dir, 'release.yml');
    await writeFile(
      cfg,
      `${fleetConfigHead(fleet, { hosts: [h], connectTimeout: null })}runners:
  deploy:
    stages:
      - name: Background
        hosts: [web]
        timeout: 2s
        steps:
          - run: |
              (sleep 10; touch ${marker}) &
              echo $! >> ${pids}
              echo started
`,
    );
    const r = await runCli(['run', '-c', cfg], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/timed out after 2s/);
    // Had the child survived, it would end 10 s in by writing the marker: wait for it, then look.
    // (Not less: the group is killed 2 s in, from a second channel, however slow a loaded machine is.)
    const child = readPids(pids);
    expect(child).toHaveLength(1);
    await waitForExit(child, 15_000);
    expect(existsSync(marker)).toBe(false);
  });
});
