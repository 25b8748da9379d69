/**
 * The deploy lock end to end: the built CLI against a real OpenSSH server, several controllers at
 * once. Every test has a lock name of its own (suites and worktrees share the login user's
 * ~/.boerewors/locks) and its own scratch directory on the host for the markers its steps write.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BIN, runCli, tempDir, type CliRun } from '../support/cli.js';
import { waitUntil } from '../support/sshd-fixtures.js';
import { loginHome } from '../support/sshd-user.js';
import { fleetConfigHead, useSshdFleet } from '../support/ssh-release-fixture.js';

const fleet = useSshdFleet({ count: 1 });

let seq = 0;

interface Setup {
  cfg: string;
  /** Markers the steps write, on the host (the same machine). */
  mark: string;
  name: string;
  /** The lock directory on the lock host. */
  lockDir: string;
  dir: string;
}

/**
 * A config whose one stage appends to `mark/ran` on the sshd host and, with `--var HOLD=1`, prints
 * `holding` and waits (at most 60 s) for `mark/go`.
 */
async function setup(lockExtra = '', extraHosts = ''): Promise<Setup> {
  const dir = await tempDir('bw-lock-');
  const name = `cli-lock-${process.pid}-${Date.now()}-${++seq}`;
  const mark = join(fleet.scratchDir, name);
  await mkdir(mark, { recursive: true, mode: 0o777 });
  const { chmod } = await import('node:fs/promises');
  await chmod(mark, 0o777);
  const h = fleet.hosts[0]!;
  const cfg = join(dir, 'release.yml');
  await writeFile(
    cfg,
    `${fleetConfigHead(fleet, {
      hosts: [h],
      lock: `{ name: ${name}${lockExtra} }`,
      moreHosts: extraHosts,
      vars: { MARK: mark, HOLD: '', SLEEP: '0' },
    })}runners:
  deploy:
    stages:
      - name: Work
        hosts: [web]
        steps:
          - run: |
              echo "ran $BW_RELEASE token=\${#BW_LOCK_TOKEN}" >> "$MARK/ran"
              sleep "$SLEEP"
              if [ -n "$HOLD" ]; then
                echo holding
                i=0
                while [ ! -e "$MARK/go" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
              fi
`,
  );
  return { cfg, mark, name, dir, lockDir: join(loginHome(fleet.user), '.boerewors/locks', name) };
}

const ran = (s: Setup): string[] =>
  existsSync(join(s.mark, 'ran')) ? readFileSync(join(s.mark, 'ran'), 'utf8').trim().split('\n') : [];

/** Starts a run that holds the lock until `mark/go` exists; resolves once its step is running. */
async function holder(
  s: Setup,
  env: NodeJS.ProcessEnv = {},
  args: readonly string[] = [],
): Promise<{ done: Promise<CliRun>; child: ChildProcess }> {
  let child: ChildProcess | undefined;
  let holding: () => void = () => {};
  const started = new Promise<void>((resolve) => (holding = resolve));
  const done = runCli(['run', '-c', s.cfg, '--var', 'HOLD=1', ...args], {
    timeoutMs: 90_000,
    env,
    onStdout: (text, c) => {
      child = c;
      if (text.includes('│ holding')) holding();
    },
  });
  await Promise.race([
    started,
    done.then((r) => {
      throw new Error(`the holder ended before holding the lock: ${r.stdout}${r.stderr}`);
    }),
  ]);
  return { done, child: child as ChildProcess };
}

const report = (file: string): Record<string, unknown> & { lock?: Record<string, unknown> } =>
  JSON.parse(readFileSync(file, 'utf8'));

const GITHUB = {
  GITHUB_ACTOR: 'alice',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_RUN_ID: '4242',
  GITHUB_SERVER_URL: 'https://github.com',
};

