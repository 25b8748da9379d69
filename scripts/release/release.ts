/**
 * `npm run release -- X.Y.Z [--no-test]`: checks that the tree can be released, then bumps the
 * version, moves the CHANGELOG's Unreleased entries under the version, commits, tags vX.Y.Z and
 * moves vX and vX.Y to it. It never pushes: it prints the commands that publish the release.
 * Every check runs before the first change, so a refusal leaves the repository as it was.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { changelogVersions, releaseUnreleased } from './changelog.js';
import { Refusal, Shell, UsageError } from './shell.js';
import { compareVersions, formatVersion, parseVersion, releaseTags, type Version } from './version.js';

export const USAGE = 'usage: npm run release -- X.Y.Z [--no-test]';

export interface ReleaseOptions {
  version: Version;
  /** Skip `npm run lint` and `npm test`. */
  noTest: boolean;
}

/** The options in `argv` (the arguments after the script's name); a Refusal saying what is wrong. */
export function parseArguments(argv: string[]): ReleaseOptions {
  const flags = argv.filter((a) => a.startsWith('-'));
  const positional = argv.filter((a) => !a.startsWith('-'));
  const unknown = flags.filter((f) => f !== '--no-test');
  if (unknown.length > 0) throw new UsageError(`unknown option ${unknown[0]}\n${USAGE}`);
  if (positional.length !== 1) throw new UsageError(`give exactly one version\n${USAGE}`);
  const text = positional[0]!.replace(/^v(?=\d)/, '');
  const version = parseVersion(text);
  if (!version) {
    throw new UsageError(
      `"${positional[0]}" is not a version: write MAJOR.MINOR.PATCH, such as 1.2.0\n${USAGE}`,
    );
  }
  return { version, noTest: flags.includes('--no-test') };
}

