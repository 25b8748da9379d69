/**
 * The `releases:` block and the `release:` steps end to end on `local:` hosts: the real scripts in
 * a real shell on real directories, through the same pipeline the CLI and the action use. The
 * same scripts run over SSH unchanged (release-ssh.test.ts runs them on sshd).
 */
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI_SOURCES } from '../../src/cli/args.js';
import type { EngineEvent } from '../../src/engine/report/events.js';
import { Cancellation } from '../../src/pipeline/cancellation.js';
import { loadRelease, runRelease } from '../../src/pipeline/pipeline.js';
import type { ReleaseSettings } from '../../src/pipeline/settings.js';
import { tempDir } from '../support/cli.js';

/** A deploy of one host: prepare, ship a file, a check (FAIL=1 fails it), switch, prune; rollback; undo. */
const CONFIG = `version: 1
hosts:
  web: [local:a]
releases:
  path: \${ROOT}/hosts/\${BW_HOST}
  keep: \${KEEP}
  shared: [storage/, .env]
runners:
  deploy:
    stages:
      - name: Ship
        hosts: [web]
        steps:
          - release: prepare
          - run: |
              echo "$BW_RELEASE" > "$BW_RELEASE_PATH/version"
              echo "paths $BW_RELEASES_PATH $BW_RELEASE_PATH"
      - name: Check
        hosts: [web]
        steps:
          - run: '[ "$FAIL" != before-switch ]'
      - name: Switch
        hosts: [web]
        steps:
          - release: switch
          - run: '[ "$FAIL" != after-switch ]'
      - name: Prune
        hosts: [web]
        steps:
          - release: prune
      - name: Undo
        when: failure
        hosts: [web]
        steps: [{ release: undo }]
  rollback:
    stages:
      - name: Back
        hosts: [web]
        steps: [{ release: rollback }]
  undo:
    stages:
      - name: Undo
        hosts: [web]
        steps: [{ release: undo }]
  prune:
    stages:
      - name: Prune
        hosts: [web]
        steps: [{ release: prune }]
`;

interface Project {
  cwd: string;
  /** The host's releases path. */
  path: string;
}

async function project(keep = 3): Promise<Project> {
  const cwd = await tempDir('bw-releases-');
  await writeFile(join(cwd, 'release.yml'), CONFIG.replace('${KEEP}', String(keep)));
  const path = join(cwd, 'hosts/local:a');
  await mkdir(join(path, 'shared'), { recursive: true });
  await writeFile(join(path, 'shared/.env'), 'APP_KEY=x\n');
  return { cwd, path };
}

interface Run {
  result: string;
  lines: string[];
  errors: string[];
}

async function run(p: Project, runner: string, over: Partial<ReleaseSettings> = {}): Promise<Run> {
  const settings: ReleaseSettings = {
    vars: { ROOT: p.cwd, FAIL: '', ...over.vars },
    secretVars: {},
    dryRun: false,
    runner,
    sources: CLI_SOURCES,
    ...(over.release ? { release: over.release } : {}),
  };
  const events: EngineEvent[] = [];
  const { report } = await runRelease(settings, await loadRelease(settings, { cwd: p.cwd }), {
    cancellation: new Cancellation(),
    onEvent: (e) => events.push(e),
  });
  return {
    result: report.result,
    lines: events.flatMap((e) => (e.type === 'output' ? [e.line] : [])),
    errors: report.stages.flatMap((s) => s.jobs.flatMap((j) => (j.error ? [j.error] : []))),
  };
}

