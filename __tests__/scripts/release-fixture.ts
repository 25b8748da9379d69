/**
 * A tiny project to run the release script in: package.json and its lock at 1.1.0, src/index.js,
 * a real (tiny) `npm run package` that bundles it into dist/, lint and test scripts that record
 * that they ran (outside the tree) and fail on demand, a CHANGELOG with Unreleased entries, and
 * tags v1.1.0, v1 and v1.1 on its first commit. Tests work in clones of it, as a maintainer would.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../support/cli.js';

export const RELEASE_SCRIPT = join(REPO, '.tmp/scripts-build/scripts/release.js');
export const NOTES_SCRIPT = join(REPO, '.tmp/scripts-build/scripts/release-notes.js');

/** Compiles the scripts (what `npm run release` does first). */
export function buildScripts(): void {
  execFileSync(
    process.execPath,
    [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.scripts.json'],
    {
      cwd: REPO,
      stdio: 'pipe',
    },
  );
}

export const FIXTURE_CHANGELOG = `# Changelog

All notable changes to this project are documented here.

## [Unreleased]

### Added

- A greeting.

### Fixed

- The farewell.

## [1.1.0] - 2026-01-01

### Added

- The first thing.
`;

const PACKAGE = {
  name: 'fixture',
  version: '1.1.0',
  private: true,
  type: 'module',
  scripts: {
    package: 'node build.mjs',
    lint: 'node record.mjs lint',
    test: 'node record.mjs test',
  },
};

const LOCK = {
  name: 'fixture',
  version: '1.1.0',
  lockfileVersion: 3,
  requires: true,
  packages: { '': { name: 'fixture', version: '1.1.0' } },
};

const BUILD = `import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
mkdirSync('dist', { recursive: true });
writeFileSync('dist/index.js', '// bundled\\n' + readFileSync('src/index.js', 'utf8'));
`;

// Appends its name to $RELEASE_TEST_RECORD; exits 1 when $RELEASE_TEST_FAIL names it.
const RECORD = `import { appendFileSync } from 'node:fs';
const what = process.argv[2];
if (process.env.RELEASE_TEST_RECORD) appendFileSync(process.env.RELEASE_TEST_RECORD, what + '\\n');
if (process.env.RELEASE_TEST_FAIL === what) { console.error(what + ' failed on purpose'); process.exit(1); }
`;

export interface Sandbox {
  dir: string;
  /** The fixture repository the clones come from. */
  origin: string;
  /** Environment for git and the scripts: no user or system git config, a fixed identity. */
  env: NodeJS.ProcessEnv;
}

export function git(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: 'pipe' }).trim();
}

export function makeSandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'bw-release-'));
  const gitconfig = join(dir, 'gitconfig');
  writeFileSync(
    gitconfig,
    '[user]\n\tname = Release Test\n\temail = release@example.com\n[init]\n\tdefaultBranch = main\n',
  );
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_CONFIG_GLOBAL: gitconfig, GIT_CONFIG_NOSYSTEM: '1' };
  delete env.RELEASE_TEST_RECORD;
  delete env.RELEASE_TEST_FAIL;
  const origin = join(dir, 'origin');
  mkdirSync(join(origin, 'src'), { recursive: true });
  const files: Record<string, string> = {
    'package.json': `${JSON.stringify(PACKAGE, null, 2)}\n`,
    'package-lock.json': `${JSON.stringify(LOCK, null, 2)}\n`,
    'build.mjs': BUILD,
    'record.mjs': RECORD,
    'src/index.js': "export const hello = 'hello';\n",
    'CHANGELOG.md': FIXTURE_CHANGELOG,
  };
  for (const [file, text] of Object.entries(files)) writeFileSync(join(origin, file), text);
  git(origin, env, 'init', '--quiet');
  execFileSync('node', ['build.mjs'], { cwd: origin });
  git(origin, env, 'add', '.');
  git(origin, env, 'commit', '--quiet', '-m', 'Fixture 1.1.0');
  for (const tag of ['v1.1.0', 'v1', 'v1.1']) git(origin, env, 'tag', '-a', tag, '-m', tag);
  return { dir, origin, env };
}

let clones = 0;

/** A fresh clone of the fixture (branch main tracking origin/main, the tags fetched). */
export function cloneFixture(sandbox: Sandbox): string {
  const clone = join(sandbox.dir, `clone-${++clones}`);
  git(sandbox.dir, sandbox.env, 'clone', '--quiet', sandbox.origin, clone);
  return clone;
}

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runScript(script: string, cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): ScriptRun {
  const run = spawnSync(process.execPath, [script, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** What a refusal must leave alone: HEAD, every tag and where it points, the status. */
export function repoState(cwd: string, env: NodeJS.ProcessEnv): string {
  return [
    git(cwd, env, 'rev-parse', 'HEAD'),
    git(cwd, env, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/tags'),
    git(cwd, env, 'status', '--porcelain', '--untracked-files=all'),
  ].join('\n---\n');
}
