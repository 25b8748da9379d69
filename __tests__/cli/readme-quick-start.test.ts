import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
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

  /** A scratch working directory with `before` releases already on every host. */
  async function scratch(before: readonly string[]): Promise<{ cwd: string; demo: string }> {
    const cwd = await tempDir('bw-quick-start-');
    for (const dir of ['bin', 'examples']) symlinkSync(join(REPO, dir), join(cwd, dir));
    const demo = join(cwd, '.tmp/demo');
    for (const host of HOSTS) {
      for (const id of before) mkdirSync(join(demo, 'hosts', host, 'releases', id), { recursive: true });
    }
    return { cwd, demo };
  }

  it('has exactly two commands: a release and the tests', () => {
    expect(lines).toEqual([expect.stringMatching(/^npm ci && /), 'npm test']);
  });

  it('the release command works as written and leaves three live hosts', async () => {
    const { cwd, demo } = await scratch([]);
    const r = spawnSync('bash', ['-c', release], { cwd, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Release success');
    for (const host of HOSTS) {
      const current = join(demo, 'hosts', host, 'current');
      expect(readlinkSync(current)).toMatch(/^releases\//);
      expect(existsSync(join(current, 'index.html'))).toBe(true);
    }
  });

  // Earlier runs are stood in for by release directories with older ids (ids are timestamps, and
  // sort by age), rather than by waiting for the clock between real runs.
  it.each([
    ['third', [], ['20000101T000000Z', '20000102T000000Z']],
    ['fourth', ['20000101T000000Z'], ['20000101T000000Z', '20000102T000000Z', '20000103T000000Z']],
  ])('the %s run prunes %j, as the README says', async (_nth, pruned, before) => {
    expect(readme).toContain('the fourth run prunes the oldest');
    const { cwd, demo } = await scratch(before);
    const r = spawnSync('bash', ['-c', release], { cwd, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    const id = /release (\d{8}T\d{6}Z)/.exec(r.stdout)?.[1];
    for (const host of HOSTS) {
      const left = readdirSync(join(demo, 'hosts', host, 'releases')).sort();
      expect(left).toEqual([...before.filter((b) => !pruned.includes(b)), id]);
      for (const old of pruned) expect(r.stdout).toMatch(new RegExp(`^${host} +│ pruned ${old}$`, 'm'));
    }
    if (pruned.length === 0) expect(r.stdout).not.toContain('│ pruned');
  });
});
