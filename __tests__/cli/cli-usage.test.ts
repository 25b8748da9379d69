import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../src/contract/errors.js';
import { mergeReportFiles } from '../../src/pipeline/merge.js';
import { REPO, runCli, tempDir } from '../support/cli.js';

describe('boerewors usage and bad input', () => {
  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
  });

  it('--help prints usage with the exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('boerewors run [-c FILE]');
    expect(r.stdout).toContain('130 cancelled');
  });

  it.each([
    [['deploy'], 'unknown command "deploy"'],
    [['run', '--bogus'], "Unknown option '--bogus'"],
    [['run', '--limit', 'ten'], '--limit: expected a positive integer, got "ten"'],
    [['run', '--var', 'NOEQUALS'], '--var: expected NAME=VALUE'],
    // A filter that names nothing (an unset variable, usually) is not "every host" nor "no host".
    [['run', '--hosts', ','], '--hosts: expected names separated by commas'],
    [['run', '--hosts', ''], '--hosts: expected names separated by commas'],
    [['run', '--shard', '0/3'], '--shard: shard 0 of 3 does not exist: K runs from 1 to 3, got "0/3"'],
    [['run', '--shard', '3/2'], '--shard: shard 3 of 2 does not exist: K runs from 1 to 2, got "3/2"'],
    [
      ['run', '-c', 'examples/local-release.yml', '--shard', '1/2', '--canary-only'],
      "--shard and --canary-only exclude each other: the canary-only job runs each stage's canary, the shards run the other hosts",
    ],
    [['report'], 'missing subcommand: report merge'],
    [['report', 'split'], 'unknown subcommand "report split": expected report merge'],
    [['report', 'merge'], 'report merge: expected the report files (or directories) to merge'],
    [['report', 'merge', 'a.json', '--limit', '3'], '--limit is not an option of "report merge"'],
    [['report', 'merge', 'no-such.json'], 'no-such.json: no such file or directory'],
  ])('%j exits 2 with a clear message', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('a config error exits 2 with file:line:col and runs nothing', async () => {
    const root = await tempDir();
    const cfg = join(root, 'release.yml');
    const config = (poolSize: string): string => `version: 1
runners:
  deploy:
    stages:
      - name: x
        pool-size: ${poolSize}
        steps:
          - local: touch "${root}/ran"
`;
    await writeFile(cfg, config('ten'));
    const r = await runCli(['run', '-c', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${cfg}:6:20: runners.deploy.stages[0].pool-size: expected a positive integer`,
    );
    expect(existsSync(join(root, 'ran'))).toBe(false);
    // The same file with the error fixed does run the step: the check above could see it.
    await writeFile(cfg, config('2'));
    const fixed = await runCli(['run', '-c', cfg]);
    expect(fixed.code).toBe(0);
    expect(existsSync(join(root, 'ran'))).toBe(true);
  });

  it('a missing config file exits 2 naming it', async () => {
    const root = await tempDir();
    const r = await runCli(['run', '-c', join(root, 'nope.yml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(root, 'nope.yml'));
  });

  it('report merge of directories holding no report file exits 2 naming them, and writes nothing', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'notes.txt'), 'not a report');
    const out = join(root, 'merged.json');
    const r = await runCli(['report', 'merge', root, '--report', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no report files (*.json) in ${root}`);
    expect(existsSync(out)).toBe(false);
    // The library says so too when given no path at all (the CLI stops that earlier).
    await expect(mergeReportFiles([])).rejects.toThrow(new UsageError('no report files given to merge'));
    await expect(mergeReportFiles([root])).rejects.toBeInstanceOf(UsageError);
  });

  it('no config found in the working directory exits 2', async () => {
    const root = await tempDir();
    const r = await runCli(['validate'], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/release\.yml/);
  });

  it('an unknown runner and two runners with none chosen exit 2 listing the runners', async () => {
    const root = await tempDir();
    const cfg = join(root, 'release.yml');
    await writeFile(
      cfg,
      `version: 1
runners:
  deploy: { stages: [ { name: a, steps: [ { local: "true" } ] } ] }
  rollback: { stages: [ { name: b, steps: [ { local: "true" } ] } ] }
`,
    );
    const unknown = await runCli(['run', '-c', cfg, '-r', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      `${cfg}: unknown runner "nope" in --runner (available: deploy, rollback)`,
    );
    const none = await runCli(['run', '-c', cfg]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('2 runners (deploy, rollback) and none chosen: pick one with --runner');
  });

  it('validate accepts the example', async () => {
    const here = await runCli(['validate', '-c', 'examples/local-release.yml']);
    expect(here.code).toBe(0);
    expect(here.stdout).toContain('valid');
    // Its upload source is built by the Build stage before it: nothing to warn about.
    expect(here.stderr).toBe('');
  });

  it('validate warns about an upload source that is missing and nothing before it could make', async () => {
    const root = await tempDir();
    const cfg = join(root, 'release.yml');
    await writeFile(
      cfg,
      `version: 1
hosts: { web: [local:a] }
vars: { OUT: dist }
runners:
  deploy:
    stages:
      - name: Ship
        hosts: [web]
        steps:
          - upload: { from: '\${OUT}/site/', to: /tmp/x }
          - upload: { from: 'per-host/\${BW_HOST}', to: /tmp/y }
          - local: make
          - upload: { from: made-by-make/, to: /tmp/z }
`,
    );
    const r = await runCli(['validate', '-c', cfg], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid');
    expect(r.stderr).toBe(
      `boerewors: warning: ${cfg}:10:29: runners.deploy.stages[0].steps[0].upload.from: upload source dist/site/ ` +
        `not found (looked for ${join(root, 'dist/site')}); the run fails unless something creates it first\n`,
    );
    const run = await runCli(['run', '-c', cfg], { cwd: root });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `local:a ✘ failure: failed at step "upload": upload source dist/site/ not found (looked for ${join(root, 'dist/site')}): nothing to upload`,
    );
  });
});
