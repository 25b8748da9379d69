/**
 * A host left behind, as a workflow sees it: the bundled action run as the runner runs it on
 * `local:` hosts. The headline names the host, `result` stays `success`, `failed-hosts` keeps it,
 * the report lists it under `leftBehind`, and its `current` did not move.
 */
import { existsSync, readlinkSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../support/cli.js';
import { installedAction, runAction } from './action-harness.js';

let actionDir: string;
const made: string[] = [];
beforeAll(async () => {
  actionDir = await installedAction();
});
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

const config = `version: 1
hosts:
  web: [local:a, local:b, local:c]
vars: { ROOT: '', FAIL_HOST: '' }
releases:
  path: \${ROOT}/\${BW_HOST}
runners:
  deploy:
    stages:
      - name: Distribute
        hosts: [web]
        max-failures: 1
        steps:
          - release: prepare
          - name: check
            run: '[ "$BW_HOST" != "$FAIL_HOST" ] || { echo "disk quota exceeded" >&2; exit 28; }'
      - name: Switch
        hosts: [web]
        steps: [{ release: switch }]
`;

describe('the bundled action leaves a host that failed within the budget behind', () => {
  it('says so in the summary headline and the log, keeps result success and failed-hosts', async () => {
    const ws = await tempDir('bw-ws-left-');
    made.push(ws);
    await mkdir(join(ws, '.github'));
    await writeFile(join(ws, '.github/release.yml'), config);
    const root = join(ws, 'hosts');
    const deploy = (release: string, fail: string) =>
      runAction({
        actionDir,
        workspace: ws,
        inputs: { runner: 'deploy', 'release-id': release, vars: `ROOT=${root}\nFAIL_HOST=${fail}` },
      });
    expect((await deploy('r1', '')).code).toBe(0);
    const run = await deploy('r2', 'local:b');
    expect(run.code).toBe(0);
    const headline =
      '✅ Release succeeded · 1 host left on its previous release: local:b (failed at Distribute)';
    expect(run.summary.split('\n')[0]).toBe(`## ${headline}`);
    expect(run.stdout).toContain(
      'Release success · 1 host left on its previous release: local:b (failed at Distribute)',
    );
    // Where the switch left each host: in the log, the summary and the report; local:b has no
    // switch of its own, so where it is is not the run's to say.
    expect(run.stdout).toMatch(/^local:a ✔ success · 1 attempt · r1 → r2 · /m);
    expect(run.stdout).toMatch(/^now live: r2 on 2 hosts, unknown on 1 host$/m);
    expect(run.summary).toMatch(/^now live: r2 on 2 hosts, unknown on 1 host$/m);
    expect(run.summary).toContain('<td>r1 → r2</td>');
    const switched = JSON.parse(run.reportText).stages[1].jobs.map((j: { release?: unknown }) => j.release);
    expect(switched).toContainEqual({ action: 'switch', before: 'r1', after: 'r2' });
    expect(run.outputs.result).toBe('success');
    expect(JSON.parse(run.outputs['failed-hosts'] ?? '')).toEqual(['local:b']);
    expect(JSON.parse(run.reportText).leftBehind).toEqual([
      { host: 'local:b', stage: 'Distribute', error: 'exit code 28' },
    ]);
    const current = (h: string) => {
      const link = join(root, h, 'current');
      return existsSync(link) ? readlinkSync(link) : null;
    };
    expect(['local:a', 'local:b', 'local:c'].map(current)).toEqual([
      'releases/r2',
      'releases/r1',
      'releases/r2',
    ]);
  }, 60_000);
});
