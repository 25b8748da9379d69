/**
 * `npm run release` in temporary clones of a tiny project (release-fixture.ts): what it refuses
 * (leaving the clone exactly as it was), and what a release makes: the version in package.json and
 * its lock, the CHANGELOG section, one commit, the annotated exact tag and the moved vX and vX.Y,
 * the push commands printed and nothing pushed.
 */
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildScripts,
  cloneFixture,
  git,
  makeSandbox,
  NOTES_SCRIPT,
  RELEASE_SCRIPT,
  repoState,
  runScript,
  type Sandbox,
} from './release-fixture.js';
import { today } from '../../scripts/release/release.js';

let sandbox: Sandbox;
beforeAll(() => {
  buildScripts();
  sandbox = makeSandbox();
}, 60_000);
afterAll(() => {
  if (sandbox) rmSync(sandbox.dir, { recursive: true, force: true });
});

const json = (clone: string, file: string) => JSON.parse(readFileSync(join(clone, file), 'utf8'));
const commitOf = (clone: string, ref: string) => git(clone, sandbox.env, 'rev-parse', `${ref}^{commit}`);
const release = (clone: string, ...args: string[]) => runScript(RELEASE_SCRIPT, clone, sandbox.env, ...args);

describe('npm run release: a release', () => {
  let clone: string;
  let before: string;
  let run: ReturnType<typeof release>;
  beforeAll(() => {
    clone = cloneFixture(sandbox);
    before = commitOf(clone, 'HEAD');
    run = release(clone, '1.2.0', '--no-test');
  }, 60_000);

  it('succeeds, says lint and tests were skipped, and leaves the tree clean', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--no-test: lint and tests skipped');
    expect(git(clone, sandbox.env, 'status', '--porcelain')).toBe('');
  });

  it('sets the version in package.json and package-lock.json', () => {
    expect(json(clone, 'package.json').version).toBe('1.2.0');
    const lock = json(clone, 'package-lock.json');
    expect([lock.version, lock.packages[''].version]).toEqual(['1.2.0', '1.2.0']);
  });

  it('moves the Unreleased entries under ## [1.2.0] - today, leaving Unreleased empty', () => {
    const changelog = readFileSync(join(clone, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toContain(
      `## [Unreleased]\n\n## [1.2.0] - ${today()}\n\n### Added\n\n- A greeting.\n\n### Fixed\n\n- The farewell.\n\n## [1.1.0] - 2026-01-01\n`,
    );
    const notes = runScript(NOTES_SCRIPT, clone, sandbox.env, '1.2.0');
    expect(notes).toEqual({
      code: 0,
      stdout: '### Added\n\n- A greeting.\n\n### Fixed\n\n- The farewell.\n',
      stderr: '',
    });
  });

  it('commits those three files, on top of the previous HEAD', () => {
    expect(git(clone, sandbox.env, 'log', '-1', '--format=%s')).toBe('Release v1.2.0');
    expect(commitOf(clone, 'HEAD~1')).toBe(before);
    const files = git(clone, sandbox.env, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort();
    expect(files).toEqual(['CHANGELOG.md', 'package-lock.json', 'package.json']);
  });

  it('tags v1.2.0 (annotated) and moves v1 and v1.2 to it; v1.1 stays where it was', () => {
    const head = commitOf(clone, 'HEAD');
    expect(git(clone, sandbox.env, 'cat-file', '-t', 'v1.2.0')).toBe('tag');
    expect(['v1.2.0', 'v1', 'v1.2'].map((t) => commitOf(clone, t))).toEqual([head, head, head]);
    expect(commitOf(clone, 'v1.1')).toBe(before);
    expect(commitOf(clone, 'v1.1.0')).toBe(before);
  });

  it('prints the exact push commands and pushes nothing', () => {
    expect(run.stdout).toContain(
      [
        '  git push origin main:main',
        '  git push origin refs/tags/v1.2.0',
        '  git push --force origin refs/tags/v1 refs/tags/v1.2',
      ].join('\n'),
    );
    expect(git(sandbox.origin, sandbox.env, 'tag', '--list').split('\n').sort()).toEqual([
      'v1',
      'v1.1',
      'v1.1.0',
    ]);
    expect(commitOf(sandbox.origin, 'main')).toBe(before);
  });

  it('the next release must be greater still', () => {
    const again = release(clone, '1.2.0', '--no-test');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('1.2.0 is not greater than 1.2.0 (package.json)');
  });
});

describe('npm run release: refusals leave the clone as it was', () => {
  const refused = (
    prepare: (clone: string) => void,
    args: string[],
    code: number,
    message: string | RegExp,
  ): { stdout: string } => {
    const clone = cloneFixture(sandbox);
    prepare(clone);
    const state = repoState(clone, sandbox.env);
    const run = release(clone, ...args);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('Nothing was committed or tagged.');
    expect(run.code).toBe(code);
    expect(repoState(clone, sandbox.env)).toBe(state);
    return run;
  };
  const none = (): void => {};

  it.each([['1.2'], ['1.2.0-rc.1'], ['01.2.0'], ['x.y.z'], ['']])('a malformed version %j (exit 2)', (v) => {
    refused(none, [v, '--no-test'], 2, /is not a version|give exactly one version/);
  });

  it('no version, two versions, an unknown option (exit 2)', () => {
    refused(none, ['--no-test'], 2, 'give exactly one version');
    refused(none, ['1.2.0', '1.3.0'], 2, 'give exactly one version');
    refused(none, ['1.2.0', '--no-tests'], 2, 'unknown option --no-tests');
  });

  it.each([
    ['1.1.0', 'package.json'],
    ['1.0.9', 'package.json'],
  ])('a version not greater than the current one: %s', (v, where) => {
    refused(none, [v, '--no-test'], 1, `${v} is not greater than 1.1.0 (${where})`);
  });

  it('a version not greater than an existing tag or CHANGELOG section', () => {
    const tagged = (clone: string): void => void git(clone, sandbox.env, 'tag', 'v1.4.0');
    refused(tagged, ['1.3.0', '--no-test'], 1, '1.3.0 is not greater than 1.4.0 (tag v1.4.0)');
    const inChangelog = (clone: string): void => {
      appendFileSync(join(clone, 'CHANGELOG.md'), '\n## [1.5.0] - 2026-02-01\n\n- Later.\n');
      git(clone, sandbox.env, 'commit', '--quiet', '-am', 'a 1.5.0 section');
    };
    refused(inChangelog, ['1.3.0', '--no-test'], 1, '1.3.0 is not greater than 1.5.0 (CHANGELOG.md)');
  });

  it('a dirty tree: a changed file, an untracked file', () => {
    const changed = (clone: string): void => appendFileSync(join(clone, 'src/index.js'), '// wip\n');
    refused(changed, ['1.2.0', '--no-test'], 1, /the working tree is not clean.*\n M src\/index\.js/);
    const untracked = (clone: string): void => writeFileSync(join(clone, 'notes.txt'), 'x\n');
    refused(untracked, ['1.2.0', '--no-test'], 1, /the working tree is not clean.*\n\?\? notes\.txt/);
  });

  it('a stale dist/: committed sources that were not rebuilt (dist/ put back as committed)', () => {
    const stale = (clone: string): void => {
      appendFileSync(join(clone, 'src/index.js'), "export const bye = 'bye';\n");
      git(clone, sandbox.env, 'commit', '--quiet', '-am', 'bye, without npm run package');
    };
    refused(stale, ['1.2.0', '--no-test'], 1, /dist\/ does not match the sources.*\n M dist\/index\.js/);
  });

  it('an empty Unreleased section', () => {
    const empty = (clone: string): void => {
      const text = readFileSync(join(clone, 'CHANGELOG.md'), 'utf8');
      writeFileSync(
        join(clone, 'CHANGELOG.md'),
        text.replace(/## \[Unreleased\][\s\S]*?(?=## \[1\.1\.0\])/, '## [Unreleased]\n\n'),
      );
      git(clone, sandbox.env, 'commit', '--quiet', '-am', 'nothing unreleased');
    };
    refused(empty, ['1.2.0', '--no-test'], 1, '"## [Unreleased]" has no entries');
  });
});

describe('npm run release: lint and tests', () => {
  const record = (): string => join(sandbox.dir, `ran-${Date.now()}-${Math.random()}`);

  it('runs npm run lint and npm test without --no-test, then releases', () => {
    const clone = cloneFixture(sandbox);
    const ran = record();
    const run = runScript(RELEASE_SCRIPT, clone, { ...sandbox.env, RELEASE_TEST_RECORD: ran }, '1.2.0');
    expect(run.code).toBe(0);
    expect(readFileSync(ran, 'utf8')).toBe('lint\ntest\n');
    expect(commitOf(clone, 'v1.2.0')).toBe(commitOf(clone, 'HEAD'));
  });

  it('refuses, tagging nothing, when the tests fail', () => {
    const clone = cloneFixture(sandbox);
    const state = repoState(clone, sandbox.env);
    const env = { ...sandbox.env, RELEASE_TEST_RECORD: record(), RELEASE_TEST_FAIL: 'test' };
    const run = runScript(RELEASE_SCRIPT, clone, env, '1.2.0');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('npm run test failed (exit 1)');
    expect(repoState(clone, sandbox.env)).toBe(state);
  });

  it('--no-test runs neither', () => {
    const clone = cloneFixture(sandbox);
    const ran = record();
    const run = runScript(
      RELEASE_SCRIPT,
      clone,
      { ...sandbox.env, RELEASE_TEST_RECORD: ran },
      '2.0.0',
      '--no-test',
    );
    expect(run.code).toBe(0);
    expect(() => readFileSync(ran, 'utf8')).toThrow();
    expect(['v2', 'v2.0'].map((t) => commitOf(clone, t))).toEqual([
      commitOf(clone, 'HEAD'),
      commitOf(clone, 'HEAD'),
    ]);
    expect(commitOf(clone, 'v1')).toBe(commitOf(clone, 'v1.1.0'));
  });
});

describe('release notes', () => {
  it('exit 1 and a message for a version with no section', () => {
    const clone = cloneFixture(sandbox);
    const run = runScript(NOTES_SCRIPT, clone, sandbox.env, '9.9.9');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('CHANGELOG.md has no notes for "9.9.9"');
  });
});
