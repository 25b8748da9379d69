/**
 * A host whose job failed in a stage that tolerated it is left behind, end to end: the built CLI
 * against real OpenSSH servers on loopback and `local:` hosts in one group. Its `current` stays
 * on the previous release while the others switch; `can-fail` lets a host go on; a `when: always`
 * stage still sees it; `--limit` and a shard never pull in a host they did not select; and a
 * rollback afterwards brings every host back to one release without moving the host left behind.
 */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir, type CliRun } from '../support/cli.js';
import { fleetConfigHead, useSshdFleet } from '../support/ssh-release-fixture.js';

const fleet = useSshdFleet({ count: 3 }, 30_000);

const SSH = ['web1', 'web2', 'web3'];
const HOSTS = [...SSH, 'local:l1', 'local:l2'];

const runners = `runners:
  deploy:
    stages:
      - name: Distribute
        hosts: [web, locals]
        max-failures: 1
        steps:
          - release: prepare
          - run: echo "$BW_RELEASE" > "$BW_RELEASE_PATH/version"
          - name: check
            run: '[ "$BW_HOST" != "$FAIL_HOST" ] || { echo "disk quota exceeded" >&2; exit 28; }'
        verify: { run: '[ "$BW_HOST" != "$VERIFY_FAIL" ]', timeout: 1s, interval: 200ms }
      - name: Warm
        hosts: [web, locals]
        canary: false
        can-fail: true
        steps:
          - run: '[ "$BW_HOST" != "$WARM_FAIL" ] || exit 3'
      - name: Switch
        hosts: [web, locals]
        steps: [{ release: switch }]
      - name: Notify
        when: always
        hosts: [web, locals]
        canary: false
        steps:
          - run: 'echo "$BW_RELEASE failed=[$BW_FAILED_HOSTS]" >> "$BW_RELEASES_PATH/notified"'
  rollback:
    stages:
      - name: Rollback
        hosts: [web, locals]
        steps: [{ release: rollback }]
`;

interface Fleet {
  dir: string;
  root: string;
  current(host: string): string | null;
  history(host: string): string;
  notified(host: string): string;
  run(args: string[], vars?: Record<string, string>): Promise<CliRun>;
}

const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

