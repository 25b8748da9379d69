/**
 * How the action is published and checked, read from the workflows themselves: the release
 * workflow's trigger, permissions and order of steps (and its tag check, run for real), CI's jobs
 * that run the action with `uses: ./` and check its outputs afterwards, and Dependabot.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { REPO, runCli, tempDir } from '../support/cli.js';
import { generateKey } from '../support/sshd-keys.js';
import { runAction } from './action-harness.js';
import { actionSteps, stepInputs } from './workflow-steps.js';

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, { tags?: string[]; branches?: string[] } | null>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflow = (file: string): Workflow => parse(readFileSync(join(REPO, file), 'utf8'));

/** GitHub's filter pattern for a tag: `*` is any run of characters but `/`. */
function tagMatches(pattern: string, tag: string): boolean {
  const re = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${re}$`).test(tag);
}

const indexOf = (steps: Step[], pred: (s: Step) => boolean): number => {
  const i = steps.findIndex(pred);
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
};

describe('release.yml', () => {
  const wf = workflow('.github/workflows/release.yml');
  const job = wf.jobs.release!;
  const steps = job.steps;

  it('runs on exact version tags only: vX.Y.Z, never the moving vX and vX.Y', () => {
    expect(Object.keys(wf.on)).toEqual(['push']);
    expect(wf.on.push).toEqual({ tags: ['v*.*.*'] });
    const matched = ['v1.2.3', 'v10.0.1', 'v1', 'v1.2', 'main'].filter((t) => tagMatches('v*.*.*', t));
    expect(matched).toEqual(['v1.2.3', 'v10.0.1']);
  });

  it('may write contents, id tokens and attestations, in its one job only', () => {
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(Object.keys(wf.jobs)).toEqual(['release']);
    expect(job.permissions).toEqual({ contents: 'write', 'id-token': 'write', attestations: 'write' });
  });

  it('checks out the tag, rebuilds and compares dist/, then attests dist/index.js, then releases', () => {
    expect(steps[0]!.uses).toMatch(/^actions\/checkout@v\d+$/);
    expect(steps[0]!.with?.ref).toBe('${{ github.ref }}');
    const build = indexOf(steps, (s) => s.run === 'npm run package');
    const compare = indexOf(steps, (s) => /git status --porcelain -- dist/.test(s.run ?? ''));
    const notes = indexOf(steps, (s) => /release-notes\.js "\$TAG"/.test(s.run ?? ''));
    const attest = indexOf(steps, (s) => /^actions\/attest-build-provenance@v\d+$/.test(s.uses ?? ''));
    const create = indexOf(steps, (s) => /^gh release create "\$TAG" /.test(s.run ?? ''));
    expect([build < compare, compare < notes, notes < attest, attest < create]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(steps[attest]!.with).toEqual({ 'subject-path': 'dist/index.js' });
    expect(steps[create]!.run).toContain('--verify-tag');
    expect(steps[create]!.run).toContain('--notes-file "$RUNNER_TEMP/notes.md"');
    expect(job.env?.TAG).toBe('${{ github.ref_name }}');
  });

  describe('its tag check (the step run in bash against a package.json)', () => {
    const check = steps.find((s) => /exact version/.test(s.name ?? ''))!;
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'bw-tag-check-'));
      writeFileSync(join(dir, 'package.json'), '{ "version": "1.2.3" }\n');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const run = (tag: string): { code: number | null; out: string } => {
      const r = spawnSync('bash', ['-e', '-c', check.run!], {
        cwd: dir,
        env: { ...process.env, TAG: tag },
        encoding: 'utf8',
      });
      return { code: r.status, out: r.stdout + r.stderr };
    };

    it('passes the tag of package.json’s version', () => {
      expect(run('v1.2.3')).toEqual({ code: 0, out: '' });
    });

    it.each(['v1', 'v1.2', 'v1.2.3-rc.1', 'v01.2.3', '1.2.3'])(
      'refuses %s: not vMAJOR.MINOR.PATCH',
      (tag) => {
        const r = run(tag);
        expect(r.code).toBe(1);
        expect(r.out).toContain(`::error title=not a release tag::${tag} is not vMAJOR.MINOR.PATCH`);
      },
    );

    it('refuses a version package.json does not have', () => {
      const r = run('v1.2.4');
      expect(r.code).toBe(1);
      expect(r.out).toContain('package.json says 1.2.3, the tag is v1.2.4');
    });
  });
});

describe('ci.yml runs the action itself (uses: ./) and checks its outputs afterwards', () => {
  const wf = workflow('.github/workflows/ci.yml');
  const actionJobs = Object.entries(wf.jobs).filter(([, job]) => job.steps.some((s) => s.uses === './'));

  it('in a job on local: hosts and a job against an sshd it starts', () => {
    expect(actionJobs.map(([name]) => name)).toEqual(['smoke', 'smoke-ssh']);
  });

  it.each(actionJobs)(
    '%s: after check-dist, a later step tests the result and failed-hosts outputs',
    (_name, job) => {
      expect(job.needs).toBe('check-dist');
      const release = indexOf(job.steps, (s) => s.uses === './' && s.id === 'release');
      const check = indexOf(job.steps, (s) => s.env?.RESULT === '${{ steps.release.outputs.result }}');
      expect(check).toBeGreaterThan(release);
      expect(job.steps[check]!.env?.FAILED).toBe('${{ steps.release.outputs.failed-hosts }}');
      expect(job.steps[check]!.run).toMatch(/^test "\$RESULT" = success$/m);
      expect(job.steps[check]!.run).toMatch(/^test "\$FAILED" = '\[\]'$/m);
      expect(existsSync(join(REPO, job.steps[release]!.with!.config!))).toBe(true);
    },
  );

  it('smoke-ssh: starts sshd before the release, on the config’s port, and passes its key and host key', () => {
    const steps = wf.jobs['smoke-ssh']!.steps;
    const start = indexOf(steps, (s) => s.id === 'sshd');
    const release = indexOf(steps, (s) => s.id === 'release');
    expect(start).toBeLessThan(release);
    const [, script, , port] = /^(\S+) ("\$RUNNER_TEMP\/sshd") (\d+)$/.exec(steps[start]!.run!) ?? [];
    expect(existsSync(join(REPO, script!))).toBe(true);
    const config = parse(readFileSync(join(REPO, steps[release]!.with!.config!), 'utf8'));
    expect(String(config.ssh.port)).toBe(port);
    expect(steps[release]!.with).toMatchObject({
      'ssh-private-key': '${{ steps.sshd.outputs.private-key }}',
      'ssh-known-hosts': '${{ steps.sshd.outputs.known-hosts }}',
    });
    expect(steps[steps.length - 1]).toMatchObject({
      if: 'always()',
      run: expect.stringContaining('sshd.pid'),
    });
  });

  it('the configs those jobs release with are valid', async () => {
    for (const [, job] of actionJobs) {
      const config = job.steps.find((s) => s.id === 'release')!.with!.config!;
      const run = await runCli(['validate', '-c', config]);
      expect(`${run.code} ${run.stdout}${run.stderr}`).toMatch(/^0 .*: valid · runners: deploy/);
    }
  });
});

describe('every step of the workflows that runs the action itself (uses: ./)', () => {
  const steps = actionSteps();

  it('is found (in ci.yml)', () => {
    expect(steps.map((s) => s.where)).toEqual([
      '.github/workflows/ci.yml smoke step release',
      '.github/workflows/ci.yml smoke step plan',
      '.github/workflows/ci.yml smoke-ssh step release',
    ]);
  });

  // The bundled action given the step's inputs, made a dry run: it reads the config, chooses the
  // runner (a config of several runners needs the step to name one), and plans, connecting nowhere.
  it.each(steps)(
    '$where: the bundled action, given its inputs, chooses a runner and plans (as a dry run)',
    async ({ step }) => {
      const workspace = await tempDir('bw-uses-dot-');
      const config = String(step.with?.config ?? '.github/release.yml');
      await mkdir(dirname(join(workspace, config)), { recursive: true });
      await copyFile(join(REPO, config), join(workspace, config));
      // Earlier steps' outputs: a key and a host key line for sshd's (a dry run connects nowhere,
      // but wants a key to plan with), empty for any other, as an unset output is.
      const key = await generateKey(join(workspace, 'id_ed25519'));
      const output = (name: string): string => {
        if (name.endsWith('.private-key')) return readFileSync(key.privatePath, 'utf8');
        return name.endsWith('.known-hosts') ? `[127.0.0.1]:2222 ${key.publicLine}` : '';
      };
      const earlier = Object.values(step.with ?? {}).flatMap((v) =>
        [...String(v).matchAll(/\$\{\{\s*(steps\.[^}\s]+)\s*\}\}/g)].map((m) => [m[1]!, output(m[1]!)]),
      );
      const values = {
        'runner.temp': join(workspace, 'runner-temp'),
        'github.run_id': '4242',
        ...Object.fromEntries(earlier),
      };
      const run = await runAction({
        inputs: { ...stepInputs(step, values), 'dry-run': 'true' },
        workspace,
      });
      expect(`${run.code} ${run.outputs.result}\n${run.stdout}`).toMatch(/^0 success\n/);
      expect(run.stdout).toMatch(/DRY RUN/);
    },
    60_000,
  );
});

describe('dependabot.yml', () => {
  it('updates the npm packages and the workflows’ actions', () => {
    const config = parse(readFileSync(join(REPO, '.github/dependabot.yml'), 'utf8'));
    expect(config.version).toBe(2);
    const ecosystems = config.updates.map((u: { 'package-ecosystem': string; directory: string }) => [
      u['package-ecosystem'],
      u.directory,
    ]);
    expect(ecosystems).toEqual([
      ['npm', '/'],
      ['github-actions', '/'],
    ]);
  });
});
