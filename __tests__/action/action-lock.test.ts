/**
 * The action's lock mode as a sharded workflow uses it, with the bundled action against a real
 * sshd: a first job takes the deploy lock (`lock: acquire`) and hands its token on as an output;
 * the canary and shard jobs re-enter it (`lock-token`); a second release is refused while it is
 * held; the last job releases it (`lock: release`). Every test has a lock name of its own (suites
 * and worktrees share the login user's ~/.boerewors/locks).
 */
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../support/cli.js';
import { loginHome } from '../support/sshd-user.js';
import { fleetConfigHead, useActionFleet, writeWorkspaceConfig } from '../support/ssh-release-fixture.js';
import { annotationsOf, maskCommands, runAction, type ActionRun } from './action-harness.js';

const suite = useActionFleet({ count: 2 }, 30_000);
const fleet = suite.fleet;

const names = ['web-1', 'web-2'];
const GITHUB = {
  GITHUB_ACTOR: 'alice',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_RUN_ID: '7007',
  GITHUB_SERVER_URL: 'https://github.example',
};

interface Setup {
  ws: string;
  /** Where the steps write `<host>` files with the token length they saw. */
  root: string;
  name: string;
  lockDir: string;
}

let seq = 0;

/** A checked-out repository whose config has a deploy lock of its own name on web-1. */
async function setUp(): Promise<Setup> {
  const name = `action-lock-${process.pid}-${Date.now()}-${++seq}`;
  const root = join(fleet.scratchDir, name);
  await mkdir(root);
  await chmod(root, 0o777); // the hosts' login user writes here
  const ws = await tempDir('bw-ws-lock-');
  await writeWorkspaceConfig(
    ws,
    `${fleetConfigHead(fleet, { names, lock: `{ name: ${name} }`, credentials: 'inputs', vars: { ROOT: root } })}runners:
  deploy:
    stages:
      - name: Ship
        hosts: [web]
        steps:
          - run: echo "token ${'$'}{#BW_LOCK_TOKEN}" >> "$ROOT/$BW_HOST"
`,
  );
  return { ws, root, name, lockDir: join(loginHome(fleet.user), '.boerewors/locks', name) };
}

/** One job of the workflow run, with the deploy key and known hosts as every job has them. */
function job(s: Setup, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({
    actionDir: suite.actionDir,
    workspace: s.ws,
    inputs: { ...suite.sshInputs, ...inputs },
    env: { ...GITHUB, ...env },
  });
}

const said = (r: ActionRun): string => r.stdout + r.stderr;

