/**
 * The bundled action against a compromised host: a real sshd whose ForceCommand shim
 * (support/hostile-host.ts) lies in answer to the deploy lock's commands and the upload's host
 * script, and steps that print what an attacker would. For each lie the run ends within bounds with
 * that host failed or the lock refused, the log holds no workflow command the action did not issue
 * itself and no ESC or BEL, the job summary no markup, and the controller's heap stays under a cap
 * (`--max-old-space-size`: a controller that buffers what the host sends dies of it).
 */
import { chmod, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../support/cli.js';
import { useHostileShim, type Lie } from '../support/hostile-host.js';
import { fleetConfigHead, useActionFleet, writeWorkspaceConfig } from '../support/ssh-release-fixture.js';
import { runAction, type ActionRun } from './action-harness.js';

const hostile = useHostileShim();
const suite = useActionFleet({ count: 1, ...hostile.sshd }, 30_000);
const fleet = suite.fleet;

/** The controller's V8 heap limit, in MB: what the host sends must not have to fit in it. */
const HEAP_MB = 160;

/** Commands the action issues itself; anything else at the start of a line is forged. */
const OURS = new Set(['group', 'endgroup', 'error', 'warning', 'notice', 'add-mask', 'debug']);

/**
 * Lines of the log the runner would read as a workflow command the action did not issue: indented,
 * not one of ours, with properties other than a title, or carrying the text a host planted.
 */
function forgedCommands(stdout: string): string[] {
  return stdout.split('\n').filter((line) => {
    const start = line.trimStart();
    if (start.startsWith('##[')) return true;
    if (!start.startsWith('::')) return false;
    const m = /^::([\w-]+)( [^:]*)?::(.*)$/.exec(line);
    if (!m) return true;
    const [, command = '', props, message = ''] = m;
    if (!OURS.has(command)) return true;
    if (props !== undefined && !/^ title=[^,]*$/.test(props)) return true;
    return /^(forged|owned|x$)/.test(message);
  });
}

let seq = 0;

async function release(
  lie: Lie,
  runners: string,
  inputs: Record<string, string> = {},
  extra = '',
): Promise<ActionRun> {
  await hostile.setLie(lie);
  const name = `hostile-${process.pid}-${Date.now()}-${++seq}`;
  const ws = await tempDir('bw-ws-hostile-');
  const source = join(ws, 'app');
  await mkdir(source);
  await writeFile(join(source, 'a.txt'), 'a');
  await writeFile(join(source, 'b.txt'), 'b');
  const head = fleetConfigHead(fleet, { lock: `{ name: ${name} }`, credentials: 'inputs' });
  await writeWorkspaceConfig(ws, `${head}${extra}runners:\n${runners}`);
  return runAction({
    actionDir: suite.actionDir,
    workspace: ws,
    inputs: { ...suite.sshInputs, ...inputs },
    env: { GITHUB_RUN_ID: '7', NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` },
    timeoutMs: 120_000,
  });
}

const ECHO = `  deploy:
    stages:
      - name: Ship
        hosts: [web]
        steps:
          - run: echo shipped
`;

function expectContained(run: ActionRun): void {
  expect(run.signal).toBeNull(); // not killed by the harness, nor aborted by V8 (out of memory)
  expect(run.code).not.toBe(134);
  expect(forgedCommands(run.stdout)).toEqual([]);
  expect(run.stdout).not.toMatch(/[\x07\x1b]/); // eslint-disable-line no-control-regex
  expect(run.summary).not.toMatch(/<(h2|img|script|a)\b/i);
  // Inside <pre> Markdown is not read: a link there is text.
  expect(run.summary.replace(/<pre>[^]*?<\/pre>/g, '')).not.toContain('](https://evil');
}

describe('the action against a compromised host', () => {
  it('lock mode: owner.json with workflow commands, ESC and BEL in every field is shown as text (status, and acquire waiting)', async () => {
    const status = await release('lock-owner', ECHO, { lock: 'status' });
    expectContained(status);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('mallory');
    const acquire = await release('lock-owner', ECHO, { lock: 'acquire', 'lock-wait': '1s' });
    expectContained(acquire);
    expect(acquire.code).toBe(1);
    expect(acquire.stdout).toMatch(/held by mallory.*waiting up to/);
  }, 60_000);

  it('a release refused by that holder: the summary names it as text and links its run only as an encoded http(s) URL', async () => {
    const run = await release('lock-owner', ECHO);
    expectContained(run);
    expect(run.code).toBe(1);
    expect(run.summary).toContain('**mallory');
    expect(run.summary).toContain('(https://x/%29%3Ch2%3EINJECTED%3C/h2%3E');
  }, 60_000);

  it('owner.json fields of the wrong type: the lock is refused, naming it malformed', async () => {
    const run = await release('lock-owner-wrong-types', ECHO, { lock: 'status' });
    expectContained(run);
    expect(run.stdout).toContain('its owner.json is malformed: invalid who, pid');
  }, 60_000);

  it.each([
    ['lock-flood', /answered more than 65536 bytes/],
    ['lock-long-line', /answered more than 65536 bytes/],
    ['lock-silence', /gave no answer within 30 s/],
  ] as const)(
    'a lock host that answers with %s: the run ends, the lock could not be asked, nothing ran',
    async (lie, why) => {
      const run = await release(lie, ECHO);
      expectContained(run);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(why);
      expect(run.stdout).not.toContain('shipped');
      expect(run.summary).toContain('could not be asked: nothing ran');
      expect(run.ms).toBeLessThan(75_000);
    },
    100_000,
  );

  const UPLOAD = (linkFrom: boolean): string => `  deploy:
    stages:
      - name: Ship
        hosts: [web]
        steps:
          - upload: { from: app, to: ${fleet.scratchDir}/hostile-up-${process.pid}-${++seq}${linkFrom ? `, link-from: ${fleet.scratchDir}` : ''} }
`;

  it.each([
    ['upload-have-flood', true, /the host answered "have 3": the manifest it was sent has 2 lines/],
    ['upload-have-flood', false, /the host answered "have 1" to an upload without link-from/],
    ['upload-ready-twice', false, /the host said "ready" twice/],
    // Asked for zstd (Node 22.15 and later) the first `no-zstd` is allowed, the second is not;
    // asked for gzip (Node 20), any is a lie.
    [
      'upload-no-zstd-twice',
      false,
      /the host answered "no-zstd" (twice|to an upload that did not ask for zstd)/,
    ],
  ] as const)(
    'an upload host that lies (%s, link-from %s): that host fails, naming the lie',
    async (lie, linkFrom, why) => {
      const run = await release(lie, UPLOAD(linkFrom));
      expectContained(run);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(why);
      expect(run.ms).toBeLessThan(60_000);
    },
    90_000,
  );

  it("an upload host's error with ESC, BEL and a workflow command: flattened in the log line and the annotation", async () => {
    const run = await release('upload-error-controls', UPLOAD(false));
    expectContained(run);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('disk');
    expect(run.stdout).toContain('full');
  }, 60_000);

  it('an upload host that never says "ready": that host fails after 60 s of silence, the run ends', async () => {
    const run = await release('upload-silence', UPLOAD(true));
    expectContained(run);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/the host said nothing for 60 s before "ready"/);
    expect(run.ms).toBeLessThan(100_000);
  }, 150_000);

  /**
   * A releases: block (with `timeout` when given) whose tree an honest host would roll back: r1 then
   * r2 went live, current is r2. Writable by sshd's login user.
   */
  async function releasesTree(timeout?: string): Promise<string> {
    const path = join(fleet.scratchDir, `hostile-releases-${process.pid}-${++seq}`);
    for (const dir of [
      path,
      join(path, '.boerewors'),
      join(path, 'releases'),
      join(path, 'releases', 'r1'),
      join(path, 'releases', 'r2'),
    ]) {
      await mkdir(dir, { recursive: true });
      await chmod(dir, 0o777);
    }
    const live = (id: string, previous: string, time: string): string =>
      JSON.stringify({ id, state: 'live', run: 'ab', attempt: 'ab', time, who: 'ci', runUrl: '', previous });
    const history = join(path, '.boerewors', 'releases.jsonl');
    await writeFile(
      history,
      `${live('r1', '', '2026-12-01T00:00:00.000Z')}\n${live('r2', 'r1', '2026-12-02T00:00:00.000Z')}\n`,
    );
    await chmod(history, 0o666);
    await symlink('releases/r2', join(path, 'current'));
    return `releases:\n  path: ${path}\n${timeout ? `  timeout: ${timeout}\n` : ''}`;
  }
  const STEP = (step: string): string => `  deploy:
    stages:
      - name: Tidy
        hosts: [web]
        steps:
          - release: ${step}
`;

  it.each([
    ['release-flood', 'rollback', undefined, /read current on .*: printed more than 65536 bytes: stopped/],
    [
      'release-current-dotdot',
      'rollback',
      undefined,
      /answered which release is current with a release that is not the name of a directory in releases\//,
    ],
    [
      'release-forged-line',
      'switch',
      undefined,
      /release: switch on .*: printed a malformed bw-release: line/,
    ],
    ['release-flood', 'prune', '5s', /release: prune on .* timed out after 5s \(its deadline\)/],
    ['release-silence', 'prune', '3s', /release: prune on .* timed out after 3s \(its deadline\)/],
    [
      'release-silence',
      'rollback',
      '3s',
      /release: rollback: read current on .* timed out after 3s \(its deadline\)/,
    ],
  ] as const)(
    'a release-directory host that lies (%s, release: %s, releases.timeout %s): that host fails, naming it, within bounds',
    async (lie, step, timeout, why) => {
      const run = await release(lie, STEP(step), {}, await releasesTree(timeout));
      expectContained(run);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(why);
      // Nothing was rolled back, nor recorded as moved, on the strength of the lie.
      expect(run.stdout).not.toContain('nothing to roll back here');
      expect(run.reportText).toContain('"result"');
      expect(run.reportText).not.toMatch(/"release":\s*\{\s*"action"/);
      expect(run.ms).toBeLessThan(60_000);
    },
    90_000,
  );

  it('a poisoned releases.jsonl (ids like ../../outside, 20,000 lines, workflow commands) and current pointing outside: prune and rollback touch nothing outside the releases path', async () => {
    const base = join(fleet.scratchDir, `hostile-rel-${process.pid}-${++seq}`);
    const path = join(base, 'app');
    await mkdir(join(path, '.boerewors'), { recursive: true });
    await mkdir(join(path, 'releases', 'r1'), { recursive: true });
    await mkdir(join(base, 'outside'));
    await writeFile(join(base, 'outside', 'keep.txt'), 'mine');
    const line = (id: string, state: string): string =>
      JSON.stringify({
        id,
        state,
        run: 'x',
        time: '2026-01-01T00:00:00Z',
        who: '::error::forged',
        runUrl: '',
        previous: '../../outside',
      });
    const history = [
      line('r1', 'live'),
      ...Array.from({ length: 20_000 }, (_, i) =>
        line(i % 2 ? '../../outside' : `::error::forged${i}`, i % 3 ? 'live' : 'prepared'),
      ),
    ];
    await writeFile(join(path, '.boerewors', 'releases.jsonl'), `${history.join('\n')}\n`);
    await symlink(join(base, 'outside'), join(path, 'current'));
    for (const dir of [
      base,
      path,
      join(path, '.boerewors'),
      join(path, 'releases'),
      join(path, 'releases', 'r1'),
    ])
      await chmod(dir, 0o777);
    await chmod(join(path, '.boerewors', 'releases.jsonl'), 0o666);
    const run = await release(
      'honest',
      `  deploy:
    stages:
      - name: Tidy
        hosts: [web]
        steps:
          - release: prune
          - release: rollback
`,
      {},
      `releases:\n  path: ${path}\n  keep: 1\n`,
    );
    expectContained(run);
    expect(run.ms).toBeLessThan(60_000);
    // Both steps ran: prune removed nothing it could not name, rollback found no current to go back from.
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/pruned 0; releases\/ holds: r1/);
    expect(run.stdout).toMatch(/current does not point into .*: nothing to roll back/);
    expect(run.stdout).toMatch(/failed at step "release: rollback"/);
    expect(await readdir(join(path, 'releases'))).toEqual(['r1']);
    expect(await readdir(join(base, 'outside'))).toEqual(['keep.txt']);
    expect(await readFile(join(base, 'outside', 'keep.txt'), 'utf8')).toBe('mine');
  }, 90_000);

  it('steps printing workflow commands, terminal escapes and 100 MB without a newline: labelled, flattened, bounded', async () => {
    const run = await release(
      'honest',
      `  deploy:
    stages:
      - name: Ship
        hosts: [web]
        steps:
          - run: |
              printf '::error::forged\\n  ::warning::forged\\n##[error]forged\\n\\033]0;owned\\007\\033[2J\\n'
              head -c 100000000 /dev/zero | tr '\\0' A
              exit 3
`,
    );
    expectContained(run);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('exit code 3');
  }, 90_000);
});
