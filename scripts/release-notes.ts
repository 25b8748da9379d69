/**
 * Prints one version's section of CHANGELOG.md (without its heading): the notes of its GitHub
 * release. `node .tmp/scripts-build/scripts/release-notes.js 1.2.0`; exit 1 when it has none.
 */
import { readFileSync } from 'node:fs';
import { versionNotes } from './release/changelog.js';

const version = (process.argv[2] ?? '').replace(/^v/, '');
const notes = version ? versionNotes(readFileSync('CHANGELOG.md', 'utf8'), version) : undefined;
if (notes === undefined) {
  console.error(
    `CHANGELOG.md has no notes for "${version}" (a "## [${version}] - DATE" section with entries)`,
  );
  process.exitCode = 1;
} else {
  process.stdout.write(notes);
}