function readJson(path: string): { version?: unknown; packages?: Record<string, { version?: unknown }> } {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Every version released so far: package.json's, the CHANGELOG's and the vX.Y.Z tags'. */
function currentVersions(shell: Shell, changelog: string): { version: Version; where: string }[] {
  const pkgVersion = readJson(join(shell.cwd, 'package.json')).version;
  const found: { text: string; where: string }[] = [
    { text: String(pkgVersion), where: 'package.json' },
    ...changelogVersions(changelog).map((text) => ({ text, where: 'CHANGELOG.md' })),
    ...shell
      .git('tag', '--list', 'v*.*.*')
      .split('\n')
      .map((tag) => ({ text: tag.slice(1), where: `tag ${tag}` })),
  ];
  return found.flatMap(({ text, where }) => {
    const version = parseVersion(text);
    return version ? [{ version, where }] : [];
  });
}

/** Refuses a version that is not greater than every one released so far, or whose tag exists. */
function checkNewer(shell: Shell, version: Version, changelog: string): void {
  for (const current of currentVersions(shell, changelog)) {
    if (compareVersions(version, current.version) <= 0) {
      throw new Refusal(
        `${formatVersion(version)} is not greater than ${formatVersion(current.version)} (${current.where})`,
      );
    }
  }
  const tag = releaseTags(version).exact;
  if (shell.gitOk('rev-parse', '--verify', '--quiet', `refs/tags/${tag}`)) {
    throw new Refusal(`tag ${tag} already exists`);
  }
}

function checkClean(shell: Shell): void {
  const changes = shell.changes();
  if (changes.length > 0) {
    throw new Refusal(`the working tree is not clean; commit or stash first:\n${changes.join('\n')}`);
  }
  if (!shell.gitOk('symbolic-ref', '--quiet', 'HEAD')) {
    throw new Refusal('HEAD is detached: check out the branch to release from');
  }
}

/**
 * `npm run package` into the tree, then `git status`: dist/ must come out as committed. A stale
 * dist/ is put back as it was (it is generated; the committed one is in git) before refusing.
 */
function checkDist(shell: Shell): void {
  shell.npmRun('package', 'dist/ could not be rebuilt');
  const changed = shell.changes();
  if (changed.length === 0) return;
  shell.git('checkout', '--', 'dist');
  shell.git('clean', '-fdq', '--', 'dist');
  throw new Refusal(
    `dist/ does not match the sources: a fresh "npm run package" changed\n${changed.join('\n')}\n` +
      'Run "npm run package", commit dist/, and release again.',
  );
}

/** Sets `version` in package.json and, when there is one, package-lock.json (npm's 2-space layout). */
function setVersion(cwd: string, version: string): string[] {
  const write = (file: string, edit: (json: ReturnType<typeof readJson>) => void): void => {
    const json = readJson(join(cwd, file));
    edit(json);
    writeFileSync(join(cwd, file), `${JSON.stringify(json, null, 2)}\n`);
  };
  write('package.json', (pkg) => (pkg.version = version));
  if (!existsSync(join(cwd, 'package-lock.json'))) return ['package.json'];
  write('package-lock.json', (lock) => {
    lock.version = version;
    if (lock.packages?.['']) lock.packages[''].version = version;
  });
  return ['package.json', 'package-lock.json'];
}

/** Today in UTC, as Keep a Changelog dates a release. */
export function today(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** The commands that publish what the release made, in order: branch, exact tag, moving tags. */
export function pushCommands(shell: Shell, tags: { exact: string; moving: string[] }): string[] {
  const branch = shell.git('symbolic-ref', '--short', 'HEAD');
  const upstream = shell.gitOk('rev-parse', '--abbrev-ref', `${branch}@{upstream}`)
    ? shell.git('rev-parse', '--abbrev-ref', `${branch}@{upstream}`)
    : `origin/${branch}`;
  const remote = upstream.slice(0, upstream.indexOf('/'));
  const remoteBranch = upstream.slice(upstream.indexOf('/') + 1);
  return [
    `git push ${remote} ${branch}:${remoteBranch}`,
    `git push ${remote} refs/tags/${tags.exact}`,
    `git push --force ${remote} ${tags.moving.map((t) => `refs/tags/${t}`).join(' ')}`,
  ];
}

/** Runs the release in `cwd` (the repository's top directory); throws a Refusal before any change. */
export function release(cwd: string, options: ReleaseOptions, log: (line: string) => void): string[] {
  const shell = new Shell(cwd);
  const version = formatVersion(options.version);
  const tags = releaseTags(options.version);
  checkClean(shell);
  const changelogPath = join(cwd, 'CHANGELOG.md');
  if (!existsSync(changelogPath)) throw new Refusal('there is no CHANGELOG.md');
  const changelog = readFileSync(changelogPath, 'utf8');
  checkNewer(shell, options.version, changelog);
  let newChangelog: string;
  try {
    newChangelog = releaseUnreleased(changelog, version, today());
  } catch (e) {
    throw new Refusal((e as Error).message);
  }
  log(`release ${tags.exact}: checking that dist/ is the bundle of the sources`);
  checkDist(shell);
  if (options.noTest) log('--no-test: lint and tests skipped');
  else {
    shell.npmRun('lint', 'fix what it reports, commit, and release again');
    shell.npmRun('test', 'fix the tests, commit, and release again');
  }
  log(`committing and tagging ${tags.exact}`);
  const files = setVersion(cwd, version);
  writeFileSync(changelogPath, newChangelog);
  shell.git('add', '--', ...files, 'CHANGELOG.md');
  shell.git('commit', '--quiet', '-m', `Release ${tags.exact}`);
  shell.git('tag', '--annotate', tags.exact, '-m', `Release ${tags.exact}`);
  for (const tag of tags.moving)
    shell.git('tag', '--force', '--annotate', tag, '-m', `${tag}: ${tags.exact}`);
  return pushCommands(shell, tags);
}
