/**
 * Which release a plain `-r rollback` rolls back, end to end: the built CLI on `local:` hosts, with
 * the release steps' real scripts and history. After a rollback staged with `--limit` (one host went
 * back first), the next rollback finishes the same release on the others; a rollback spread over
 * parts (`--canary-only`, `--shard K/N`) without ROLLBACK_FROM reads every host of the run, so each
 * part rolls back the same release.
 */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir, type CliRun } from '../support/cli.js';

const HOSTS = ['local:a', 'local:b', 'local:c', 'local:d'];

const CONFIG = `version: 1
hosts:
  web: [${HOSTS.join(', ')}]
vars:
  ROOT: .
releases:
  path: \${ROOT}/hosts/\${BW_HOST}
runners:
  deploy:
    stages:
      - name: Distribute
        hosts: [web]
        steps:
          - release: prepare
      - name: Switch
        hosts: [web]
        steps: [{ release: switch }]
  rollback:
    stages:
      - name: Rollback
        hosts: [web]
        steps: [{ release: rollback }]
`;

interface Fleet {
  readonly dir: string;
  current(host: string): string | null;
  history(host: string): string;
  run(args: readonly string[]): Promise<CliRun>;
}

async function setUp(): Promise<Fleet> {
  const dir = await tempDir('bw-rollback-fleet-');
  await writeFile(join(dir, 'release.yml'), CONFIG);
  const at = (host: string, ...rest: string[]) => join(dir, 'hosts', host, ...rest);
  return {
    dir,
    current: (host) => (existsSync(at(host, 'current')) ? readlinkSync(at(host, 'current')) : null),
    history: (host) => readFileSync(at(host, '.boerewors/releases.jsonl'), 'utf8'),
    run: (args) =>
      runCli(['run', '-c', join(dir, 'release.yml'), '--var', `ROOT=${dir}`, ...args], {
        cwd: dir,
        timeoutMs: 60_000,
      }),
  };
}

/** Runs and expects exit 0, with the output in the message when it is not. */
async function ok(f: Fleet, args: readonly string[]): Promise<CliRun> {
  const r = await f.run(args);
  if (r.code !== 0) throw new Error(`${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

const currents = (f: Fleet) => Object.fromEntries(HOSTS.map((h) => [h, f.current(h)]));
const all = (release: string, except: Record<string, string> = {}) =>
  Object.fromEntries(HOSTS.map((h) => [h, `releases/${except[h] ?? release}`]));

/** r0, r1, r2 released on every host, one after the other: r2 is live everywhere. */
async function threeReleases(): Promise<Fleet> {
  const f = await setUp();
  for (const id of ['r0', 'r1', 'r2']) await ok(f, ['-r', 'deploy', '--release-id', id]);
  expect(currents(f)).toEqual(all('r2'));
  return f;
}

describe('which release a plain rollback rolls back (local: hosts)', () => {
  it('after a rollback staged with --limit 1, the next rollback finishes that release on the others', async () => {
    const f = await threeReleases();
    await ok(f, ['-r', 'rollback', '--limit', '1']);
    expect(currents(f)).toEqual(all('r2', { 'local:a': 'r1' }));

    // r1 went live again on local:a (the rollback's own `live` line), after r2 did: that must not
    // make r1 the release being rolled back. r2 is, and local:a stays where it is.
    const back = await ok(f, ['-r', 'rollback']);
    expect(back.stdout).toContain(
      'current is releases/r1, not releases/r2 (the release being rolled back): nothing to roll back here',
    );
    expect(currents(f)).toEqual(all('r1'));
    expect(f.history('local:a')).not.toContain('{"id":"r1","state":"bad"');
    for (const h of HOSTS) expect(f.history(h)).toContain('{"id":"r2","state":"bad"');

    // One release again: the next rollback moves every host one further back.
    await ok(f, ['-r', 'rollback']);
    expect(currents(f)).toEqual(all('r0'));
  }, 120_000);

  it('a rollback spread over parts without ROLLBACK_FROM rolls back the same release in each part', async () => {
    const f = await setUp();
    await ok(f, ['-r', 'deploy', '--release-id', 'r0']);
    await ok(f, ['-r', 'deploy', '--release-id', 'r1']);
    // The run's hosts split a, b | c, d: the canary-only part runs local:a, shard 1/2 local:b,
    // shard 2/2 local:c and local:d. r2 goes to local:b only: the rollback's canary and all of
    // shard 2/2's hosts stay on r1, as hosts left behind would.
    await ok(f, ['-r', 'deploy', '--release-id', 'r2', '--hosts', 'local:b']);
    const before = all('r1', { 'local:b': 'r2' });
    expect(currents(f)).toEqual(before);
    const reports = join(f.dir, 'reports');
    await mkdir(reports);
    const part = (which: string[]) =>
      ok(f, [
        '-r',
        'rollback',
        '--release-id',
        'back',
        '--report',
        join(reports, `${which.join('').replace(/\W/g, '')}.json`),
        ...which,
      ]);

    // The canary-only part runs local:a alone, but reads every host: it rolls back r2, not r1.
    const canary = await part(['--canary-only']);
    expect(canary.stdout).toMatch(/^local:b +│ current releases\/r2 first went live at /m);
    expect(canary.stdout).toContain(
      'current is releases/r1, not releases/r2 (the release being rolled back): nothing to roll back here',
    );
    expect(currents(f)).toEqual(before);

    // Shard 1/2 (local:b) rolls back r2.
    await part(['--shard', '1/2']);
    expect(currents(f)).toEqual(all('r1'));

    // Shard 2/2 (local:c, local:d) comes last: no host is on r2 any more, but local:b's history
    // says this run rolled r2 back, so they stay on r1 instead of going back to r0.
    const last = await part(['--shard', '2/2']);
    expect(last.stdout).toMatch(/^local:b +│ this run rolled back releases\/r2 at /m);
    expect(currents(f)).toEqual(all('r1'));
    for (const h of ['local:a', 'local:c', 'local:d']) expect(f.history(h)).not.toContain('"state":"bad"');

    // The parts' reports merge into one: the read stage, run in every part, names each host per part.
    const out = join(f.dir, 'merged.json');
    const merged = await runCli(['report', 'merge', reports, '--report', out], { timeoutMs: 30_000 });
    expect(merged.code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      result: string;
      stages: { name: string; jobs: { host: string; result: string }[] }[];
    };
    expect(report.result).toBe('success');
    expect(report.stages.map((s) => s.jobs.length)).toEqual([12, 4]);
  }, 120_000);

  it('a host whose current was switched by hand (no live line) is read as such and stays; the others roll back', async () => {
    const f = await setUp();
    await ok(f, ['-r', 'deploy', '--release-id', 'r0']);
    await ok(f, ['-r', 'deploy', '--release-id', 'r1']);
    const d = join(f.dir, 'hosts', 'local:d');
    await mkdir(join(d, 'releases', 'by-hand'));
    await symlink('releases/by-hand', join(d, 'current.new'));
    await rename(join(d, 'current.new'), join(d, 'current'));

    const back = await ok(f, ['-r', 'rollback']);
    expect(back.stdout).toMatch(/^local:d +│ current releases\/by-hand first went live at never$/m);
    expect(currents(f)).toEqual(all('r0', { 'local:d': 'by-hand' }));
  }, 120_000);
});
