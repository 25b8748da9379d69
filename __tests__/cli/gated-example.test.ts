/**
 * examples/gated-release.yml, run as its header says: three `local:` hosts behind a canary, a
 * verify that waits for a restarted "app", a gate after each wave, and a `when: failure` undo that
 * switches back only what this run switched. It runs in a scratch directory (its demo under
 * `.tmp/gated-demo` is the scratch one), from a state an earlier release left.
 */
import { mkdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, runCli, tempDir } from '../support/cli.js';

const HOSTS = ['local:a', 'local:b', 'local:c'];
const EARLIER = '20000101T000000Z';

/** A scratch working directory where every host already serves release EARLIER. */
async function scratch(): Promise<{ cwd: string; demo: string }> {
  const cwd = await tempDir('bw-gated-');
  symlinkSync(join(REPO, 'examples'), join(cwd, 'examples'));
  const demo = join(cwd, '.tmp/gated-demo');
  for (const host of HOSTS) {
    mkdirSync(join(demo, 'hosts', host, 'releases', EARLIER), { recursive: true });
    symlinkSync(`releases/${EARLIER}`, join(demo, 'hosts', host, 'current'));
  }
  return { cwd, demo };
}

describe('examples/gated-release.yml', () => {
  it('a healthy release: each host verified, each wave gated, the always stage tells the team', async () => {
    const { cwd, demo } = await scratch();
    const r = await runCli(['run', '-c', 'examples/gated-release.yml'], { cwd, timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const id = /release (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(r.stdout)?.[1] ?? '';
    expect(id).not.toBe('');
    for (const host of HOSTS) {
      expect(readlinkSync(join(demo, 'hosts', host, 'current'))).toBe(`releases/${id}`);
      expect(readFileSync(join(demo, 'hosts', host, 'up'), 'utf8')).toBe(`${id}\n`);
      expect(r.stdout).toMatch(
        new RegExp(`^${host} ✔ success · 1 attempt · verified \\(\\d+ attempts?\\) · `, 'm'),
      );
    }
    expect(r.stdout).toMatch(/^≡ wave 1\/3 · local:a · gate ✔ passed · /m);
    expect(r.stdout).toMatch(/^≡ wave 3\/3 · local:c · gate ✔ passed · /m);
    expect(r.stdout).toContain('■ Undo (when: failure): skipped · runs only when the release fails');
    expect(r.stdout).toMatch(new RegExp(`^controller │ release ${id} success $`, 'm'));
  }, 90_000);

  it('a smoke test that fails on one host: the undo switches every host back to the earlier release', async () => {
    const { cwd, demo } = await scratch();
    const r = await runCli(['run', '-c', 'examples/gated-release.yml', '--var', 'BROKEN=local:b'], {
      cwd,
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(1);
    const id = /release (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(r.stdout)?.[1] ?? '';
    for (const host of HOSTS) {
      expect(readlinkSync(join(demo, 'hosts', host, 'current'))).toBe(`releases/${EARLIER}`);
    }
    expect(r.stdout).toContain('local:b │ local:b answers 500');
    expect(r.stdout).toContain(`local:c │ current -> releases/${EARLIER} again`);
    expect(r.stdout).toMatch(new RegExp(`^controller │ release ${id} failure at Smoke local:b$`, 'm'));
    expect(r.stdout).toMatch(/^stage "Smoke" failed: 1 of 3 jobs failed \(max-failures 0\): local:b$/m);
  }, 90_000);
});
