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
