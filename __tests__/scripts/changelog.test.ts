import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../support/cli.js';
import { changelogVersions, releaseUnreleased, versionNotes } from '../../scripts/release/changelog.js';
import { compareVersions, parseVersion, releaseTags } from '../../scripts/release/version.js';

const withLinks = `# Changelog

## [Unreleased]

- New.

## [0.2.0] - 2026-11-29

- Two.

## [0.1.0] - 2026-11-28

- One.

[Unreleased]: https://example.com/compare/v0.2.0...HEAD
[0.2.0]: https://example.com/compare/v0.1.0...v0.2.0
`;

describe('CHANGELOG.md (Keep a Changelog)', () => {
  it('a release goes between Unreleased and the newest version; link references stay at the end', () => {
    const out = releaseUnreleased(withLinks, '0.3.0', '2026-12-06');
    expect(out).toContain(
      '## [Unreleased]\n\n## [0.3.0] - 2026-12-06\n\n- New.\n\n## [0.2.0] - 2026-11-29\n',
    );
    expect(
      out.endsWith(
        '- One.\n\n[Unreleased]: https://example.com/compare/v0.2.0...HEAD\n[0.2.0]: https://example.com/compare/v0.1.0...v0.2.0\n',
      ),
    ).toBe(true);
    expect(changelogVersions(out)).toEqual(['0.3.0', '0.2.0', '0.1.0']);
  });

  it('the notes of a version stop at the next heading or at the link references', () => {
    expect(versionNotes(withLinks, '0.2.0')).toBe('- Two.\n');
    expect(versionNotes(withLinks, '0.1.0')).toBe('- One.\n');
    expect(versionNotes(withLinks, '0.1')).toBeUndefined();
    expect(versionNotes(withLinks, '9.0.0')).toBeUndefined();
  });

  it('refuses a missing Unreleased section or a version it already has', () => {
    expect(() => releaseUnreleased('# Changelog\n', '1.0.0', 'd')).toThrow('no "## [Unreleased]" section');
    expect(() => releaseUnreleased(withLinks, '0.2.0', 'd')).toThrow('already has a section for 0.2.0');
  });
});

describe('versions', () => {
  it('only MAJOR.MINOR.PATCH, compared numerically', () => {
    expect(['1', '1.2', '1.2.3.4', 'v1.2.3', '1.02.3', '1.2.3-rc.1', ' 1.2.3'].map(parseVersion)).toEqual(
      Array(7).fill(undefined),
    );
    const v = (s: string) => parseVersion(s)!;
    expect(compareVersions(v('1.10.0'), v('1.9.9'))).toBeGreaterThan(0);
    expect(compareVersions(v('0.0.1'), v('0.0.1'))).toBe(0);
    expect(releaseTags(v('0.3.1'))).toEqual({ exact: 'v0.3.1', moving: ['v0', 'v0.3'] });
  });
});

describe("this repository's CHANGELOG.md and package.json", () => {
  const text = readFileSync(join(REPO, 'CHANGELOG.md'), 'utf8');
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));

  it('is in the shape npm run release needs: an Unreleased section, dated versions newest first, each with notes', () => {
    // Unreleased may be empty (right after a release); the release script refuses to release it then.
    expect(text).toMatch(/^## \[Unreleased\]$/m);
    const versions = changelogVersions(text);
    expect(versions.length).toBeGreaterThan(0);
    const parsed = versions.map((v) => parseVersion(v)!);
    parsed.slice(1).forEach((v, i) => expect(compareVersions(parsed[i]!, v)).toBeGreaterThan(0));
    for (const v of versions) {
      expect(text).toMatch(new RegExp(`^## \\[${v.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'));
      expect(versionNotes(text, v)).toMatch(/^### (Added|Changed|Deprecated|Removed|Fixed|Security)\n/);
    }
    expect(compareVersions(parseVersion(pkg.version)!, parsed[0]!)).toBeLessThanOrEqual(0);
  });

  it('npm run release compiles the scripts and runs the release entry with the arguments given', () => {
    expect(pkg.scripts.release).toBe(
      'tsc -p tsconfig.scripts.json && node .tmp/scripts-build/scripts/release.js',
    );
  });
});