describe('the deploy lock over ssh (built CLI, real sshd)', () => {
  it('two runs at once: the second runs nothing, exits 1 and names the holder; a waiting run gets it when the first is done', async () => {
    const s = await setup();
    const a = await holder(s, GITHUB);
    expect(existsSync(s.lockDir)).toBe(true);
    expect(JSON.parse(readFileSync(join(s.lockDir, 'owner.json'), 'utf8'))).toMatchObject({
      who: 'alice',
      runner: 'deploy',
      runUrl: 'https://github.com/acme/shop/actions/runs/4242',
      pid: a.child.pid,
    });

    const refusedReport = join(s.dir, 'refused.json');
    const refused = await runCli(['run', '-c', s.cfg, '--report', refusedReport], { timeoutMs: 60_000 });
    expect(refused.code).toBe(1);
    const said = refused.stdout + refused.stderr;
    expect(said).toContain(`deploy lock "${s.name}" on h0 is held by alice (runner deploy, release `);
    expect(said).toContain('run https://github.com/acme/shop/actions/runs/4242');
    expect(said).toContain('Nothing ran.');
    const json = report(refusedReport);
    expect(json.result).toBe('failure');
    expect(json.stages).toEqual([]);
    expect(json.lock).toEqual({
      name: s.name,
      host: 'h0',
      state: 'refused',
      heldBy: 'alice',
      since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      runUrl: 'https://github.com/acme/shop/actions/runs/4242',
    });
    expect(ran(s)).toHaveLength(1);
    // The refused run did not release the holder's lock.
    expect(existsSync(s.lockDir)).toBe(true);

    // A run that waits: it says so, and goes on once the holder is done.
    let waitingSeen: () => void = () => {};
    const waitingLine = new Promise<void>((resolve) => (waitingSeen = resolve));
    const waiter = runCli(['run', '-c', s.cfg, '--lock-wait', '60s'], {
      timeoutMs: 90_000,
      onStdout: (text) => {
        if (text.includes('waiting up to')) waitingSeen();
      },
    });
    await waitingLine;
    expect(ran(s)).toHaveLength(1);
    await writeFile(join(s.mark, 'go'), '');
    const [first, second] = await Promise.all([a.done, waiter]);
    expect(first.code).toBe(0);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(ran(s)).toHaveLength(2);
    expect(existsSync(s.lockDir)).toBe(false);
    // And a run after them both simply takes it.
    expect((await runCli(['run', '-c', s.cfg], { timeoutMs: 60_000 })).code).toBe(0);
    expect(ran(s)).toHaveLength(3);
  }, 150_000);

  it('a cancelled run releases its lock on the way out', async () => {
    const s = await setup();
    const a = await holder(s);
    expect(existsSync(s.lockDir)).toBe(true);
    const signalled = Date.now();
    a.child.kill('SIGINT');
    const r = await a.done;
    // Released inside the cancel budget: the whole exit, lock included, well within GitHub's 7.5 s.
    expect(Date.now() - signalled).toBeLessThan(8000);
    await writeFile(join(s.mark, 'go'), '');
    expect(r.code).toBe(130);
    expect(r.stdout).toContain(`🔓 deploy lock "${s.name}" on h0 released`);
    expect(existsSync(s.lockDir)).toBe(false);
  }, 90_000);

  it('the heartbeat keeps a long run’s lock fresh; a SIGKILLed holder goes stale and a waiting run takes it over', async () => {
    // stale-after 6 s: a beat every 2 s, so a loaded machine may miss two before the lock looks
    // stale to the fresh run below (at 2 s the beats were 666 ms apart: one exec over SSH slowed
    // by load could let it look stale).
    const s = await setup(', stale-after: 6s');
    const a = await holder(s);
    // The holder has held it for longer than stale-after, refreshing its heartbeat meanwhile.
    const mtime = (f: string): number => statSync(join(s.lockDir, f)).mtimeMs;
    await waitUntil(() => mtime('heartbeat') - mtime('owner.json') >= 6500, 30_000, 'a refreshed heartbeat');
    const fresh = await runCli(['run', '-c', s.cfg], { timeoutMs: 60_000 });
    expect(fresh.code).toBe(1);
    expect(fresh.stdout + fresh.stderr).toContain('is held by');

    a.child.kill('SIGKILL');
    await a.done;
    const takeoverReport = join(s.dir, 'takeover.json');
    const taker = await runCli(['run', '-c', s.cfg, '--lock-wait', '30s', '--report', takeoverReport], {
      timeoutMs: 60_000,
    });
    await writeFile(join(s.mark, 'go'), '');
    expect(taker.code).toBe(0);
    expect(taker.stdout + taker.stderr).toMatch(
      new RegExp(`took over the stale deploy lock "${s.name}" on h0: its holder \\S+ \\(runner deploy`),
    );
    expect(report(takeoverReport).lock).toMatchObject({ name: s.name, state: 'taken-over' });
    expect(existsSync(s.lockDir)).toBe(false);
  }, 120_000);

  it('lock status|acquire|release by hand; runs given its BW_LOCK_TOKEN re-enter it and leave it held', async () => {
    // A short stale-after: the heartbeat would beat several times during the re-entering run.
    const s = await setup(', stale-after: 1s');
    const lock = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
      runCli(['lock', ...args, '-c', s.cfg], { timeoutMs: 60_000, env });

    const free = await lock(['status']);
    expect(free.code).toBe(0);
    expect(free.stdout).toBe(
      `free: no deploy lock "${s.name}" on h0 (~/.boerewors/locks/${s.name} on h0 (${fleet.user}@${fleet.hosts[0]!.address}:${fleet.hosts[0]!.port}))\n`,
    );

    const taken = await lock(['acquire', '-m', 'database migration']);
    expect(taken.code).toBe(0);
    const token = taken.stdout.trim();
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const held = await lock(['status']);
    expect(held.stdout).toMatch(
      /^held: deploy lock "\S+" on h0 by \S+ \(taken by hand, "database migration"/,
    );
    expect(held.stdout).toContain('taken by hand: it never goes stale');

    // A run without the token is refused and told why the lock is held.
    const refused = await runCli(['run', '-c', s.cfg], { timeoutMs: 60_000 });
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain('"database migration"');
    expect(ran(s)).toEqual([]);

    // With the token it re-enters, its steps see it, and the lock stays held after it.
    const reportFile = join(s.dir, 'r.json');
    const nested = await runCli(['run', '-c', s.cfg, '--report', reportFile, '--var', 'SLEEP=2'], {
      timeoutMs: 60_000,
      env: { BW_LOCK_TOKEN: token },
    });
    expect(nested.code).toBe(0);
    // It left the heartbeat to the holder (it has no token of its own in the lock to beat with).
    expect(nested.stdout + nested.stderr).not.toContain('no longer ours');
    expect(report(reportFile).lock).toEqual({ name: s.name, host: 'h0', state: 'reentered' });
    expect(ran(s)).toEqual([expect.stringMatching(/ token=32$/)]);
    expect(existsSync(s.lockDir)).toBe(true);

    // release: needs the token (or --force); a wrong one is refused and leaves it.
    const bare = await lock(['release']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("give the lock's token in BW_LOCK_TOKEN");
    const wrong = await lock(['release'], { BW_LOCK_TOKEN: 'f'.repeat(32) });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('not with this BW_LOCK_TOKEN: left in place');
    expect(existsSync(s.lockDir)).toBe(true);
    const released = await lock(['release'], { BW_LOCK_TOKEN: token });
    expect(released.code).toBe(0);
    expect(released.stdout).toContain(`released: deploy lock "${s.name}" on h0`);
    expect(existsSync(s.lockDir)).toBe(false);

    // --force removes anyone's.
    expect((await lock(['acquire'])).code).toBe(0);
    const forced = await lock(['release', '--force']);
    expect(forced.code).toBe(0);
    expect(existsSync(s.lockDir)).toBe(false);
  }, 150_000);

  it('a run started by a step of a run re-enters its lock through BW_LOCK_TOKEN', async () => {
    const s = await setup();
    const h = fleet.hosts[0]!;
    const cfg = join(s.dir, 'nested.yml');
    await writeFile(
      cfg,
      `${fleetConfigHead(fleet, {
        hosts: [h],
        lock: `{ name: ${s.name} }`,
        connectTimeout: null,
        vars: { MARK: s.mark, BIN, CFG: cfg },
      })}runners:
  outer:
    stages:
      - name: Outer
        hosts: [web]
        steps:
          - local: node "$BIN" run -c "$CFG" -r inner
  inner:
    stages:
      - name: Inner
        hosts: [web]
        steps:
          - run: echo "inner ran" >> "$MARK/ran"
`,
    );
    const reportFile = join(s.dir, 'outer.json');
    const r = await runCli(['run', '-c', cfg, '-r', 'outer', '--report', reportFile], { timeoutMs: 90_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`re-entered with BW_LOCK_TOKEN`);
    expect(ran(s)).toEqual(['inner ran']);
    expect(report(reportFile).lock).toEqual({ name: s.name, host: h.name, state: 'acquired' });
    expect(existsSync(s.lockDir)).toBe(false);
  }, 90_000);

  it('an unreachable lock host fails the run before any stage, naming user@host:port', async () => {
    const port = await closedPort();
    const s = await setup(', host: gone', `  spare: [{ name: gone, address: 127.0.0.1, port: ${port} }]`);
    const r = await runCli(['run', '-c', s.cfg], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    const said = r.stdout + r.stderr;
    expect(said).toContain(`deploy lock "${s.name}" on gone: could not reach the lock host`);
    expect(said).toContain(`${fleet.user}@127.0.0.1:${port}`);
    expect(said).toContain('Nothing ran');
    expect(ran(s)).toEqual([]);
  }, 60_000);
});

/** A loopback port nothing listens on (it was just free). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
