/**
 * CHANGELOG.md in the Keep a Changelog layout: a `## [Unreleased]` section on top, then one
 * `## [X.Y.Z] - YYYY-MM-DD` section per version, newest first. Pure text in, text out.
 */

export const UNRELEASED_HEADING = '## [Unreleased]';

interface Section {
  /** Index of the heading line. */
  start: number;
  /** Index of the next `## ` heading or link-reference block, or the line count. */
  end: number;
}

const VERSION_HEADING = /^## \[(\d+\.\d+\.\d+)\]/;

function sectionAt(lines: string[], start: number): Section {
  let end = start + 1;
  while (end < lines.length && !lines[end]!.startsWith('## ') && !/^\[[^\]]+\]: /.test(lines[end]!)) end++;
  return { start, end };
}

function findSection(lines: string[], matches: (line: string) => boolean): Section | undefined {
  const start = lines.findIndex(matches);
  return start === -1 ? undefined : sectionAt(lines, start);
}

/** The body of a section with its blank edges trimmed. */
function body(lines: string[], s: Section): string[] {
  const inner = lines.slice(s.start + 1, s.end);
  while (inner.length > 0 && inner[0]!.trim() === '') inner.shift();
  while (inner.length > 0 && inner[inner.length - 1]!.trim() === '') inner.pop();
  return inner;
}

/** Every version that has a section, in file order (newest first). */
export function changelogVersions(text: string): string[] {
  return text.split('\n').flatMap((line) => VERSION_HEADING.exec(line)?.[1] ?? []);
}

/** The notes of one version (its section without the heading), or undefined when it has none. */
export function versionNotes(text: string, version: string): string | undefined {
  const lines = text.split('\n');
  const section = findSection(lines, (l) => l.startsWith(`## [${version}]`));
  if (!section) return undefined;
  const notes = body(lines, section);
  return notes.length === 0 ? undefined : `${notes.join('\n')}\n`;
}

/**
 * Moves the entries under `## [Unreleased]` into a new `## [version] - date` section just below
 * it, leaving `## [Unreleased]` empty. Throws (with a message for the person releasing) when there
 * is no Unreleased section, it has no entries, or the version already has a section.
 */
export function releaseUnreleased(text: string, version: string, date: string): string {
  const lines = text.split('\n');
  const unreleased = findSection(lines, (l) => l.trim() === UNRELEASED_HEADING);
  if (!unreleased) throw new Error(`CHANGELOG.md has no "${UNRELEASED_HEADING}" section`);
  if (changelogVersions(text).includes(version)) {
    throw new Error(`CHANGELOG.md already has a section for ${version}`);
  }
  const entries = body(lines, unreleased);
  if (!entries.some((l) => /^\s*[-*] \S/.test(l))) {
    throw new Error(
      `CHANGELOG.md: "${UNRELEASED_HEADING}" has no entries ("- …" lines): write down what changed first`,
    );
  }
  const released = [UNRELEASED_HEADING, '', `## [${version}] - ${date}`, '', ...entries, ''];
  return [...lines.slice(0, unreleased.start), ...released, ...lines.slice(unreleased.end)].join('\n');
}
