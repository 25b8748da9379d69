import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CANCEL_GRACE_MS } from '../../src/pipeline/cancellation.js';
import { occurrences, REPO, runCli, signalWhen, stretchedTimerEnv, tempDir } from '../support/cli.js';
import { readPids, waitForExit } from '../support/survivors.js';

const EXAMPLE = join(REPO, 'examples/local-release.yml');

describe('boerewors run on local: hosts', () => {
  it('runs the README quick start: three hosts get the release and a current symlink', async () => {
    const root = await tempDir();
    const report = join(root, 'report.json');
    const r = await runCli([
      'run',
      '-c',
      EXAMPLE,
      '-r',
      'deploy',
      '--var',
      `DEPLOY_ROOT=${root}`,
      '--report',
      report,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json).toMatchObject({ version: 1, runner: 'deploy', result: 'success' });
    expect(Object.keys(json).sort()).toEqual([
      'dryRun',
      'durationMs',
      'leftBehind',
      'release',
      'result',
      'runner',
      'stages',
      'startedAt',
      'version',
      'warnings',
    ]);
    expect(json.dryRun).toBe(false);
    expect(json.release).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(r.stdout).toContain(`boerewors · runner deploy · release ${json.release}\n`);
    expect(r.stdout).toMatch(/^Release success · runner deploy · 4 stages · /m);
    expect(json.stages.map((s: { name: string }) => s.name)).toEqual([
      'Build',
      'Distribute',
      'Switch',
      'Prune',
    ]);
    const distribute = json.stages[1];
    expect(distribute).toMatchObject({ result: 'success', canary: 'local:a' });
    expect(distribute.jobs.map((j: { host: string }) => j.host)).toEqual(['local:a', 'local:b', 'local:c']);
    expect(Object.keys(distribute.jobs[0]).sort()).toEqual([
      'attempts',
      'durationMs',
      'error',
      'exitCode',
      'host',
      'result',
      'startMs',
      'uploads',
      'verify',
    ]);
    expect(distribute.jobs[0].verify).toBeNull();
    // The quick start's upload step: what it shipped, per job.
    expect(distribute.jobs[0].uploads).toMatchObject({ uploads: 1, filesLinked: 0 });
    // compress: auto sampled the tree (one small page: the whole of it) and says what it chose.
    expect(distribute.jobs[0].uploads.compression).toEqual([
      expect.stringMatching(/^(gzip|raw): a \d+(\.\d)? k?B sample (shrank \d+\.\d %|did not shrink)$/),
    ]);
    expect(r.stdout).toContain(`· tar · ${distribute.jobs[0].uploads.compression[0]} · `);
    expect(distribute.jobs[0].uploads.files).toBeGreaterThan(0);
    for (const host of ['local:a', 'local:b', 'local:c']) {
      const dir = join(root, 'hosts', host);
      const target = readlinkSync(join(dir, 'current'));
      expect(target).toBe(`releases/${json.release}`);
      expect(readFileSync(join(dir, 'current', 'index.html'), 'utf8')).toContain('Boerewors demo');
      // every output line is labelled with its host
      expect(r.stdout).toMatch(new RegExp(`^${host} +│ verified `, 'm'));
    }
    expect(r.stdout).toContain('Stage 2/4 · Distribute · 3 hosts · canary local:a');
  });

  it('runs the JS-module example with a custom job; a retry backoff alone keeps the process alive', async () => {
    const work = await tempDir();
    const report = join(work, 'r.json');
    const r = await runCli([
      'run',
      '-c',
      'examples/custom-job.mjs',
      '--var',
      `WORK=${work}`,
      '--report',
      report,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/local:b +↻ exit code 75 — attempt 2 in/);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.result).toBe('success');
    const retried = json.stages.flatMap((s: { jobs: { host: string; attempts: number }[] }) => s.jobs);
    expect(retried).toContainEqual(expect.objectContaining({ host: 'local:b', attempts: 2 }));
  });

  it('a failing canary fails the stage, starts no other job and no later stage, exit 1', async () => {
    const root = await tempDir();
    const cfg = join(root, 'release.yml');
    await writeFile(
      cfg,
      `version: 1
hosts:
  web: [local:a, local:b, local:c]
runners:
  deploy:
    stages:
      - name: Ship
        hosts: [web]
        can-fail: true
        steps:
          - run: |
              touch "${root}/ran-$BW_HOST"
              test "$BW_HOST" != local:a
      - name: After
        hosts: [web]
        steps:
          - run: touch "${root}/after-$BW_HOST"
`,
    );
    const report = join(root, 'r.json');
    const r = await runCli(['run', '-c', cfg, '--report', report]);
    expect(r.code).toBe(1);
    const files = readdirSync(root).filter((f) => f.startsWith('ran-') || f.startsWith('after-'));
    expect(files).toEqual(['ran-local:a']);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.result).toBe('failure');
    expect(json.stages.map((s: { name: string; result: string }) => [s.name, s.result])).toEqual([
      ['Ship', 'failure'],
      ['After', 'skipped'],
    ]);
    expect(json.stages[0].jobs.map((j: { result: string }) => j.result)).toEqual([
      'failure',
      'skipped',
      'skipped',
    ]);
    expect(json.stages[0].jobs[0].exitCode).toBe(1);
  });

  it('hostile variable values reach the command verbatim and execute nothing', async () => {
    const root = await tempDir();
    const cfg = join(root, 'release.yml');
    const hostile = `'; touch ${root}/pwned #`;
    const sub = `$(touch ${root}/pwned2)`;
    const tick = '`touch ' + root + '/pwned3`';
    await writeFile(
      cfg,
      `version: 1
hosts: { web: [local:a] }
runners:
  deploy:
    stages:
      - name: Echo
        hosts: [web]
        steps:
          - run: printf '%s\\n' "$A" "$B" "$C" > "${root}/out"
`,
    );
    const r = await runCli([
      'run',
      '-c',
      cfg,
      '--var',
      `A=${hostile}`,
      '--var',
      `B=${sub}`,
      '--var',
      `C=${tick}`,
    ]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(root, 'out'), 'utf8')).toBe(`${hostile}\n${sub}\n${tick}\n`);
    for (const f of ['pwned', 'pwned2', 'pwned3']) expect(existsSync(join(root, f))).toBe(false);
  });

  it('--dry-run prints stages, hosts and steps and runs nothing', async () => {
    const root = await tempDir();
    const report = join(await tempDir(), 'r.json');
    const r = await runCli([
      'run',
      '-c',
      EXAMPLE,
      '-r',
      'deploy',
      '--dry-run',
      '--var',
      `DEPLOY_ROOT=${root}`,
      '--report',
      report,
    ]);
    expect(r.code).toBe(0);
    // It cannot pass for a release: DRY RUN first and last, and in the report.
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json).toMatchObject({
      dryRun: true,
      result: 'success',
      release: expect.stringMatching(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/),
    });
    expect(r.stdout.split('\n')[0]).toBe(`boerewors · DRY RUN · runner deploy · release ${json.release}`);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^DRY RUN success \(nothing was run\) · runner deploy · 4 stages · /,
    );
    expect(r.stdout).not.toContain('Release success');
    expect(r.stdout).toContain('Stage 1/4 · Build · 1 host');
    expect(r.stdout).toContain('Stage 3/4 · Switch · 3 hosts · canary local:a');
    expect(r.stdout).toContain(
      `local:c │   ${root}/hosts/local:c/current -> releases/${json.release}, atomically`,
    );
    expect(r.stdout).toMatch(new RegExp(`upload ${root}/build/ → local:b:${root}/hosts/local:b/releases/`));
    expect(readdirSync(root)).toEqual([]);
  });

  it('SIGINT cancels: running commands are terminated, the report says cancelled, exit 130', async () => {
    const root = await tempDir();
    const cfg = join(root, 'release.yml');
    await writeFile(
      cfg,
      `version: 1
hosts: { web: [local:a, local:b] }
runners:
  deploy:
    stages:
      - name: Wait
        hosts: [web]
        canary: false
        steps:
          - run: |
              echo $$ >> "${root}/pids"
              echo started
              sleep 8
              touch "${root}/late-$BW_HOST"
`,
    );
    const report = join(root, 'r.json');
    const interrupt = signalWhen((out) => occurrences(out, /│ started/g) === 2);
    const r = await runCli(['run', '-c', cfg, '--report', report], {
      timeoutMs: 20_000,
      onStdout: interrupt.onStdout,
    });
    expect(interrupt.sentAt()).toBeGreaterThan(0);
    expect(r.code).toBe(130);
    // Measured from the signal, not from the start (start-up on a loaded machine is not the
    // cancel's time): the promise is an exit within 5 s; that the commands were killed rather than
    // waited for is proven by the markers below.
    expect(Date.now() - interrupt.sentAt()).toBeLessThan(8_000);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.result).toBe('cancelled');
    expect(json.stages[0].jobs.map((j: { result: string }) => j.result)).toEqual(['cancelled', 'cancelled']);
    // A shell the cancel missed would end 8 s in by writing its marker: wait for both to end.
    const shells = readPids(join(root, 'pids'));
    expect(shells).toHaveLength(2);
    await waitForExit(shells, 15_000);
    expect(readdirSync(root).filter((f) => f.startsWith('late-'))).toEqual([]);
  }, 30_000);

  it('SIGINT twice: the second only stops the wait; the report is still written, exit 130', async () => {
    const root = await tempDir();
    const cfg = join(root, 'release.mjs');
    // A cleanup that never ends: the engine cannot return, so only the second signal ends the wait.
    await writeFile(
      cfg,
      `export default ({ Runner, Stage, Job, remote, Ok }) => {
  const host = { name: 'local:a', address: 'local:a', port: 0, local: true };
  class Wait extends Job {
    async *run() {
      yield remote('echo started; sleep 30');
      return Ok();
    }
  }
  const stage = new Stage({ name: 'Wait', jobs: () => [new Wait(host, 'wait')] });
  const cleanup = () => new Promise(() => {});
  return { version: 1, runners: [new Runner({ name: 'deploy', stages: [stage], cleanup })] };
};
`,
    );
    const report = join(root, 'r.json');
    const interrupt = signalWhen((out) => out.includes('│ started'));
    let again = false;
    const r = await runCli(['run', '-c', cfg, '--report', report], {
      timeoutMs: 45_000,
      // The grace after the first signal stretched to 60 s: only the second signal ends it sooner.
      env: stretchedTimerEnv(CANCEL_GRACE_MS),
      onStdout: interrupt.onStdout,
      // The second signal once the first was handled (two pending SIGINTs would be one).
      onStderr: (err, child) => {
        if (!again && err.includes('cancelling')) {
          again = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(again).toBe(true);
    expect(interrupt.sentAt()).toBeGreaterThan(0);
    expect(r.code).toBe(130);
    // The first signal alone would wait out the (stretched) grace: 60 s. Far sooner, on any machine.
    expect(r.stderr).toContain(`a ${CANCEL_GRACE_MS} ms timer stretched to 60 s`);
    expect(Date.now() - interrupt.sentAt()).toBeLessThan(30_000);
    expect(existsSync(report)).toBe(true);
    expect(r.stderr).toMatch(/SIGINT again/);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json).toMatchObject({ result: 'cancelled', runner: 'deploy' });
    expect(json.stages[0].jobs[0]).toMatchObject({ host: 'local:a', result: 'cancelled' });
    expect(r.stdout).toMatch(/Release cancelled/);
  }, 60_000);
});
