/**
 * `github-deployment`: the bundled action records the release as a GitHub deployment, talking to
 * a recorder on loopback that stands in for GitHub's API (found through GITHUB_API_URL, as on
 * GitHub Enterprise). Recording never changes the release: an API that fails or is down is a
 * warning.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signalWhen, tempDir } from '../support/cli.js';
import {
  closedApiUrl,
  DEPLOYMENT_ID,
  startGitHubApiRecorder,
  type GitHubApiRecorder,
} from '../support/github-api-recorder.js';
import {
  annotationsOf,
  installedAction,
  leaks,
  maskCommands,
  runAction,
  WORKFLOW_TOKEN,
  type ActionRunOptions,
} from './action-harness.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const RUN_URL = 'https://github.example/acme/shop/actions/runs/99';

let actionDir: string;
let api: GitHubApiRecorder;
beforeAll(async () => {
  actionDir = await installedAction();
});
beforeEach(async () => {
  api = await startGitHubApiRecorder();
});
afterEach(async () => {
  await api.close();
});

async function workspace(step: string): Promise<string> {
  const dir = await tempDir('bw-ws-');
  await mkdir(join(dir, '.github'));
  await writeFile(
    join(dir, '.github/release.yml'),
    `version: 1
hosts:
  web: [local:a, local:b]
runners:
  deploy:
    stages:
      - name: Ship
        hosts: [web]
        steps:
          - run: ${JSON.stringify(step)}
`,
  );
  return dir;
}

function deploy(
  ws: string,
  apiUrl: string,
  more: Partial<ActionRunOptions> = {},
): ReturnType<typeof runAction> {
  return runAction({
    actionDir,
    workspace: ws,
    inputs: { 'github-deployment': 'production' },
    env: {
      GITHUB_API_URL: apiUrl,
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SHA: SHA,
      GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_RUN_ID: '99',
    },
    ...more,
  });
}

const warnings = (stdout: string): string[] => annotationsOf(stdout, 'warning').map((a) => a.message);
const states = (): unknown[] =>
  api.requests.filter((r) => r.path.endsWith('/statuses')).map((r) => r.body.state);

describe('github-deployment', () => {
  it('success: a deployment of the commit, in_progress with the run as its log, then success; the token masked', async () => {
    const run = await deploy(await workspace('echo shipped'), api.url);
    expect(run.code).toBe(0);
    expect(run.outputs.result).toBe('success');
    expect(warnings(run.stdout)).toEqual([]);

    const [create, ...rest] = api.requests;
    expect(create).toMatchObject({ method: 'POST', path: '/repos/acme/shop/deployments' });
    const release = JSON.parse(run.reportText).release;
    expect(create!.body).toMatchObject({
      ref: SHA,
      environment: 'production',
      auto_merge: false,
      required_contexts: [],
      payload: { tool: 'boerewors', runner: 'deploy', release },
    });
    for (const r of api.requests) expect(r.authorization).toBe(`token ${WORKFLOW_TOKEN}`);
    expect(rest.map((r) => [r.method, r.path])).toEqual([
      ['POST', `/repos/acme/shop/deployments/${DEPLOYMENT_ID}/statuses`],
      ['POST', `/repos/acme/shop/deployments/${DEPLOYMENT_ID}/statuses`],
    ]);
    expect(rest.map((r) => r.body)).toEqual([
      expect.objectContaining({ state: 'in_progress', log_url: RUN_URL }),
      expect.objectContaining({ state: 'success', log_url: RUN_URL }),
    ]);
    expect(maskCommands(run.stdout)).toContain(WORKFLOW_TOKEN);
    expect(leaks(run, [WORKFLOW_TOKEN])).toEqual([]);
  });

  it('outputs the release id and the deployment id; environment-url goes on every status', async () => {
    const url = 'https://shop.example/';
    const run = await deploy(await workspace('echo shipped'), api.url, {
      inputs: { 'github-deployment': 'production', 'environment-url': url, 'release-id': 'v1.2.3' },
    });
    expect(run.code).toBe(0);
    expect(run.outputs['release-id']).toBe('v1.2.3');
    expect(run.outputs['deployment-id']).toBe(String(DEPLOYMENT_ID));
    const statuses = api.requests.filter((r) => r.path.endsWith('/statuses')).map((r) => r.body);
    expect(statuses).toEqual([
      expect.objectContaining({ state: 'in_progress', environment_url: url }),
      expect.objectContaining({ state: 'success', environment_url: url }),
    ]);
    // Without a deployment, the output is there and empty.
    const none = await runAction({ actionDir, workspace: await workspace('true'), inputs: {} });
    expect(none.outputs['deployment-id']).toBe('');
    expect(none.outputs['release-id']).toBe(JSON.parse(none.reportText).release);
  });

  it('failure: the final status is failure, with the reason', async () => {
    const run = await deploy(await workspace('exit 3'), api.url);
    expect(run.code).toBe(1);
    expect(states()).toEqual(['in_progress', 'failure']);
    const last = api.requests.at(-1)!.body;
    expect(String(last.description)).toContain('canary local:a failed: exit code 3');
  });

  it('cancelled: the final status is error, and the step still ends within 5 s', async () => {
    const interrupt = signalWhen((out) => out.includes('│ started'));
    const run = await deploy(await workspace('echo started; sleep 30'), api.url, {
      onStdout: interrupt.onStdout,
    });
    expect(Date.now() - interrupt.sentAt()).toBeLessThan(5000);
    expect(run.outputs.result).toBe('cancelled');
    expect(states()).toEqual(['in_progress', 'error']);
  });

  it('cancelled while the API hangs: the step ends within 5 s all the same, with a warning', async () => {
    api.behaviour = 'hang';
    const interrupt = signalWhen((out) => out.includes('│ started'));
    const run = await deploy(await workspace('echo started; sleep 30'), api.url, {
      onStdout: interrupt.onStdout,
    });
    expect(Date.now() - interrupt.sentAt()).toBeLessThan(5000);
    expect(run.outputs.result).toBe('cancelled');
    expect(warnings(run.stdout)).toContain(
      'GitHub deployment to production: not created in time, so its status stays open',
    );
  });

  it('API down: a warning, and the release succeeds as if nothing were recorded', async () => {
    const down = await closedApiUrl();
    const run = await deploy(await workspace('echo shipped'), down);
    expect(run.code).toBe(0);
    expect(run.outputs.result).toBe('success');
    expect(warnings(run.stdout)).toEqual([
      expect.stringMatching(/^GitHub deployment to production not created: .*ECONNREFUSED/),
    ]);
  });

  it('no permission (HTTP 403): a warning that names the permission; the release result stands', async () => {
    api.behaviour = { status: 403, message: 'Resource not accessible by integration' };
    const run = await deploy(await workspace('exit 3'), api.url);
    expect(run.code).toBe(1);
    expect(run.outputs.result).toBe('failure');
    expect(warnings(run.stdout)).toEqual([
      'GitHub deployment to production not created: HTTP 403: Resource not accessible by integration (the job needs permissions: deployments: write)',
    ]);
  });

  it('a dry run records no deployment', async () => {
    const run = await deploy(await workspace('echo shipped'), api.url, {
      inputs: { 'github-deployment': 'production', 'dry-run': 'true' },
    });
    expect(run.code).toBe(0);
    expect(api.requests).toEqual([]);
    expect(run.stdout).toContain('Dry run: no GitHub deployment to production is recorded.');
  });

  it('an empty github-token is refused before anything runs', async () => {
    const run = await deploy(await workspace('echo shipped'), api.url, {
      inputs: { 'github-deployment': 'production', 'github-token': '' },
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('Input "github-deployment" is set but "github-token" is empty');
    expect(api.requests).toEqual([]);
  });
});