describe('the action: lock acquire / release around a sharded release', () => {
  it('acquire → the canary and shard jobs re-enter with lock-token → another release and a second acquire are refused, naming the holder → release → free', async () => {
    const s = await setUp();
    const taken = await job(s, { lock: 'acquire', 'lock-message': 'release v1.2 (sharded)' });
    expect(said(taken)).not.toContain('::error');
    expect(taken.code).toBe(0);
    const token = taken.outputs['lock-token'] ?? '';
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    // An output, never in the log, and not masked: GitHub drops a job output holding a masked value.
    expect(taken.stdout).not.toContain(token);
    expect(maskCommands(taken.stdout)).not.toContain(token);
    expect(taken.outputs.result).toBe('success');
    expect(taken.stdout).toContain(`🔒 deploy lock "${s.name}" on web-1 taken by hand`);
    expect(taken.summary).toContain(`Deploy lock &quot;${s.name}&quot; on web-1 taken for this workflow run`);
    expect(JSON.parse(readFileSync(join(s.lockDir, 'owner.json'), 'utf8'))).toMatchObject({
      token,
      who: 'alice',
      manual: true,
      message: 'release v1.2 (sharded)',
      runUrl: 'https://github.example/acme/shop/actions/runs/7007',
    });

    const canary = await job(s, { 'canary-only': 'true', 'lock-token': token });
    expect(canary.code).toBe(0);
    expect(JSON.parse(canary.reportText).lock).toEqual({ name: s.name, host: 'web-1', state: 'reentered' });
    const shard = await job(s, { shard: '1/1', 'lock-token': token });
    expect(shard.code).toBe(0);
    expect(shard.stdout).toContain(`deploy lock "${s.name}" on web-1 re-entered with the "lock-token" input`);
    expect(JSON.parse(shard.reportText).lock).toMatchObject({ state: 'reentered' });
    // Both hosts ran once, each step with the lock's token in BW_LOCK_TOKEN.
    for (const host of names)
      expect(await readFile(join(s.root, host), 'utf8')).toBe(`token ${token.length}\n`);
    // Re-entering leaves the lock with its holder.
    expect(existsSync(s.lockDir)).toBe(true);

    const other = await job(s, {}, { GITHUB_ACTOR: 'bob', GITHUB_RUN_ID: '7008' });
    expect(other.code).toBe(1);
    expect(other.stdout).toContain(`deploy lock "${s.name}" on web-1 is held by alice`);
    // In the action's words, and true to a lock taken by hand: it never goes stale.
    expect(other.stdout).toContain(
      'Wait for it (lock.wait, the "lock-wait" input); a lock taken by hand never goes stale: ' +
        'it is held until a "lock: release" step with its token removes it',
    );
    expect(other.stdout).not.toMatch(/--lock-wait|boerewors lock status|taken over after/);
    const again = await job(s, { lock: 'acquire' }, { GITHUB_ACTOR: 'bob', GITHUB_RUN_ID: '7008' });
    expect(again.code).toBe(1);
    expect(again.outputs['lock-token']).toBe('');
    expect(again.outputs.result).toBe('failure');
    const refusal = annotationsOf(again.stdout, 'error')
      .map((a) => a.message)
      .join('\n');
    expect(refusal).toContain(`deploy lock "${s.name}" on web-1 is held by alice`);
    expect(refusal).toContain('"release v1.2 (sharded)"');
    expect(refusal).toContain('https://github.example/acme/shop/actions/runs/7007');
    expect(again.summary).toContain('is held by alice');

    const released = await job(s, { lock: 'release', 'lock-token': token });
    expect(said(released)).not.toContain('::error');
    expect(released.code).toBe(0);
    expect(released.stdout).toContain(`released: deploy lock "${s.name}" on web-1, held by alice`);
    expect(existsSync(s.lockDir)).toBe(false);
    const status = await job(s, { lock: 'status' });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`free: no deploy lock "${s.name}" on web-1`);
    // A shard re-run after the release finds no lock to re-enter: it takes one of its own while it runs.
    const rerun = await job(s, { shard: '1/1', 'lock-token': token });
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.reportText).lock).toMatchObject({ state: 'acquired' });
    expect(existsSync(s.lockDir)).toBe(false);
    // Released twice (a re-run of the last job): a warning, not a failure.
    const twice = await job(s, { lock: 'release', 'lock-token': token });
    expect(twice.code).toBe(0);
    expect(annotationsOf(twice.stdout, 'warning').map((a) => a.message)).toEqual([
      `free: no deploy lock "${s.name}" on web-1 to release: released already, or never taken`,
    ]);
  }, 90_000);

  it('a release with a wrong token is refused and leaves the lock; a part given no token runs without it and says how to give one', async () => {
    const s = await setUp();
    const taken = await job(s, { lock: 'acquire' });
    expect(taken.code).toBe(0);
    const token = taken.outputs['lock-token'] ?? '';
    const wrong = await job(s, { lock: 'release', 'lock-token': 'f'.repeat(32) });
    expect(wrong.code).toBe(1);
    expect(wrong.outputs.result).toBe('failure');
    const [refusal, ...more] = annotationsOf(wrong.stdout, 'error').map((a) => a.message);
    expect(more).toEqual([]);
    expect(refusal).toMatch(
      new RegExp(`^deploy lock "${s.name}" on web-1 is held by alice \\(taken by hand, `),
    );
    expect(refusal).toMatch(
      /, not with this "lock-token": left in place \("boerewors lock release --force" removes it\)$/,
    );
    expect(JSON.parse(readFileSync(join(s.lockDir, 'owner.json'), 'utf8')).token).toBe(token);

    const bare = await job(s, { 'canary-only': 'true' });
    expect(bare.code).toBe(0);
    expect(bare.stdout).toContain(
      'give every part the token of "lock: acquire" in the "lock-token" input to hold one lock across them',
    );
    expect(JSON.parse(bare.reportText).lock).toBeUndefined();

    expect((await job(s, { lock: 'release', 'lock-token': token })).code).toBe(0);
    expect(existsSync(s.lockDir)).toBe(false);
  }, 90_000);

  it('bad input exits 2 and touches no lock: release without a token, an unknown action, a release input beside lock, a malformed token', async () => {
    const s = await setUp();
    const cases: [Record<string, string>, string][] = [
      [{ lock: 'release' }, 'Input "lock: release" needs "lock-token"'],
      [{ lock: 'take' }, 'Input "lock": expected status, acquire, release, got "take"'],
      [{ lock: 'acquire', shard: '1/2' }, 'Input "shard" cannot be used with "lock"'],
      [
        { lock: 'release', 'lock-message': 'x', 'lock-token': 'a'.repeat(32) },
        'Input "lock-message" is for "lock: acquire"',
      ],
      [{ 'lock-message': 'x' }, 'Input "lock-message" is for "lock: acquire"'],
      [{ 'lock-token': 'not a token!' }, 'Input "lock-token": expected a lock token'],
      [
        { 'merge-reports': 'reports/*.json', lock: 'release' },
        'Input "lock" cannot be used with "merge-reports"',
      ],
    ];
    for (const [inputs, message] of cases) {
      const r = await job(s, inputs);
      expect([
        r.code,
        annotationsOf(r.stdout, 'error')
          .map((a) => a.message)
          .join('\n'),
      ]).toEqual([2, expect.stringContaining(message)]);
      expect(r.stdout).not.toContain('not a token!');
    }
    expect(existsSync(s.lockDir)).toBe(false);

    // The merge job without actions/checkout: the config that names the lock's host is not there.
    const bare = await runAction({
      actionDir: suite.actionDir,
      workspace: await tempDir('bw-ws-empty-'),
      inputs: { lock: 'release', 'lock-token': 'a'.repeat(32) },
      env: GITHUB,
    });
    expect(bare.code).toBe(2);
    expect(
      annotationsOf(bare.stdout, 'error')
        .map((a) => a.message)
        .join('\n'),
    ).toContain('is the repository checked out (actions/checkout) before this step?');
  }, 90_000);
});
