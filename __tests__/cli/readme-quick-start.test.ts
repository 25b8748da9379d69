import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, tempDir } from '../support/cli.js';

// The README's front door: its quick-start release command, run exactly as written (minus `npm ci`,
// which the test run has already done). It runs in a scratch directory that links to the
// repository's bin/ and examples/, so the demo it builds (`.tmp/demo`, relative to the working
// directory) is the scratch one: the suite never touches a demo the user has in the repository.
describe('README quick start', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const block = /## Quick start[^\n]*\n+```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const lines = block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
  const release = (lines[0] ?? '').replace(/^npm ci && /, '');
  const HOSTS = ['local:a', 'local:b', 'local:c'];

  /** A scratch working directory whose `.tmp/demo` is the demo's. */
  async function scratch(): Promise<{ cwd: string; demo: string }> {
    const cwd = await tempDir('bw-quick-start-');
    for (const dir of ['bin', 'examples']) symlinkSync(join(REPO, dir), join(cwd, dir));
    return { cwd, demo: join(cwd, '.tmp/demo') };
  }

  const run = (command: string, cwd: string) =>
    spawnSync('bash', ['-c', command], { cwd, encoding: 'utf8', timeout: 30_000 });

  it('has exactly two commands: a release and the tests', () => {
    expect(lines).toEqual([expect.stringMatching(/^npm ci && /), 'npm test']);
  });

  it('the release command works as written and leaves three live hosts', async () => {
    const { cwd, demo } = await scratch();
    const r = run(release, cwd);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Release success');
    for (const host of HOSTS) {
      const current = join(demo, 'hosts', host, 'current');
      expect(readlinkSync(current)).toMatch(/^releases\//);
      expect(existsSync(join(current, 'index.html'))).toBe(true);
    }
  });

  it('keeps three releases, so the fourth run prunes the oldest, as the README says; rollback goes back one', async () => {
    expect(readme).toContain('the fourth run prunes the oldest');
    expect(readme).toContain('-r rollback');
    const { cwd, demo } = await scratch();
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const r = run(release, cwd);
      expect(r.status).toBe(0);
      ids.push(/release (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(r.stdout)?.[1] ?? '');
      if (i < 4) expect(r.stdout).not.toContain('│ pruned releases/');
      else
        for (const host of HOSTS)
          expect(r.stdout).toMatch(new RegExp(`^${host} +│ pruned releases/${ids[0]}: `, 'm'));
    }
    expect(new Set(ids).size).toBe(4);
    for (const host of HOSTS) {
      expect(readdirSync(join(demo, 'hosts', host, 'releases')).sort()).toEqual(ids.slice(1).sort());
      expect(readlinkSync(join(demo, 'hosts', host, 'current'))).toBe(`releases/${ids[3]}`);
      // The shared logs/ outlived the pruned release: four deploys are in it.
      expect(
        readFileSync(join(demo, 'hosts', host, 'shared/logs/deploys.log'), 'utf8').split('\n'),
      ).toHaveLength(5);
    }
    const back = run(release.replace('-r deploy', '-r rollback'), cwd);
    expect(back.status).toBe(0);
    for (const host of HOSTS) {
      expect(readlinkSync(join(demo, 'hosts', host, 'current'))).toBe(`releases/${ids[2]}`);
    }
  });
});
