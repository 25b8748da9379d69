/**
 * A sharded release as a workflow runs it, with the bundled action against real sshd hosts: a
 * canary-only job, a matrix of two shards, each uploading its report; then a merge job whose
 * `merge-reports` reads them from one download directory and writes one report, one summary, the
 * outputs and the exit code of the whole release, recording the deployment on the way.
 */
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { tempDir } from '../support/cli.js';
import { startGitHubApiRecorder, type GitHubApiRecorder } from '../support/github-api-recorder.js';
import { fleetConfigHead, useActionFleet, writeWorkspaceConfig } from '../support/ssh-release-fixture.js';
import { annotationsOf, runAction, type ActionRun } from './action-harness.js';

const suite = useActionFleet({ count: 4 }, 30_000);
const fleet = suite.fleet;

const names = ['web-1', 'web-2', 'web-3', 'web-4'];
const RUN_ID = '5150';

/** The checked-out repository: a config whose jobs append the release id to `ROOT/<host>` on each host. */
async function workspace(root: string): Promise<string> {
  const ws = await tempDir('bw-ws-shard-');
  await writeWorkspaceConfig(
    ws,
    `${fleetConfigHead(fleet, { names, credentials: 'inputs', vars: { ROOT: root, FAIL_HOST: 'none' } })}runners:
  deploy:
    stages:
      - name: Ship
        hosts: [web]
        steps:
          - run: echo "$BW_RELEASE" >> "$ROOT/$BW_HOST"
          - run: test "$BW_HOST" != "$FAIL_HOST" || { echo "smoke test failed on $BW_HOST"; exit 4; }
`,
  );
  return ws;
}

/** One job of the workflow run; `artifacts` plays upload-artifact + download-artifact (merge-multiple). */
async function job(ws: string, artifacts: string, inputs: Record<string, string>): Promise<ActionRun> {
  const r = await runAction({
    actionDir: suite.actionDir,
    workspace: ws,
    inputs: { ...suite.sshInputs, ...inputs },
    env: { GITHUB_RUN_ID: RUN_ID },
  });
  if (r.outputs.report) await copyFile(r.outputs.report, join(artifacts, basename(r.outputs.report)));
  return r;
}

async function setUp(name: string): Promise<{ ws: string; root: string; artifacts: string }> {
  const root = join(fleet.scratchDir, `action-shard-${name}-${Date.now()}`);
  await mkdir(root);
  await chmod(root, 0o777); // the hosts' login user writes here
  const ws = await workspace(root);
  const artifacts = join(ws, 'reports');
  await mkdir(artifacts);
  return { ws, root, artifacts };
}

let api: GitHubApiRecorder;
beforeEach(async () => {
  api = await startGitHubApiRecorder();
});
afterEach(async () => {
  await api.close();
});

function merge(ws: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({
    actionDir: suite.actionDir,
    workspace: ws,
    inputs: { 'merge-reports': 'reports/*.json', ...inputs },
    env: {
      GITHUB_RUN_ID: RUN_ID,
      GITHUB_API_URL: api.url,
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
      GITHUB_SERVER_URL: 'https://github.example',
    },
  });
}