const current = (p: Project): string => readlinkSync(join(p.path, 'current'));
const releases = (p: Project): string[] => readdirSync(join(p.path, 'releases')).sort();
const history = (p: Project): { id: string; state: string; previous?: string }[] =>
  readFileSync(join(p.path, '.boerewors/releases.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { id: string; state: string; previous?: string });

async function deploy(p: Project, id: string, fail = ''): Promise<Run> {
  return run(p, 'deploy', { release: id, vars: { FAIL: fail } });
}

describe('release directories on a local: host', () => {
  // Outside GitHub Actions, every run is a run of its own (see the Actions block at the end).
  const outer = process.env.GITHUB_RUN_ID;
  beforeAll(() => delete process.env.GITHUB_RUN_ID);
  afterAll(() => {
    if (outer !== undefined) process.env.GITHUB_RUN_ID = outer;
  });

  it('prepare and switch: releases/ID with shared paths linked, current a relative link, a history', async () => {
    const p = await project();
    const r = await deploy(p, 'r1');
    expect(r.errors).toEqual([]);
    expect(r.result).toBe('success');
    expect(r.lines).toContain(`paths ${p.path} ${p.path}/releases/r1`);
    expect(current(p)).toBe('releases/r1');
    expect(readFileSync(join(p.path, 'current/version'), 'utf8')).toBe('r1\n');
    // Shared paths: relative links into shared/, the directory created, the file kept.
    expect(readlinkSync(join(p.path, 'releases/r1/storage'))).toBe('../../shared/storage');
    expect(readlinkSync(join(p.path, 'releases/r1/.env'))).toBe('../../shared/.env');
    expect(lstatSync(join(p.path, 'shared/storage')).isDirectory()).toBe(true);
    expect(readFileSync(join(p.path, 'current/.env'), 'utf8')).toBe('APP_KEY=x\n');
    expect(history(p)).toMatchObject([
      { id: 'r1', state: 'prepared' },
      { id: 'r1', state: 'live', previous: '' },
    ]);
    // No temporary link is left beside current.
    expect(readdirSync(join(p.path, '.boerewors'))).toEqual(['releases.jsonl']);
  });

  it('prepare refuses a release id another run prepared: nothing of it is touched', async () => {
    const p = await project();
    expect((await deploy(p, 'same')).result).toBe('success');
    const again = await deploy(p, 'same');
    expect(again.result).toBe('failure');
    expect(again.lines.join('\n')).toContain(
      'release same already exists in ' + `${p.path}/releases and was not prepared by this run`,
    );
    expect(current(p)).toBe('releases/same');
    expect(history(p)).toHaveLength(2);
  });

  it('a missing shared file fails prepare with what to do; a real directory at current is refused, never deleted', async () => {
    const p = await project();
    const { rmSync } = await import('node:fs');
    rmSync(join(p.path, 'shared/.env'));
    const missing = await deploy(p, 'r1');
    expect(missing.result).toBe('failure');
    expect(missing.lines.join('\n')).toContain(`shared file ${p.path}/shared/.env does not exist`);
    expect(existsSync(join(p.path, 'current'))).toBe(false);

    await writeFile(join(p.path, 'shared/.env'), 'APP_KEY=x\n');
    await mkdir(join(p.path, 'current'));
    await writeFile(join(p.path, 'current/index.html'), 'hand-deployed\n');
    const refused = await deploy(p, 'r2');
    expect(refused.result).toBe('failure');
    expect(refused.lines.join('\n')).toContain(
      `${p.path}/current is not a symlink (a real directory or file): refusing to replace it`,
    );
    expect(readFileSync(join(p.path, 'current/index.html'), 'utf8')).toBe('hand-deployed\n');
  });

  it('prune keeps N releases that went live: a failed one in between takes no slot and goes once older than current', async () => {
    const p = await project(3);
    for (const id of ['r1', 'r2']) expect((await deploy(p, id)).result).toBe('success');
    // Fails before its switch: prepared, never live.
    expect((await deploy(p, 'r3', 'before-switch')).result).toBe('failure');
    expect(releases(p)).toEqual(['r1', 'r2', 'r3']);
    expect(current(p)).toBe('releases/r2');
    const r4 = await deploy(p, 'r4');
    expect(r4.lines).toContain('pruned releases/r3: never went live, older than current');
    expect(releases(p)).toEqual(['r1', 'r2', 'r4']);
    const r5 = await deploy(p, 'r5');
    // r1 is the fourth live release back; the failed r3 did not push out a good one earlier.
    expect(r5.lines).toContain('pruned releases/r1: older than the newest 3 live releases');
    expect(releases(p)).toEqual(['r2', 'r4', 'r5']);
    expect(current(p)).toBe('releases/r5');
  });

  it('prune never removes current or previous, even with keep: 1', async () => {
    const p = await project(1);
    for (const id of ['r1', 'r2', 'r3']) expect((await deploy(p, id)).result).toBe('success');
    expect(releases(p)).toEqual(['r2', 'r3']);
  });

  it('prune after a rollback: bad releases go, newer ones take no slot, what the next rollback needs stays (keep: 2)', async () => {
    const p = await project(5);
    for (const id of ['r1', 'r2', 'r3', 'r4']) expect((await deploy(p, id)).result).toBe('success');
    expect((await run(p, 'rollback', { vars: { ROLLBACK_TO: 'r2' } })).result).toBe('success');
    await writeFile(join(p.cwd, 'release.yml'), CONFIG.replace('${KEEP}', '2'));
    const pruned = await run(p, 'prune');
    expect(pruned.result).toBe('success');
    expect(pruned.lines).toContain('pruned releases/r4: marked bad by a rollback');
    expect(releases(p)).toEqual(['r1', 'r2', 'r3']);
    const back = await run(p, 'rollback');
    expect(back.errors).toEqual([]);
    expect(current(p)).toBe('releases/r1');
  });

  it('prune after a rollback with keep: 1: the bad release goes, the one a rollback goes back to stays', async () => {
    const p = await project(5);
    for (const id of ['r1', 'r2', 'r3']) expect((await deploy(p, id)).result).toBe('success');
    expect((await run(p, 'rollback')).result).toBe('success');
    await writeFile(join(p.cwd, 'release.yml'), CONFIG.replace('${KEEP}', '1'));
    expect((await run(p, 'prune')).result).toBe('success');
    expect(releases(p)).toEqual(['r1', 'r2']);
    expect(current(p)).toBe('releases/r2');
    expect((await run(p, 'rollback')).result).toBe('success');
    expect(current(p)).toBe('releases/r1');
  });

  it('rollback twice goes back one live release each time, marks each one left bad, and fails when none is left', async () => {
    const p = await project(5);
    for (const id of ['r1', 'r2', 'r3']) expect((await deploy(p, id)).result).toBe('success');
    expect((await run(p, 'rollback')).result).toBe('success');
    expect(current(p)).toBe('releases/r2');
    expect((await run(p, 'rollback')).result).toBe('success');
    expect(current(p)).toBe('releases/r1');
    expect(
      history(p)
        .filter((e) => e.state === 'bad')
        .map((e) => e.id),
    ).toEqual(['r3', 'r2']);
    const none = await run(p, 'rollback');
    expect(none.result).toBe('failure');
    expect(none.lines.join('\n')).toContain('no release to roll back to: none older than r1 went live');
    expect(current(p)).toBe('releases/r1');

    // A new release (its prune removes the bad r2 and r3), then a rollback: back to r1.
    expect((await deploy(p, 'r4')).result).toBe('success');
    expect(releases(p)).toEqual(['r1', 'r4']);
    expect((await run(p, 'rollback')).result).toBe('success');
    expect(current(p)).toBe('releases/r1');
    // ROLLBACK_TO picks one by hand, even one marked bad (with a word about it).
    const to = await run(p, 'rollback', { vars: { ROLLBACK_TO: 'r4' } });
    expect(to.result).toBe('success');
    expect(to.lines).toContain('releases/r4 was marked bad earlier; going back to it as ROLLBACK_TO asks');
    expect(current(p)).toBe('releases/r4');
    const unknown = await run(p, 'rollback', { vars: { ROLLBACK_TO: 'nope' } });
    expect(unknown.result).toBe('failure');
    expect(unknown.lines).toContain(`ROLLBACK_TO=nope: ${p.path}/releases/nope does not exist`);
    expect(current(p)).toBe('releases/r4');
  });

  it('undo after a failure after switch goes back; undo of a release that is not current, or that another run switched, does nothing', async () => {
    const p = await project();
    // Nothing switched yet (a first release that failed before its switch): nothing to undo.
    const first = await run(p, 'undo', { release: 'never-live' });
    expect(first.result).toBe('success');
    expect(first.lines).toContain(
      "current is not a release, not this run's release never-live: nothing to undo",
    );
    expect((await deploy(p, 'good')).result).toBe('success');
    // The run's own Undo stage (when: failure) reverts the switch this run made.
    const broken = await deploy(p, 'broken', 'after-switch');
    expect(broken.result).toBe('failure');
    expect(broken.lines.join('\n')).toContain('rolled back: current -> releases/good');
    expect(current(p)).toBe('releases/good');
    expect(history(p).at(-2)).toMatchObject({ id: 'broken', state: 'bad' });
    // Another run's undo of the same release id leaves the good release alone.
    const other = await run(p, 'undo', { release: 'broken' });
    expect(other.result).toBe('success');
    expect(other.lines).toContain("current is releases/good, not this run's release broken: nothing to undo");
    expect(current(p)).toBe('releases/good');
    // Nor does it revert a release that is current but went live in another run.
    expect((await deploy(p, 'next')).result).toBe('success');
    const notOurs = await run(p, 'undo', { release: 'next' });
    expect(notOurs.result).toBe('success');
    expect(notOurs.lines).toContain(
      'current is releases/next, but this run did not switch to it (it went live in an earlier run or attempt): nothing to undo',
    );
    expect(current(p)).toBe('releases/next');
  });

  it('a re-run with the id of a release that went live leaves the fleet alone: refused, nothing rolled back', async () => {
    const p = await project();
    for (const id of ['r1', 'r2']) expect((await deploy(p, id)).result).toBe('success');
    const lines = history(p).length;
    const again = await deploy(p, 'r2');
    expect(again.result).toBe('failure');
    expect(again.lines.join('\n')).toContain(
      'release r2 already exists in ' +
        `${p.path}/releases and was not prepared by this run: it went live in another run (current is releases/r2); this run changes nothing here`,
    );
    expect(again.lines).toContain(
      'current is releases/r2, but this run did not switch to it (it went live in an earlier run or attempt): nothing to undo',
    );
    expect(current(p)).toBe('releases/r2');
    expect(history(p)).toHaveLength(lines);
  });

  describe('in GitHub Actions, a re-run of the workflow run', () => {
    const attempt0 = process.env.GITHUB_RUN_ATTEMPT;
    afterEach(() => {
      delete process.env.GITHUB_RUN_ID;
      if (attempt0 === undefined) delete process.env.GITHUB_RUN_ATTEMPT;
      else process.env.GITHUB_RUN_ATTEMPT = attempt0;
    });
    const attempt = (n: number): void => {
      process.env.GITHUB_RUN_ID = '4243';
      process.env.GITHUB_RUN_ATTEMPT = String(n);
    };

    it('finishes the release its first attempt prepared, and its undo reverts only what it switched', async () => {
      const p = await project();
      attempt(1);
      expect((await deploy(p, 'v1')).result).toBe('success');
      process.env.GITHUB_RUN_ID = '4244';
      expect((await deploy(p, 'v2', 'before-switch')).result).toBe('failure');
      expect(current(p)).toBe('releases/v1');
      // "Re-run failed jobs": the same workflow run, the next attempt (a new lock token too).
      process.env.GITHUB_RUN_ATTEMPT = '2';
      const rerun = await deploy(p, 'v2');
      expect(rerun.errors).toEqual([]);
      expect(rerun.lines).toContain('releases/v2 was prepared earlier in this run: kept');
      expect(current(p)).toBe('releases/v2');
      // A third attempt that fails after the switch it did not make: v2 stays live.
      process.env.GITHUB_RUN_ATTEMPT = '3';
      const third = await deploy(p, 'v2', 'after-switch');
      expect(third.result).toBe('failure');
      expect(third.lines).toContain(
        'current is releases/v2, but this run did not switch to it (it went live in an earlier run or attempt): nothing to undo',
      );
      expect(current(p)).toBe('releases/v2');
      expect(history(p).filter((e) => e.state === 'bad')).toEqual([]);
    });
  });
});
