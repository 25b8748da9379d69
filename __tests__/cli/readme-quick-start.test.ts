import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../support/cli.js';

// The README's front door: its quick-start release command, run exactly as written (minus `npm ci`,
// which the test run has already done).
describe('README quick start', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const block = /## Quick start[^\n]*\n+```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const lines = block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);

  it('has exactly two commands: a release and the tests', () => {
    expect(lines).toEqual([expect.stringMatching(/^npm ci && /), 'npm test']);
  });

  it('the release command works as written and leaves three live hosts', () => {
    const release = lines[0]!.replace(/^npm ci && /, '');
    const demo = join(REPO, '.tmp/demo');
    rmSync(demo, { recursive: true, force: true });
    const r = spawnSync('bash', ['-c', release], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Release success');
    for (const host of ['local:a', 'local:b', 'local:c']) {
      const current = join(demo, 'hosts', host, 'current');
      expect(readlinkSync(current)).toMatch(/^releases\//);
      expect(existsSync(join(current, 'index.html'))).toBe(true);
    }
  });
});
