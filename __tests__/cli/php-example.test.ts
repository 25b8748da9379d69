/**
 * examples/php-release.yml runs as written, end to end, on its two `local:` hosts: the built CLI,
 * a composer-style vendor tree hard-linked from the live release, shared storage/ and .env, an
 * atomic switch, the php-fpm reload step, prune, and the rollback runner.
 */
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, runCli, tempDir } from '../support/cli.js';

const EXAMPLE = join(REPO, 'examples/php-release.yml');
const HOSTS = ['local:app-1', 'local:app-2'];

describe('examples/php-release.yml', () => {
  it('deploys (vendor/ linked, not sent, after the first time), keeps storage/ and .env, rolls back, and prunes the bad release', async () => {
    const root = await tempDir('bw-php-');
    const run = (runner: string) =>
      runCli(['run', '-c', EXAMPLE, '-r', runner, '--var', `APP_ROOT=${root}`], { timeoutMs: 60_000 });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await run('deploy');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const id = /release (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(r.stdout)?.[1] ?? '';
      ids.push(id);
      for (const host of HOSTS) {
        expect(r.stdout).toMatch(
          new RegExp(`^${host} +✔ success · 1 attempt · verified \\(1 attempt\\)`, 'm'),
        );
        expect(r.stdout).toContain(`${host} │ no PHP_FPM_SERVICE: nothing to reload\n`);
        // The first release sends everything; the second only what changed (index.php, config.php).
        const moved = i === 0 ? 'sent' : 'sent, 34 linked';
        expect(r.stdout).toMatch(
          new RegExp(`^${host} +│ uploaded 36 files \\(.*\\): .* ${moved} · tar`, 'm'),
        );
      }
      expect(r.stdout.match(/│ created shared\/\.env$/gm) ?? []).toHaveLength(i === 0 ? 2 : 0);
    }
    for (const host of HOSTS) {
      const path = join(root, 'hosts', host);
      expect(readlinkSync(join(path, 'current'))).toBe(`releases/${ids[1]}`);
      // Besides the releases, the manifests link-from keeps (.ID.bw-manifest).
      expect(readdirSync(join(path, 'releases')).sort()).toEqual(
        [...ids.map((id) => `.${id}.bw-manifest`), ...ids].sort(),
      );
      const [first, second] = ids.map((id) => join(path, 'releases', id ?? ''));
      // vendor/ is the same files on disk; the entry point is the new release's.
      const file = 'vendor/symfony/console/src/C3.php';
      expect(statSync(join(second!, file)).ino).toBe(statSync(join(first!, file)).ino);
      expect(readFileSync(join(path, 'current/public/index.php'), 'utf8')).toContain(`shop ${ids[1]}`);
      // Shared paths: one .env and one storage/ that both releases use.
      for (const release of [first!, second!]) {
        expect(readlinkSync(join(release, '.env'))).toBe('../../shared/.env');
        expect(readlinkSync(join(release, 'storage'))).toBe('../../shared/storage');
      }
      expect(readFileSync(join(path, 'shared/.env'), 'utf8')).toMatch(/^APP_ENV=production\nAPP_KEY=base64:/);
      expect(
        readFileSync(join(path, 'shared/storage/logs/deploy.log'), 'utf8').trim().split('\n'),
      ).toHaveLength(2);
    }

    const back = await run('rollback');
    expect(back.code).toBe(0);
    for (const host of HOSTS) {
      expect(readlinkSync(join(root, 'hosts', host, 'current'))).toBe(`releases/${ids[0]}`);
      expect(back.stdout).toContain(`${host} │ no PHP_FPM_SERVICE: nothing to reload\n`);
    }
    // Nothing older went live: a second rollback fails and moves nothing.
    const again = await run('rollback');
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('no release to roll back to');
    for (const host of HOSTS)
      expect(readlinkSync(join(root, 'hosts', host, 'current'))).toBe(`releases/${ids[0]}`);

    // Two more releases: the second one's prune removes the release the rollback marked bad (and
    // the manifest link-from kept for it) and keeps three that went live.
    for (let i = 0; i < 2; i++) {
      const r = await run('deploy');
      expect(r.code).toBe(0);
      ids.push(/release (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(r.stdout)?.[1] ?? '');
    }
    const kept = [ids[0], ids[2], ids[3]] as string[];
    for (const host of HOSTS) {
      const left = readdirSync(join(root, 'hosts', host, 'releases'));
      expect(left.sort()).toEqual([...kept, ...kept.map((id) => `.${id}.bw-manifest`)].sort());
    }
  }, 180_000);

  it('a host that fails its health check after the switch: the run fails and undoes its release on every host it reached', async () => {
    const root = await tempDir('bw-php-undo-');
    const deploy = (...vars: string[]) =>
      runCli(
        [
          'run',
          '-c',
          EXAMPLE,
          '-r',
          'deploy',
          '--var',
          `APP_ROOT=${root}`,
          ...vars.flatMap((v) => ['--var', v]),
        ],
        {
          timeoutMs: 60_000,
        },
      );
    const good = await deploy();
    expect(good.code).toBe(0);
    const first = /release (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(good.stdout)?.[1] ?? '';
    const bad = await deploy('BROKEN=local:app-2');
    expect(bad.code).toBe(1);
    const second = /release (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(bad.stdout)?.[1] ?? '';
    expect(bad.stdout).toContain('local:app-2 │ local:app-2 answers 500');
    for (const host of HOSTS) {
      // Both had switched (the canary passed its check); both are back on the release before.
      expect(bad.stdout).toContain(
        `${host} │ rolled back: current -> releases/${first} (was releases/${second}, now marked bad)`,
      );
      expect(readlinkSync(join(root, 'hosts', host, 'current'))).toBe(`releases/${first}`);
    }
  }, 120_000);
});