describe('the action: canary-only, a matrix of shards, merge-reports', () => {
  it('every host is released once; the merge job has the whole release: summary, outputs, report, deployment', async () => {
    const { ws, root, artifacts } = await setUp('ok');
    const canary = await job(ws, artifacts, { 'canary-only': 'true' });
    expect(canary.code).toBe(0);
    expect(basename(canary.outputs.report ?? '')).toBe('report-canary.json');
    const shards = await Promise.all([1, 2].map((k) => job(ws, artifacts, { shard: `${k}/2` })));
    expect(shards.map((s) => s.code)).toEqual([0, 0]);
    expect(shards.map((s) => basename(s.outputs.report ?? ''))).toEqual([
      'report-shard-1-of-2.json',
      'report-shard-2-of-2.json',
    ]);
    // The four hosts split in two blocks, web-1..2 | web-3..4: shard 1 holds web-2 (web-1 is the
    // canary, which the canary-only job ran), shard 2 web-3 and web-4.
    const hostsOf = (s: { reportText: string }) =>
      JSON.parse(s.reportText).stages[0].jobs.map((j: { host: string }) => j.host);
    expect(shards.map(hostsOf)).toEqual([['web-2'], ['web-3', 'web-4']]);
    for (const name of names) expect(await readFile(join(root, name), 'utf8')).toBe(`run-${RUN_ID}\n`);
    // Each part's own summary says which part it was, and a shard names the canary it left out.
    expect(canary.summary).toContain('canary-only');
    expect(shards[1]!.summary).toContain('shard 2/2');
    expect(shards[1]!.summary).toContain('web-1 <sub>canary-only run</sub>');

    const m = await merge(ws, { 'github-deployment': 'production' });
    expect(m.stderr).toBe('');
    expect(m.code).toBe(0);
    expect(m.outputs.result).toBe('success');
    expect(m.outputs['failed-hosts']).toBe('[]');
    const json = JSON.parse(m.reportText);
    expect(json).toMatchObject({
      release: `run-${RUN_ID}`,
      result: 'success',
      mergedFrom: ['canary-only', 'shard 1/2', 'shard 2/2'],
    });
    expect(json.stages[0]).toMatchObject({ canary: 'web-1', result: 'success' });
    expect(json.stages[0].jobs.map((j: { host: string }) => j.host)).toEqual(names);
    for (const host of names) expect(m.summary).toContain(`<tr><td>${host}`);
    expect(m.summary).toContain('canary-only, shard 1/2, shard 2/2');
    expect(m.stdout).toContain('::group::Stage 1/1 · Ship · 4 hosts · canary web-1');
    // The merged summary draws the whole release: a bar per host, the canary first, and the merge
    // job's HTML report beside its JSON one.
    const gantt = /```mermaid\n([\s\S]*?)```/.exec(m.summary)?.[1] ?? '';
    expect(gantt.match(/^ {2}✔ web-\d.*:done, \d+, \d+$/gm)).toHaveLength(names.length);
    expect(gantt).toMatch(/section 1\. Ship\n {2}✔ web-1 \(canary\) :done/);
    expect((await readFile(m.outputs['html-report'] ?? '', 'utf8')).match(/<rect class="job /g)).toHaveLength(
      names.length,
    );
    // The merge job records the whole release as one deployment.
    expect(api.requests[0]?.body).toMatchObject({
      environment: 'production',
      payload: { runner: 'deploy', release: `run-${RUN_ID}` },
    });
    expect(api.requests.filter((r) => r.path.endsWith('/statuses')).map((r) => r.body.state)).toEqual([
      'in_progress',
      'success',
    ]);
  });

  it('a host failing in a shard: that job fails, and the merge job fails with the host in failed-hosts and its output in the summary', async () => {
    const { ws, artifacts } = await setUp('fail');
    const vars = { vars: 'FAIL_HOST=web-4' };
    expect((await job(ws, artifacts, { 'canary-only': 'true', ...vars })).code).toBe(0);
    const [one, two] = await Promise.all([1, 2].map((k) => job(ws, artifacts, { shard: `${k}/2`, ...vars })));
    expect(one!.code).toBe(0);
    expect(two!.code).toBe(1);

    const m = await merge(ws);
    expect(m.code).toBe(1);
    expect(m.outputs.result).toBe('failure');
    expect(JSON.parse(m.outputs['failed-hosts'] ?? '')).toEqual(['web-4']);
    expect(m.summary).toContain('smoke test failed on web-4');
    const errors = annotationsOf(m.stdout, 'error').map((a) => a.message);
    expect(errors.join('\n')).toContain('shard 2/2');
  });

  it('bad input exits 2 and runs nothing: no reports downloaded, a release input beside merge-reports, a part outside Actions', async () => {
    const { ws, root } = await setUp('bad');
    const none = await merge(ws);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('Input "merge-reports": no report file (*.json) matches reports/*.json');
    const stray = await merge(ws, { shard: '1/2' });
    expect(stray.code).toBe(2);
    expect(stray.stdout).toContain('Input "shard" cannot be used with "merge-reports"');
    const outside = await runAction({
      actionDir: suite.actionDir,
      workspace: ws,
      inputs: { ...suite.sshInputs, shard: '1/2' },
    });
    expect(outside.code).toBe(2);
    expect(outside.stdout).toContain(
      'Input "shard": the parts of a sharded release must share one release id',
    );
    for (const name of names) expect(existsSync(join(root, name))).toBe(false);
  });
});