async function setUp(): Promise<Fleet> {
  const dir = await tempDir('bw-left-behind-');
  const root = join(fleet.scratchDir, `left-behind-${process.pid}-${made.length}`);
  made.push(dir, root);
  await writeFile(
    join(dir, 'release.yml'),
    `${fleetConfigHead(fleet, {
      names: SSH,
      moreHosts: '  locals: [local:l1, local:l2]',
      vars: { FAIL_HOST: '', VERIFY_FAIL: '', WARM_FAIL: '' },
    })}releases:
  path: ${root}/\${BW_HOST}
${runners}`,
  );
  const at = (host: string, ...rest: string[]) => join(root, host, ...rest);
  return {
    dir,
    root,
    current: (host) => (existsSync(at(host, 'current')) ? readlinkSync(at(host, 'current')) : null),
    history: (host) => readFileSync(at(host, '.boerewors/releases.jsonl'), 'utf8'),
    notified: (host) => (existsSync(at(host, 'notified')) ? readFileSync(at(host, 'notified'), 'utf8') : ''),
    run: (args, vars = {}) =>
      runCli(
        [
          'run',
          '-c',
          join(dir, 'release.yml'),
          ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}=${v}`]),
          ...args,
        ],
        { cwd: dir },
      ),
  };
}

const currents = (f: Fleet): Record<string, string | null> =>
  Object.fromEntries(HOSTS.map((h) => [h, f.current(h)]));
const all = (release: string, except: Record<string, string | null> = {}) =>
  Object.fromEntries(HOSTS.map((h) => [h, h in except ? except[h]! : `releases/${release}`]));

interface Report {
  result: string;
  leftBehind: { host: string; stage: string; error: string }[];
  stages: { name: string; result: string; jobs: { host: string; result: string; error: string | null }[] }[];
}
const readReport = (path: string): Report => JSON.parse(readFileSync(path, 'utf8')) as Report;

describe('a host that failed in a stage that tolerated it is left behind (real sshd and local: hosts)', () => {
  it('a failed Distribute keeps current on that host only; Notify (when: always) still sees it; rollback returns all to one release', async () => {
    const f = await setUp();
    expect((await f.run(['-r', 'deploy', '--release-id', 'r1'])).code).toBe(0);
    const report = join(f.dir, 'r2.json');
    const r2 = await f.run(['-r', 'deploy', '--release-id', 'r2', '--report', report], { FAIL_HOST: 'web2' });
    expect(r2.stderr + r2.stdout).toContain(
      'Release success · 1 host left on its previous release: web2 (failed at Distribute)',
    );
    expect(r2.code).toBe(0);
    // The log's line for web2 in Switch: skipped, naming the stage it failed at.
    expect(r2.stdout).toMatch(/^web2 +– skipped: failed at stage "Distribute" · 0 attempts/m);
    expect(currents(f)).toEqual(all('r2', { web2: 'releases/r1' }));
    const json = readReport(report);
    expect(json.result).toBe('success');
    expect(json.leftBehind).toEqual([{ host: 'web2', stage: 'Distribute', error: 'exit code 28' }]);
    const switched = json.stages.find((s) => s.name === 'Switch')!;
    expect(switched.jobs.find((j) => j.host === 'web2')).toMatchObject({
      result: 'skipped',
      error: 'failed at stage "Distribute"',
    });
    // The stage on the way out ran on every host, web2 included, and was told who failed.
    for (const h of HOSTS) expect(f.notified(h)).toContain('r2 failed=[web2]');

    const back = await f.run(['-r', 'rollback']);
    expect(back.stderr + back.stdout).toContain(
      'current is releases/r1, not releases/r2 (the release being rolled back): nothing to roll back here',
    );
    expect(back.code).toBe(0);
    expect(currents(f)).toEqual(all('r1'));
    // web2 did not move, and the release it serves was not marked bad.
    expect(f.history('web2')).not.toContain('"state":"bad"');
    expect(f.history('web1')).toContain('{"id":"r2","state":"bad"');

    // ROLLBACK_TO a release every host is on already: a success that says so, nothing moves.
    const to = await f.run(['-r', 'rollback'], { ROLLBACK_TO: 'r1' });
    expect(to.code).toBe(0);
    expect(to.stdout).toContain('current is releases/r1 already, as ROLLBACK_TO asks: nothing to roll back');
    expect(currents(f)).toEqual(all('r1'));
  }, 120_000);

  it('a failed verify within the budget does the same; a can-fail failure goes on', async () => {
    const f = await setUp();
    expect((await f.run(['-r', 'deploy', '--release-id', 'r1'])).code).toBe(0);
    const r2 = await f.run(['-r', 'deploy', '--release-id', 'r2'], {
      VERIFY_FAIL: 'local:l1',
      WARM_FAIL: 'web3',
    });
    expect(r2.code).toBe(0);
    expect(r2.stdout).toContain('1 host left on its previous release: local:l1 (failed at Distribute)');
    expect(currents(f)).toEqual(all('r2', { 'local:l1': 'releases/r1' }));
  }, 120_000);

  it('--limit never pulls in a host the run did not select', async () => {
    const f = await setUp();
    expect((await f.run(['-r', 'deploy', '--release-id', 'r1'])).code).toBe(0);
    const r2 = await f.run(['-r', 'deploy', '--release-id', 'r2', '--limit', '2'], { FAIL_HOST: 'web2' });
    expect(r2.code).toBe(0);
    expect(currents(f)).toEqual(all('r1', { web1: 'releases/r2' }));
  }, 120_000);

  it('a shard leaves its own hosts behind and never takes one from another shard', async () => {
    const f = await setUp();
    expect((await f.run(['-r', 'deploy', '--release-id', 'r1'])).code).toBe(0);
    // web1 is the canary-only part's; shard 1/2 holds web2 and web3, shard 2/2 the local hosts.
    const s1 = await f.run(['-r', 'deploy', '--release-id', 'r2', '--shard', '1/2'], { FAIL_HOST: 'web2' });
    expect(s1.code).toBe(0);
    expect(currents(f)).toEqual(all('r1', { web3: 'releases/r2' }));
  }, 120_000);
});
