/** Entry of `npm run release -- X.Y.Z [--no-test]` (see scripts/release/release.ts). */
import { parseArguments, release } from './release/release.js';
import { Refusal, Shell, UsageError } from './release/shell.js';
import { formatVersion } from './release/version.js';

function main(argv: string[]): number {
  let committing = false;
  try {
    const options = parseArguments(argv);
    let top: string;
    try {
      top = new Shell(process.cwd()).git('rev-parse', '--show-toplevel');
    } catch {
      throw new Refusal(`${process.cwd()} is not in a git repository`);
    }
    const commands = release(top, options, (line) => {
      if (line.startsWith('committing')) committing = true;
      console.log(line);
    });
    const version = formatVersion(options.version);
    console.log(`\nReleased ${version} locally: a commit and its tags, nothing pushed. To publish it:\n`);
    for (const command of commands) console.log(`  ${command}`);
    console.log(`\nPushing the tag v${version} starts the release workflow (GitHub release, provenance).`);
    return 0;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof Refusal) {
      console.error(`release refused: ${message}\nNothing was committed or tagged.`);
      return e instanceof UsageError ? 2 : 1;
    }
    const state = committing
      ? 'It stopped while committing and tagging: check "git status", "git log -1" and "git tag".'
      : 'Nothing was committed or tagged.';
    console.error(`release failed: ${message}\n${state}`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
