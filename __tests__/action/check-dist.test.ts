/**
 * `dist/` is what `uses:` runs, so it must be exactly what `npm run package` makes from the
 * sources. The package is rebuilt in a scratch copy of the project (never over the committed
 * `dist/`) and compared file by file.
 *
 * ncc names modules by their path relative to the working directory, ncc's own loaders included,
 * so the scratch copy mirrors the project's layout and has its own `node_modules` (hard links when
 * the file system allows, a copy otherwise): then the same sources give the same bytes.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../support/cli.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
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
    try {
      execFileSync('cp', ['-al', join(REPO, 'node_modules'), join(scratch, 'node_modules')], {
        stdio: 'pipe',
      });
    } catch {
      cpSync(join(REPO, 'node_modules'), join(scratch, 'node_modules'), {
        recursive: true,
        verbatimSymlinks: true,
      });
    }
    const run = (script: string, args: string[]): void => {
      execFileSync(process.execPath, [join(scratch, 'node_modules', script), ...args], {
        cwd: scratch,
        stdio: 'pipe',
        timeout: 240_000,
      });
    };
    run('typescript/bin/tsc', ['-p', 'tsconfig.build.json']);
    run('@vercel/ncc/dist/ncc/cli.js', [...nccArguments(), '-q']);

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
