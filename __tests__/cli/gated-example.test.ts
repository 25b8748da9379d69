/**
 * examples/gated-release.yml, run as its header says: three `local:` hosts behind a canary, with the
 * built-in release steps, a verify that waits for a restarted "app", a gate after each wave, and a
 * `when: failure` undo that switches back only this run's release. It runs in a scratch directory
 * (its demo under `.tmp/gated-demo` is the scratch one): a healthy release first, then one whose
 * smoke test fails, as a user would meet it.
 */
import { existsSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, runCli, tempDir, type CliRun } from '../support/cli.js';
import { waitUntil } from '../support/sshd-fixtures.js';

const HOSTS = ['local:a', 'local:b', 'local:c'];
const CONFIG = 'examples/gated-release.yml';

/** A scratch working directory with the examples, where no host has a release yet. */
async function scratch(): Promise<{ cwd: string; demo: string }> {
  const cwd = await tempDir('bw-gated-');
  symlinkSync(join(REPO, 'examples'), join(cwd, 'examples'));
  return { cwd, demo: join(cwd, '.tmp/gated-demo') };
}

const releaseId = (r: CliRun): string => /release (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(r.stdout)?.[1] ?? '';
const hostDir = (demo: string, host: string) => join(demo, 'hosts', host);
const served = (demo: string, host: string): string => {
  const up = join(hostDir(demo, host), 'up');
  return existsSync(up) ? readFileSync(up, 'utf8').trim() : '';
};
const history = (demo: string, host: string): { id: string; state: string }[] =>
  readFileSync(join(hostDir(demo, host), '.boerewors/releases.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; state: string });

async function healthyRelease(cwd: string, demo: string): Promise<string> {
  const r = await runCli(['run', '-c', CONFIG], { cwd, timeoutMs: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const id = releaseId(r);
  expect(id).not.toBe('');
  for (const host of HOSTS) {
    expect(readlinkSync(join(hostDir(demo, host), 'current'))).toBe(`releases/${id}`);
    expect(served(demo, host)).toBe(id);
    expect(r.stdout).toMatch(
      new RegExp(`^${host} ✔ success · 1 attempt · verified \\(\\d+ attempts?\\) · `, 'm'),
    );
  }
  expect(r.stdout).toMatch(/^≡ wave 1\/3 · local:a · gate ✔ passed · /m);
  expect(r.stdout).toMatch(/^≡ wave 3\/3 · local:c · gate ✔ passed · /m);
  expect(r.stdout).toContain('■ Undo (when: failure): skipped · runs only when the release fails');
  expect(r.stdout).toMatch(new RegExp(`^controller │ release ${id} success $`, 'm'));
  return id;
}

describe('examples/gated-release.yml', () => {
  it('a healthy release: each host verified, each wave gated, the always stage tells the team', async () => {
    const { cwd, demo } = await scratch();
    const id = await healthyRelease(cwd, demo);
    for (const host of HOSTS) {
      expect(history(demo, host).map((h) => h.state)).toEqual(['prepared', 'live']);
      expect(history(demo, host)[1]!.id).toBe(id);
    }
  }, 90_000);

  it('a smoke test that fails on one host: the undo puts every host back on the release before, and marks this one bad', async () => {
    const { cwd, demo } = await scratch();
    const earlier = await healthyRelease(cwd, demo);
    const r = await runCli(['run', '-c', CONFIG, '--var', 'BROKEN=local:b'], { cwd, timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    const id = releaseId(r);
    expect(id).not.toBe(earlier);
    expect(r.stdout).toContain('local:b │ local:b answers 500');
    for (const host of HOSTS) {
      expect(readlinkSync(join(hostDir(demo, host), 'current'))).toBe(`releases/${earlier}`);
      expect(r.stdout).toContain(
        `${host} │ rolled back: current -> releases/${earlier} (was releases/${id}, now marked bad)`,
      );
      expect(history(demo, host).filter((h) => h.id === id && h.state === 'bad')).toHaveLength(1);
      // The app is restarted on the release it is back on (it answers a moment after the run).
      await waitUntil(() => served(demo, host) === earlier, 10_000, `${host} to serve ${earlier} again`);
    }
    expect(r.stdout).toMatch(new RegExp(`^controller │ release ${id} failure at Smoke local:b$`, 'm'));
    expect(r.stdout).toMatch(/^stage "Smoke" failed: 1 of 3 jobs failed \(max-failures 0\): local:b$/m);
    expect(r.stdout).toContain('■ Prune: skipped · the release failed at stage "Smoke"');
  }, 120_000);

  it('the very first release failing: the undo has nothing to go back to, says so, and moves nothing', async () => {
    const { cwd, demo } = await scratch();
    const r = await runCli(['run', '-c', CONFIG, '--var', 'BROKEN=local:b'], { cwd, timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    const id = releaseId(r);
    for (const host of HOSTS) {
      expect(readlinkSync(join(hostDir(demo, host), 'current'))).toBe(`releases/${id}`);
      expect(r.stdout).toContain(`${host} │ no release to roll back to: none older than ${id} went live`);
    }
    expect(r.stdout).toMatch(/^stage "Smoke" failed: 1 of 3 jobs failed \(max-failures 0\): local:b$/m);
  }, 90_000);
});
