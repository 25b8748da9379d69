import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir, type CliRun } from '../support/cli.js';
import { fleetConfigHead, useSshdFleet } from '../support/ssh-release-fixture.js';

// A release spread over machines, as a GitHub job matrix runs it, played by separate CLI processes
// against real sshd hosts: the canary-only part, then the shards, then `report merge`.
describe('boerewors run --canary-only / --shard K/N, then report merge', () => {
  const fleet = useSshdFleet({ count: 5 });

  /** Every job of Deploy and Switch appends the release id to `ROOT/<host>.<stage>` on its host. */
  function config(root: string): string {
    return `${fleetConfigHead(fleet, { vars: { ROOT: root, FAIL_HOST: 'none' } })}runners:
  deploy:
    stages:
      - name: Build
        steps:
          - local: echo "built $BW_RELEASE"
      - name: Deploy
        hosts: [web]
        steps:
          - run: echo "$BW_RELEASE" >> "$ROOT/$BW_HOST.deploy"
          - run: test "$BW_HOST" != "$FAIL_HOST" || { echo "health check failed on $BW_HOST"; exit 3; }
      - name: Switch
        hosts: [web]
        steps:
          - run: echo "$BW_RELEASE" >> "$ROOT/$BW_HOST.switch"
`;
  }

  /** A scratch dir on the hosts, a config, and a reports dir, per test. */
  async function setUp(name: string): Promise<{ root: string; cfg: string; reports: string }> {
    const root = join(fleet.scratchDir, `shard-${name}-${Date.now()}`);
    await mkdir(root);
    await chmod(root, 0o777); // the hosts' login user writes here
    const dir = await tempDir();
    const cfg = join(dir, 'release.yml');
    await writeFile(cfg, config(root));
    const reports = join(dir, 'reports');
    await mkdir(reports);
    return { root, cfg, reports };
  }

  /** One part, as one job of a workflow run (GITHUB_RUN_ID shared by all of them). */
  function part(cfg: string, report: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
    return runCli(['run', '-c', cfg, '--report', report, ...args], {
      timeoutMs: 60_000,
      env: { GITHUB_RUN_ID: '4242', ...env },
    });
  }

  const lines = (file: string): string[] =>
    existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];

  it('the canary part and two shards deploy every host once, with one release id; the merge is one report, exit 0', async () => {
    const { root, cfg, reports } = await setUp('ok');
    const names = fleet.hosts.map((h) => h.name);
    const before = await Promise.all(fleet.hosts.map((h) => h.logins()));

    const canary = await part(cfg, join(reports, 'report-canary.json'), ['--canary-only']);
    expect(canary.stderr).toBe('');
    expect(canary.code).toBe(0);
    expect(canary.stdout).toContain('canary-only');
    const shards = await Promise.all(
      [1, 2].map((k) => part(cfg, join(reports, `report-shard-${k}-of-2.json`), ['--shard', `${k}/2`])),
    );
    for (const s of shards) {
      expect(s.stderr).toBe('');
      expect(s.code).toBe(0);
    }

    // Every host ran each stage exactly once, all with the workflow run's release id.
    for (const name of names) {
      expect(lines(join(root, `${name}.deploy`))).toEqual(['run-4242']);
      expect(lines(join(root, `${name}.switch`))).toEqual(['run-4242']);
    }
    // The canary part connected to the canary only; the shards split the other four 2 + 2.
    const after = await Promise.all(fleet.hosts.map((h) => h.logins()));
    expect(after.map((n, i) => n - (before[i] ?? 0))).toEqual([1, 1, 1, 1, 1]);
    const shard1 = JSON.parse(readFileSync(join(reports, 'report-shard-1-of-2.json'), 'utf8'));
    expect(shard1.shard).toEqual({ index: 1, count: 2 });
    expect(shard1.stages[1]).toMatchObject({ name: 'Deploy', canary: null, canaryLeftOut: names[0] });
    expect(shard1.stages[1].jobs.map((j: { host: string }) => j.host)).toEqual([names[1], names[2]]);

    const out = join(reports, '..', 'merged.json');
    const merged = await runCli(['report', 'merge', reports, '--report', out], { timeoutMs: 30_000 });
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
    expect(merged.stdout).toContain('report merge · 3 reports');
    expect(merged.stdout).toMatch(
      /^Release success · runner deploy · merged from canary-only, shard 1\/2, shard 2\/2 · 3 stages · /m,
    );
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json).toMatchObject({
      runner: 'deploy',
      release: 'run-4242',
      result: 'success',
      mergedFrom: ['canary-only', 'shard 1/2', 'shard 2/2'],
    });
    const deploy = json.stages[1];
    expect(deploy).toMatchObject({ name: 'Deploy', result: 'success', canary: names[0] });
    expect(deploy.jobs.map((j: { host: string }) => j.host)).toEqual(names);
    // The controller's Build ran in every part: one row per part.
    expect(json.stages[0].jobs.map((j: { host: string }) => j.host)).toEqual([
      'controller (canary-only)',
      'controller (shard 1/2)',
      'controller (shard 2/2)',
    ]);
  });

  it('a host failing in shard 2 fails that shard (exit 1) and the merged release (exit 1), naming the shard and the host', async () => {
    const { root, cfg, reports } = await setUp('fail');
    const bad = fleet.hosts[4]!.name;
    const vars = ['--var', `FAIL_HOST=${bad}`];
    expect((await part(cfg, join(reports, 'c.json'), ['--canary-only', ...vars])).code).toBe(0);
    const one = await part(cfg, join(reports, 's1.json'), ['--shard', '1/2', ...vars]);
    const two = await part(cfg, join(reports, 's2.json'), ['--shard', '2/2', ...vars]);
    expect(one.code).toBe(0);
    expect(two.code).toBe(1);
    // Shard 2 stopped after Deploy: its hosts never switched; shard 1's did (no barrier across shards).
    expect(lines(join(root, `${bad}.switch`))).toEqual([]);
    expect(lines(join(root, `${fleet.hosts[1]!.name}.switch`))).toEqual(['run-4242']);

    const merged = await runCli(['report', 'merge', reports], { timeoutMs: 30_000 });
    expect(merged.code).toBe(1);
    expect(merged.stdout).toMatch(/^Release failure · /m);
    expect(merged.stdout).toContain('shard 2/2');
    expect(merged.stdout).toContain(bad);
    // The failed job's last output, kept in shard 2's report, is in the merged log.
    expect(merged.stdout).toMatch(new RegExp(`^${bad} +│ health check failed on ${bad}$`, 'm'));

    // Without shard 2's report the release is not whole: a failure that says which part is missing.
    const partialOut = join(reports, '..', 'partial.json');
    const partial = await runCli([
      'report',
      'merge',
      join(reports, 'c.json'),
      join(reports, 's1.json'),
      '--report',
      partialOut,
    ]);
    expect(partial.code).toBe(1);
    // Which hosts are in no report, as shard 1's report records the shards: shard 2 had the last two.
    const [h3, h4] = [fleet.hosts[3]!.name, fleet.hosts[4]!.name];
    expect(partial.stdout).toContain(`no report from shard 2/2: its hosts (${h3}, ${h4}) are in no report`);
    // The stages whose hosts are missing are failures too: no all-green table under a red headline.
    const json = JSON.parse(readFileSync(partialOut, 'utf8'));
    expect(json.stages.map((st: { result: string }) => st.result)).toEqual(['success', 'failure', 'failure']);
    expect(json.stages[1].reason).toBe(`shard 2/2: no report, so ${h3}, ${h4} in no report`);
  });

  it('bad input exits 2 before anything connects: a part with no release id to share, reports of two releases', async () => {
    const { root, cfg, reports } = await setUp('bad');
    const before = await Promise.all(fleet.hosts.map((h) => h.logins()));
    // Outside GitHub Actions nothing is shared between the parts' machines.
    const outside = await runCli(['run', '-c', cfg, '--shard', '1/2'], { env: { GITHUB_RUN_ID: '' } });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('--shard: the parts of a sharded release must share one release id');
    const after = await Promise.all(fleet.hosts.map((h) => h.logins()));
    expect(after).toEqual(before);
    expect(existsSync(join(root, `${fleet.hosts[1]!.name}.deploy`))).toBe(false);

    // Two workflow runs: two releases, whose parts do not add up to one.
    expect((await part(cfg, join(reports, 'c.json'), ['--canary-only'], { GITHUB_RUN_ID: '1' })).code).toBe(
      0,
    );
    expect((await part(cfg, join(reports, 's.json'), ['--shard', '1/1'], { GITHUB_RUN_ID: '2' })).code).toBe(
      0,
    );
    const merged = await runCli(['report', 'merge', reports]);
    expect(merged.code).toBe(2);
    expect(merged.stderr).toContain('reports of different release ids');
    expect(merged.stderr).toContain('"run-1"');
    expect(merged.stderr).toContain('"run-2"');
  });
});
