/**
 * The bundled action, run as the runner runs it, against embedded `local:` hosts: every path a
 * workflow sees (groups, annotations, summary, outputs, report, exit code) without a server.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { occurrences, REPO, signalWhen, stretchedTimerEnv, tempDir } from '../support/cli.js';
import { readPids, waitForExit } from '../support/survivors.js';
import {
  annotationsOf,
  filesHolding,
  installedAction,
  keyMaterial,
  leaks,
  maskCommands,
  REPORTED_BEFORE_SIGTERM_MS,
  runAction,
} from './action-harness.js';
import { CANCEL_GRACE_MS } from '../../src/pipeline/cancellation.js';

let actionDir: string;
beforeAll(async () => {
  actionDir = await installedAction();
});

async function workspace(config?: string): Promise<string> {
  const dir = await tempDir('bw-ws-');
  await mkdir(join(dir, '.github'));
  if (config === undefined)
    await copyFile(join(REPO, 'examples/local-release.yml'), join(dir, '.github/release.yml'));
  else await writeFile(join(dir, '.github/release.yml'), config);
  return dir;
}

const annotations = (run: { stdout: string }, level: 'error' | 'warning'): string[] =>
  annotationsOf(run.stdout, level).map((a) => (a.title ? `${a.title} :: ${a.message}` : a.message));

describe('the bundled action on local: hosts', () => {
  it('runs from a directory with only action.yml and dist/ (no node_modules)', () => {
    expect(readdirSync(actionDir).sort()).toEqual(['action.yml', 'dist']);
    expect(JSON.parse(readFileSync(join(actionDir, 'dist/package.json'), 'utf8'))).toEqual({
      type: 'module',
    });
  });

  it('success: a group per stage, labelled lines, outputs, report and a summary with every host', async () => {
    const ws = await workspace();
    const root = join(ws, 'deploy-root');
    const run = await runAction({
      actionDir,
      workspace: ws,
      inputs: { runner: 'deploy', vars: `DEPLOY_ROOT=${root}` },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const groups = run.stdout.split('\n').filter((l) => l.startsWith('::group::'));
    expect(groups).toEqual([
      '::group::Stage 1/4 · Build · 1 host',
      '::group::Stage 2/4 · Distribute · 3 hosts · canary local:a',
      '::group::Stage 3/4 · Switch · 3 hosts · canary local:a',
      '::group::Stage 4/4 · Prune · 3 hosts · canary local:a',
    ]);
    expect(run.stdout.split('\n').filter((l) => l === '::endgroup::')).toHaveLength(4);
    for (const host of ['local:a', 'local:b', 'local:c']) {
      expect(run.stdout).toMatch(new RegExp(`^${host} │ verified `, 'm'));
      expect(existsSync(join(root, 'hosts', host, 'current', 'index.html'))).toBe(true);
    }
    expect(run.stdout).toContain('■ Distribute: success · 3 ok · 0 failed · 0 skipped');
    expect(annotations(run, 'error')).toEqual([]);

    expect(run.outputs.result).toBe('success');
    expect(run.outputs['failed-hosts']).toBe('[]');
    expect(run.outputs.report).toMatch(/bw-runner-.*\/temp\/boerewors-[^/]+\/report\.json$/);
    const report = JSON.parse(run.reportText);
    expect(report).toMatchObject({ version: 1, runner: 'deploy', result: 'success' });
    expect(report.stages.map((s: { name: string }) => s.name)).toEqual([
      'Build',
      'Distribute',
      'Switch',
      'Prune',
    ]);

    expect(run.summary).toMatch(/^## ✅ Release succeeded\n/);
    expect(run.summary).toContain(
      '<td>2</td><td>Distribute</td><td>✅ success</td><td>3</td><td>0</td><td>0</td>',
    );
    for (const host of ['local:a', 'local:b', 'local:c']) {
      expect(run.summary.match(new RegExp(`<tr><td>${host}`, 'g'))).toHaveLength(3);
    }
  });

  it('failure: an annotation per failed host, failed-hosts, exit 1, the output tail in the summary', async () => {
    const ws = await workspace(`version: 1
hosts:
  web: [local:a, local:b, local:c, local:d]
runners:
  deploy:
    stages:
      - name: Ship
        hosts: [web]
        max-failures: 1
        steps:
          - run: test -n "$BW_HOST"
          - name: ship it
            run: |
              echo "shipping to $BW_HOST"
              case "$BW_HOST" in
                local:b|local:d) echo "disk <full> on **$BW_HOST**" >&2; exit 3 ;;
              esac
      - name: Never
        hosts: [web]
        steps:
          - run: echo never
`);
    const run = await runAction({ actionDir, workspace: ws, inputs: {} });
    expect(run.code).toBe(1);
    expect(annotationsOf(run.stdout, 'error')).toEqual([
      {
        level: 'error',
        title: 'local:b failed · Ship',
        // The failed step, by its name: the log alone no longer has to say which it was.
        message:
          'failed at step "ship it": exit code 3 · 1 attempt\n│ shipping to local:b\n│ disk <full> on **local:b**',
      },
      {
        level: 'error',
        title: 'local:d failed · Ship',
        message:
          'failed at step "ship it": exit code 3 · 1 attempt\n│ shipping to local:d\n│ disk <full> on **local:d**',
      },
      { level: 'error', title: '', message: expect.stringMatching(/^Release failed: /) },
    ]);
    expect(run.outputs.result).toBe('failure');
    expect(JSON.parse(run.outputs['failed-hosts'] ?? '')).toEqual(['local:b', 'local:d']);
    const report = JSON.parse(run.reportText);
    expect(report.result).toBe('failure');
    // The report keeps the error as it was and names the step beside it; a host that passed has none.
    expect(report.stages[0].jobs[1]).toMatchObject({
      host: 'local:b',
      error: 'exit code 3',
      step: 'ship it',
    });
    expect(report.stages[0].jobs[0].step).toBeUndefined();
    expect(run.summary).toMatch(/^## ❌ Release failed/);
    expect(run.summary).toContain('<details><summary>❌ <b>local:b</b> · 1 attempt');
    expect(run.summary).toContain('failed at step &quot;ship it&quot;: exit code 3');
    expect(run.summary).toContain('disk &lt;full&gt; on **local:b**');
    // The stage after the failure never ran: it is in the summary as skipped, with why.
    expect(run.summary).toContain('### 2. Never · ⏭️ skipped\n');
    expect(run.summary).toContain('_Skipped: the release failed at stage &quot;Ship&quot;._');
    expect(run.stdout).not.toMatch(/│ never$/m);
    // The timeline under the headline: a bar per host, the failed ones crit, the skipped stage and why.
    const gantt = /```mermaid\n([\s\S]*?)```/.exec(run.summary)?.[1] ?? '';
    expect(gantt).toMatch(/^ {2}✘ local#58;b :crit, \d+, \d+$/m);
    expect(gantt).toMatch(/^ {2}✔ local#58;a \(canary\) :done, \d+, \d+$/m);
    expect(gantt).toContain(
      'section 2. Never\n  – skipped#58; the release failed at stage #34;Ship#34; :milestone,',
    );
    // The HTML report, beside the JSON one: its own output.
    const html = run.outputs['html-report'] ?? '';
    expect(html).toBe(run.outputs.report?.replace(/\.json$/, '.html'));
    const page = readFileSync(html, 'utf8');
    expect(page.match(/<rect class="job /g)).toHaveLength(4);
    expect(page).toContain('disk &lt;full&gt; on **local:b**');
  });

  it('tolerated failures (within max-failures, can-fail) are warnings, and the release succeeds', async () => {
    const ws = await workspace(`version: 1
hosts:
  web: [local:a, local:b, local:c]
runners:
  deploy:
    stages:
      - name: Ship
        hosts: [web]
        max-failures: 1
        steps:
          - run: test "$BW_HOST" != local:b
      - name: Prune
        hosts: [web]
        can-fail: true
        canary: false
        steps:
          - run: test "$BW_HOST" != local:c
`);
    const run = await runAction({ actionDir, workspace: ws, inputs: {} });
    expect(run.code).toBe(0);
    expect(annotations(run, 'error')).toEqual([]);
    expect(annotations(run, 'warning')).toEqual([
      // An unnamed step is named by its command.
      'local:b failed · Ship (tolerated: within max-failures) :: failed at step "run: test "$BW_HOST" != local:b": exit code 1 · 1 attempt',
      expect.stringMatching(/^boerewors :: stage "Prune" failed but can-fail lets the run go on: .*local:c$/),
      'local:c failed · Prune (tolerated: can-fail) :: failed at step "run: test "$BW_HOST" != local:c": exit code 1 · 1 attempt',
    ]);
    expect(run.outputs.result).toBe('success');
    expect(JSON.parse(run.outputs['failed-hosts'] ?? '')).toEqual(['local:b', 'local:c']);
    expect(run.summary).toContain('⚠️ success (failures within budget)');
    expect(run.summary).toContain('⚠️ failure (tolerated: can-fail)');
  });

  it('never shows the private key or a secret value, in any channel', async () => {
    const token = 'tok-9f8e7d6c5b4a39281706';
    const cert = 'line-one-of-the-cert-AAAA\nline-two-of-the-cert-BBBB\nline-three-of-the-cert-CCCC';
    const key = [
      '-----BEGIN OPENSSH PRIVATE KEY-----',
      'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
      'QyNTUxOQAAACDm1cLNrEa8qfJkYbYMtXWnZr5YyvnS0xDfXbYpGnV3yAAAAJgAAAAAAAAA',
      '-----END OPENSSH PRIVATE KEY-----',
    ].join('\n');
    const ws = await workspace(`version: 1
hosts:
  web: [local:a, local:b]
runners:
  deploy:
    stages:
      - name: Use secrets
        hosts: [web]
        max-failures: 1
        steps:
          - run: |
              echo "token=$TOKEN"
              echo "cert: $CERT"
              printf '%s\\n' "$CERT" | sed -n 2p >&2
              test "$BW_HOST" = local:a || { echo "failing with $TOKEN"; exit 1; }
`);
    const run = await runAction({
      actionDir,
      workspace: ws,
      inputs: {
        'secret-vars': `TOKEN: ${token}\nCERT: |\n  ${cert.split('\n').join('\n  ')}`,
        'ssh-private-key': key,
      },
    });
    expect(run.code).toBe(0);
    expect(leaks(run, [token, cert, key])).toEqual([]);
    expect(filesHolding(run, [...keyMaterial(key), token])).toEqual([]);
    expect(run.stdout).toMatch(/^local:a │ token=\*\*\*$/m);
    // the runner is told to mask every value, and every line of the multi-line ones, before any output
    const masks = maskCommands(run.stdout);
    expect(masks).toEqual(expect.arrayContaining([token, `${cert}\n`, ...cert.split('\n')]));
    expect(masks).toEqual(expect.arrayContaining([`${key}\n`, ...key.split('\n')]));
    const firstOther = run.stdout.split('\n').findIndex((l) => !l.startsWith('::add-mask::'));
    const lastMask = run.stdout.split('\n').findLastIndex((l) => l.startsWith('::add-mask::'));
    expect(lastMask).toBeLessThan(firstOther);
  });

  it('a secret printed in two parts around a CR shows nowhere: not in the log, the annotation or the summary', async () => {
    const token = 'tok-9f8e7d6c5b4a39281706';
    const ws = await workspace(`version: 1
hosts:
  web: [local:a]
runners:
  deploy:
    stages:
      - name: Print
        hosts: [web]
        steps:
          - run: |
              printf 'token=%s\\r%s\\n' "$(printf %s "$TOKEN" | cut -c1-10)" "$(printf %s "$TOKEN" | cut -c11-)"
              exit 1
`);
    const run = await runAction({ actionDir, workspace: ws, inputs: { 'secret-vars': `TOKEN=${token}` } });
    expect(run.code).toBe(1);
    // What a reader sees once a CR is dropped: the annotation's %0D, the summary's control characters.
    const joined = (text: string): string => text.replace(/%0D|\r/g, '');
    expect(leaks({ ...run, stdout: joined(run.stdout), summary: joined(run.summary) }, [token])).toEqual([]);
    expect(run.stdout).toMatch(/^local:a │ token=\*\*\*$/m);
    expect(annotations(run, 'error').join('\n')).toContain('│ token=***');
  });

  it('cancelled: SIGTERM stops the commands; outputs, summary and report are written; non-zero within 5 s', async () => {
    const ws = await workspace(`version: 1
hosts:
  web: [local:a, local:b, local:c]
runners:
  deploy:
    stages:
      - name: Long
        hosts: [web]
        canary: false
        steps:
          - run: |
              echo $$ >> "$PIDS"
              echo "sleeping on $BW_HOST"
              sleep 8
              touch "$MARKER-$BW_HOST"
`);
    const interrupt = signalWhen((out) => occurrences(out, /sleeping on/g) === 3, 'SIGTERM');
    const marker = join(ws, 'marker');
    const pids = join(ws, 'pids');
    const run = await runAction({
      actionDir,
      workspace: ws,
      inputs: { vars: `MARKER=${marker}\nPIDS=${pids}` },
      onStdout: interrupt.onStdout,
    });
    expect(interrupt.sentAt()).toBeGreaterThan(0);
    expect(Date.now() - interrupt.sentAt()).toBeLessThan(5000);
    expect(run.code).toBe(130);
    expect(run.outputs.result).toBe('cancelled');
    expect(run.outputs['failed-hosts']).toBe('[]');
    expect(JSON.parse(run.reportText).result).toBe('cancelled');
    expect(run.summary).toMatch(/^## 🚫 Release cancelled/);
    expect(run.summary).toContain('cancelled by SIGTERM');
    expect(run.stdout).toMatch(/^::error::Release cancelled/m);
    // A shell the cancel missed would end 8 s in by writing its marker: wait for all three to end.
    const shells = readPids(pids);
    expect(shells).toHaveLength(3);
    await waitForExit(shells, 15_000);
    expect(readdirSync(ws).filter((f) => f.startsWith('marker'))).toEqual([]);
  }, 30_000);

  it('cancelled: still reports before GitHub’s SIGTERM when a command ignores SIGINT and SIGTERM', async () => {
    const ws = await workspace(`version: 1
hosts:
  web: [local:a]
runners:
  deploy:
    stages:
      - name: Stubborn
        hosts: [web]
        steps:
          - run: |
              trap '' INT TERM
              echo "ignoring signals"
              for i in $(seq 1 300); do sleep 0.1; done
`);
    const interrupt = signalWhen((out) => out.includes('ignoring signals'));
    const run = await runAction({
      actionDir,
      workspace: ws,
      inputs: {},
      onStdout: interrupt.onStdout,
    });
    // The command is KILLed 2 s after its TERM; waiting for it would take 30 s.
    expect(Date.now() - interrupt.sentAt()).toBeLessThan(REPORTED_BEFORE_SIGTERM_MS);
    expect(run.code).not.toBe(0);
    expect(run.outputs.result).toBe('cancelled');
    expect(run.summary).toMatch(/^## 🚫 Release cancelled/);
    expect(JSON.parse(run.reportText).result).toBe('cancelled');
  });

  it('cancelled: reports from the events when the engine does not return in time (a cleanup that hangs)', async () => {
    const ws = await workspace();
    await writeFile(
      join(ws, 'release.mjs'),
      `export default ({ Runner, Stage, Job, remote, Ok }) => {
  const host = { name: 'local:a', address: 'local:a', port: 0, local: true };
  class Wait extends Job {
    async *run() {
      yield remote('echo started; sleep 30');
      return Ok();
    }
  }
  const stage = new Stage({ name: 'Wait', jobs: () => [new Wait(host, 'wait')] });
  // A cleanup that never ends: the engine cannot return, the action must report anyway.
  const cleanup = () => new Promise(() => {});
  return { version: 1, runners: [new Runner({ name: 'deploy', stages: [stage], cleanup })] };
};
`,
    );
    const interrupt = signalWhen((out) => out.includes('│ started'), 'SIGTERM');
    const run = await runAction({
      actionDir,
      workspace: ws,
      inputs: { config: 'release.mjs' },
      onStdout: interrupt.onStdout,
    });
    expect(interrupt.sentAt()).toBeGreaterThan(0);
    // The report comes after the 3.5 s grace (CANCEL_GRACE_MS); an action that waited for the
    // engine would never end.
    expect(Date.now() - interrupt.sentAt()).toBeLessThan(REPORTED_BEFORE_SIGTERM_MS);
    expect(run.code).toBe(130);
    expect(run.outputs.result).toBe('cancelled');
    const report = JSON.parse(run.reportText);
    expect(report).toMatchObject({ result: 'cancelled', runner: 'deploy' });
    expect(report.stages[0].jobs[0]).toMatchObject({ host: 'local:a', result: 'cancelled' });
    expect(run.summary).toMatch(/^## 🚫 Release cancelled/);
    expect(run.summary).toContain('cancelled by SIGTERM');
  });

  it('cancelled twice (SIGINT, then SIGTERM): the second signal only ends the wait; everything is still written', async () => {
    const ws = await workspace();
    await writeFile(
      join(ws, 'release.mjs'),
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
    let signalledAt = 0;
    let again = false;
    const run = await runAction({
      actionDir,
      workspace: ws,
      inputs: { config: 'release.mjs' },
      // The grace after the first signal stretched to 60 s: only the second signal ends it sooner.
      env: stretchedTimerEnv(CANCEL_GRACE_MS) as Record<string, string>,
      timeoutMs: 45_000,
      onStdout: (out, child) => {
        if (signalledAt === 0 && out.includes('│ started')) {
          signalledAt = Date.now();
          child.kill('SIGINT');
        } else if (!again && out.includes('Release cancelled by SIGINT: stopping')) {
          again = true;
          child.kill('SIGTERM');
        }
      },
    });
    expect(again).toBe(true);
    expect(run.code).toBe(130);
    // The first signal alone would wait out the (stretched) grace: 60 s. Far sooner, on any machine.
    expect(run.stderr).toContain(`a ${CANCEL_GRACE_MS} ms timer stretched to 60 s`);
    expect(Date.now() - signalledAt).toBeLessThan(30_000);
    expect(run.outputs.result).toBe('cancelled');
    expect(JSON.parse(run.reportText)).toMatchObject({ result: 'cancelled', runner: 'deploy' });
    expect(run.summary).toMatch(/^## 🚫 Release cancelled/);
  }, 60_000);

  it('dry run: prints the plan, runs nothing, says so in the summary', async () => {
    const ws = await workspace();
    const root = join(ws, 'deploy-root');
    const run = await runAction({
      actionDir,
      workspace: ws,
      inputs: { runner: 'deploy', 'dry-run': 'true', vars: `DEPLOY_ROOT=${root}` },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Dry run: the plan is printed, nothing connects and nothing runs.');
    expect(run.stdout).toMatch(/^local:b +│ +.*\/current -> releases\/.*, atomically/m);
    expect(existsSync(root)).toBe(false);
    expect(run.outputs.result).toBe('success');
    expect(run.summary).toMatch(/^## 🧪 DRY RUN succeeded \(nothing was run\)/);
    expect(run.stdout).toMatch(/^boerewors · DRY RUN · runner deploy · release \d{8}T\d{6}Z-[0-9a-f]{6}$/m);
    expect(run.stdout.trimEnd()).toMatch(/^DRY RUN success \(nothing was run\) · runner deploy · .*$/m);
    expect(run.stdout).not.toContain('Release success');
    expect(JSON.parse(run.reportText)).toMatchObject({ dryRun: true, release: expect.any(String) });
  });

  it('limit and hosts inputs reach the engine', async () => {
    const ws = await workspace();
    const root = join(ws, 'deploy-root');
    const run = await runAction({
      actionDir,
      workspace: ws,
      inputs: { runner: 'deploy', vars: `DEPLOY_ROOT=${root}`, hosts: 'local:b, local:c', limit: '1' },
    });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.reportText);
    expect(report.stages[1].jobs.map((j: { host: string }) => j.host)).toEqual(['local:b']);
    expect(existsSync(join(root, 'hosts/local:a'))).toBe(false);
  });

  it.each([
    [{ limit: 'ten' }, 'Input "limit": expected a positive integer, got "ten"'],
    [{ 'dry-run': 'maybe' }, 'Input "dry-run": expected true or false, got "maybe"'],
    [{ vars: 'A=1\nB' }, 'Input "vars" line 2: expected NAME=VALUE'],
    [{ 'ssh-private-key': '~/.ssh/id_ed25519' }, 'Input "ssh-private-key": expected the private key itself'],
    [{ config: 'missing.yml' }, 'missing.yml'],
    // Named as the action's user typed it (the CLI's message says --runner).
    [{ runner: 'nope' }, 'unknown runner "nope" in the "runner" input (available: deploy, rollback)'],
    // Named as the action's user typed it (the action used to say --hosts).
    [{ runner: 'deploy', hosts: 'local:a, nowhere' }, 'Input "hosts": unknown host or group "nowhere"'],
  ])(
    'bad input %j: a message naming it, exit 2, outputs and summary still written',
    async (inputs, message) => {
      const ws = await workspace();
      const run = await runAction({ actionDir, workspace: ws, inputs });
      expect(run.code).toBe(2);
      const errors = annotations(run, 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(message);
      expect(run.outputs).toEqual({
        result: 'failure',
        'failed-hosts': '[]',
        report: '',
        'html-report': '',
        'release-id': '',
        'deployment-id': '',
      });
      expect(run.summary).toMatch(/^## ❌ Release did not start/);
    },
  );

  it('a secret too short to be redacted is named in a warning (its value is not)', async () => {
    const ws = await workspace();
    const run = await runAction({
      actionDir,
      workspace: ws,
      inputs: { runner: 'deploy', 'secret-vars': 'PIN: "7x9"\nTOKEN: long-enough-value' },
    });
    expect(run.code).toBe(0);
    const warnings = annotations(run, 'warning').filter((w) => w.includes('too short'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('secret PIN is shorter than 4 characters');
    expect(warnings[0]).not.toContain('7x9');
  });

  it('run() returns with process.exitCode set, so a caller such as @github/local-action goes on', async () => {
    // What @github/local-action does: import the entrypoint's run(), await it, then print the outputs.
    const driver = join(await tempDir('bw-driver-'), 'driver.mjs');
    await writeFile(
      driver,
      `import { run } from ${JSON.stringify(join(REPO, 'lib/action/main.js'))};
await run();
console.log(\`after run(): exitCode \${process.exitCode}\`);
`,
    );
    const ws = await workspace();
    const ok = await runAction({
      actionDir,
      workspace: ws,
      inputs: { runner: 'deploy', vars: `DEPLOY_ROOT=${join(ws, 'root')}` },
      entry: driver,
    });
    expect(ok.stdout.trimEnd().split('\n').at(-1)).toBe('after run(): exitCode 0');
    expect(ok.code).toBe(0);
    expect(ok.outputs.result).toBe('success');
    const bad = await runAction({ actionDir, workspace: ws, inputs: { config: 'nope.yml' }, entry: driver });
    expect(bad.stdout.trimEnd().split('\n').at(-1)).toBe('after run(): exitCode 2');
    expect(bad.code).toBe(2);
  });

  it('a config input that is not found says where it looked: the workspace', async () => {
    const ws = await workspace();
    const run = await runAction({ actionDir, workspace: ws, inputs: { config: 'deploy/release.yml' } });
    expect(run.code).toBe(2);
    expect(annotations(run, 'error')).toEqual([
      `config file not found: deploy/release.yml (looked for ${join(ws, 'deploy/release.yml')}). ` +
        'The config input is relative to the workspace: is the repository checked out (actions/checkout) before this step?',
    ]);
    expect(run.outputs.result).toBe('failure');
  });

  it('a bad secret-vars input is reported without its value', async () => {
    const ws = await workspace();
    const secret = 'sup3r-s3cret-value-123';
    const run = await runAction({
      actionDir,
      workspace: ws,
      inputs: { 'secret-vars': `TOKEN=${secret}\n${secret}` },
    });
    expect(run.code).toBe(2);
    expect(annotations(run, 'error')[0]).toContain('Input "secret-vars" line 2');
    expect(leaks(run, [secret])).toEqual([]);
  });
});
