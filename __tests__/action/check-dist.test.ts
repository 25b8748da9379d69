/**
 * `dist/` is what `uses:` runs, so it must be exactly what `npm run package` makes from the
 * sources. The package is rebuilt in a scratch copy of the project (never over the committed
 * `dist/`) and compared file by file.
 *
 * ncc names modules by their path relative to the working directory, ncc's own loaders included,
 * so the scratch copy mirrors the project's layout and has a `node_modules` directory of its own
 * (a symlink to the project's would be resolved to the real path, and the module ids would
 * change): hard links to the project's files where the file system allows, a copy otherwise. A
 * package that writes next to its own files while it runs is always copied, or the write would
 * land in the project's `node_modules` through the link: ncc rewrites its V8 code caches
 * (`dist/ncc/*.cache`) on every run. The test fails if anything was written through a link.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../support/cli.js';

/** Packages that write into their own directory when they run (copied, never linked). */
const WRITE_INTO_THEMSELVES = ['@vercel/ncc'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

/** `node_modules` for the scratch copy: hard links, a copy where linking fails or a package writes into itself. */
function populateNodeModules(scratch: string): void {
  const from = join(REPO, 'node_modules');
  const to = join(scratch, 'node_modules');
  const copy = (src: string, dest: string): void =>
    cpSync(src, dest, { recursive: true, verbatimSymlinks: true });
  try {
    execFileSync('cp', ['-al', from, to], { stdio: 'pipe' });
  } catch {
    // Another file system, or files we may not link to (fs.protected_hardlinks): copy it all.
    rmSync(to, { recursive: true, force: true });
    copy(from, to);
    return;
  }
  for (const pkg of WRITE_INTO_THEMSELVES) {
    rmSync(join(to, pkg), { recursive: true });
    copy(join(from, pkg), join(to, pkg));
  }
}

/** Files under `dir` that share their inode (a hard link into the project) and changed since `since`. */
function writtenThroughLinks(dir: string, since: number): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => {
    const st = lstatSync(join(dir, f));
    return st.isFile() && st.nlink > 1 && st.mtimeMs >= since;
  });
}

/** The `ncc build …` part of the `package` script, as arguments. */
function nccArguments(): string[] {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const command = (pkg.scripts.package ?? '')
    .split('&&')
    .map((c) => c.trim())
    .find((c) => c.startsWith('ncc '));
  if (!command) throw new Error('package.json: the "package" script has no "ncc build" step');
  const args = command.split(/\s+/).slice(1);
  expect(args.slice(args.indexOf('-o'), args.indexOf('-o') + 2)).toEqual(['-o', 'dist']);
  return args;
}

function firstDifference(a: string, b: string): string {
  const [la, lb] = [a.split('\n'), b.split('\n')];
  const i = la.findIndex((line, n) => line !== lb[n]);
  const at = i === -1 ? Math.min(la.length, lb.length) : i;
  return `line ${at + 1}: committed ${JSON.stringify((la[at] ?? '').slice(0, 120))}, fresh ${JSON.stringify((lb[at] ?? '').slice(0, 120))}`;
}

describe('dist/', () => {
  let scratch = '';
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('is what `npm run package` builds from the current sources (run it and commit dist/ if not)', () => {
    scratch = mkdtempSync(join(tmpdir(), 'bw-check-dist-'));
    for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src']) {
      cpSync(join(REPO, entry), join(scratch, entry), { recursive: true });
    }
    populateNodeModules(scratch);
    // mtime has at least 1 s granularity on some file systems: a margin rather than a miss.
    const before = Date.now() - 1000;
    const run = (script: string, args: string[]): void => {
      execFileSync(process.execPath, [join(scratch, 'node_modules', script), ...args], {
        cwd: scratch,
        stdio: 'pipe',
        timeout: 240_000,
      });
    };
    run('typescript/bin/tsc', ['-p', 'tsconfig.build.json']);
    run('@vercel/ncc/dist/ncc/cli.js', [...nccArguments(), '-q']);
    // Nothing the build wrote may have gone through a hard link into the project's node_modules.
    expect(writtenThroughLinks(join(scratch, 'node_modules'), before)).toEqual([]);

    const committed = join(REPO, 'dist');
    const fresh = join(scratch, 'dist');
    expect(filesUnder(committed)).toEqual(filesUnder(fresh));
    const stale = filesUnder(fresh).flatMap((file) => {
      const [a, b] = [readFileSync(join(committed, file)), readFileSync(join(fresh, file))];
      if (a.equals(b)) return [];
      return [`dist/${file}: ${firstDifference(a.toString('utf8'), b.toString('utf8'))}`];
    });
    expect(stale).toEqual([]);
  }, 300_000);
});
