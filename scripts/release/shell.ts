import { execFileSync, spawnSync } from 'node:child_process';

/** A refusal: the release stops, and nothing was committed or tagged. */
export class Refusal extends Error {
  override name = 'Refusal';
}

/** A refusal because the command line is wrong (exit code 2). */
export class UsageError extends Refusal {
  override name = 'UsageError';
}

/** Runs commands in one directory: git quietly (its output returned), npm scripts in the open. */
export class Shell {
  constructor(readonly cwd: string) {}

  /** `git …`, stdout trimmed; throws with git's own message when it fails. */
  git(...args: string[]): string {
    try {
      return execFileSync('git', args, { cwd: this.cwd, encoding: 'utf8', stdio: 'pipe' }).trimEnd();
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`git ${args.join(' ')}: ${(err.stderr ?? '').trim() || err.message}`);
    }
  }

  /** True when `git …` succeeds (for questions such as "does this tag exist?"). */
  gitOk(...args: string[]): boolean {
    return spawnSync('git', args, { cwd: this.cwd, stdio: 'ignore' }).status === 0;
  }

  /** `npm run <script>` with its output shown; refuses with `why` when it fails. */
  npmRun(script: string, why: string): void {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const run = spawnSync(npm, ['run', script], { cwd: this.cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    if (run.status !== 0) {
      throw new Refusal(`npm run ${script} failed (${run.error?.message ?? `exit ${run.status}`}): ${why}`);
    }
  }

  /** Tracked or untracked changes (`git status --porcelain` lines), optionally under some paths. */
  changes(...paths: string[]): string[] {
    const out = this.git('status', '--porcelain', '--untracked-files=all', '--', ...paths);
    return out === '' ? [] : out.split('\n');
  }
}
