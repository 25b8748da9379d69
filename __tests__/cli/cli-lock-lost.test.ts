/**
 * The deploy lock's unhappy paths end to end (built CLI, real sshd): another run takes the lock
 * away while a run holds it, the lock is removed under it, its heartbeat fails, its release gets
 * no answer. The lock host is the sshd host reached through a loopback proxy the test can cut or
 * freeze, while the steps run on it directly.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir, type CliRun } from '../support/cli.js';
import { waitUntil } from '../support/sshd-fixtures.js';
import { loginHome } from '../support/sshd-user.js';
import { fleetConfigHead, useSshdFleet } from '../support/ssh-release-fixture.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const fleet = useSshdFleet({ count: 1 });

let proxy: TcpProxy;
let dir = '';
let knownHosts = '';
beforeAll(async () => {
  proxy = await startTcpProxy(fleet.hosts[0]!.port);
  dir = await tempDir('bw-lock-lost-');
  // The lock host is the same sshd at the proxy's port: its key, under that port too.
  const h = fleet.hosts[0]!;
  knownHosts = join(dir, 'known_hosts');
  await writeFile(
    knownHosts,
    (await readFile(fleet.knownHostsPath, 'utf8')) + `[127.0.0.1]:${proxy.port} ${h.hostPublicKey}\n`,
  );
});
afterAll(async () => {
  await proxy?.close();
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;
const locks: string[] = [];
afterEach(async () => {
  for (const l of locks.splice(0)) await rm(l, { recursive: true, force: true });
});

interface Run {
  name: string;
  lockDir: string;
  mark: string;
  /** stdout and stderr so far. */
  said: () => string;
  done: Promise<CliRun>;
}

/** Starts a run holding the lock `stale-after` on the proxied lock host until `mark/go`; resolves once its step runs. */
async function holdingRun(staleAfter: string): Promise<Run> {
  const name = `cli-lock-lost-${process.pid}-${Date.now()}-${++seq}`;
  const mark = join(fleet.scratchDir, name);
  await mkdir(mark);
  await chmod(mark, 0o777);
  const lockDir = join(loginHome(fleet.user), '.boerewors/locks', name);
  locks.push(lockDir, mark);
  const cfg = join(dir, `${name}.yml`);
  await writeFile(
    cfg,
    `${fleetConfigHead(fleet, {
      hosts: [fleet.hosts[0]!],
      lock: `{ name: ${name}, host: lockhost, stale-after: ${staleAfter} }`,
      moreHosts: `  spare: [{ name: lockhost, address: 127.0.0.1, port: ${proxy.port} }]`,
      ssh: { 'known-hosts': knownHosts },
      connectTimeout: null,
      vars: { MARK: mark },
    })}runners:
  deploy:
    stages:
      - name: Work
        hosts: [web]
        steps:
          - run: |
              echo holding
              i=0
              while [ ! -e "$MARK/go" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
`,
  );
  let stdout = '';
  let stderr = '';
  const done = runCli(['run', '-c', cfg], {
    timeoutMs: 90_000,
    onStdout: (text) => (stdout = text),
    onStderr: (text) => (stderr = text),
  });
  const said = (): string => `${stdout}\n${stderr}`;
  await Promise.race([
    waitUntil(() => said().includes('│ holding'), 60_000, 'the step holding the lock'),
    done.then((r) => {
      throw new Error(`the run ended before holding the lock: ${r.stdout}${r.stderr}`);
    }),
  ]);
  return { name, lockDir, mark, said, done };
}

const intruder = '{"token":"intruderTOKEN42","who":"intruder","runner":"deploy","host":"elsewhere","pid":7}';
const mtime = (file: string): number => statSync(file).mtimeMs;
const go = (run: Run): Promise<void> => writeFile(join(run.mark, 'go'), '');

describe('the deploy lock taken away, lost, unreachable (built CLI, real sshd)', () => {
  it('another run takes the lock: the holder warns, stops its heartbeat, and says at the end it was not released', async () => {
    // stale-after 3 s: a heartbeat every second.
    const run = await holdingRun('3s');
    const ownerFile = join(run.lockDir, 'owner.json');
    const ours = readFileSync(ownerFile, 'utf8');
    await writeFile(ownerFile, intruder + '\n');
    await waitUntil(() => run.said().includes('is no longer ours'), 30_000, 'the lost-lock warning');
    expect(run.said()).toContain(
      `deploy lock "${run.name}" on lockhost is no longer ours: now held by intruder (runner deploy`,
    );
    expect(run.said()).toContain('another run may be deploying at the same time');

    // Its heartbeat has stopped: with our own owner.json back, three beats' time refreshes nothing.
    await writeFile(ownerFile, ours);
    const heartbeat = join(run.lockDir, 'heartbeat');
    const old = Date.now() / 1000 - 1000;
    await utimes(heartbeat, old, old);
    await new Promise((r) => setTimeout(r, 3500));
    expect(Math.round(mtime(heartbeat) / 1000)).toBe(Math.round(old));

    await writeFile(ownerFile, intruder + '\n');
    await go(run);
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(run.said()).toContain(
      `deploy lock "${run.name}" on lockhost was not released: it is now held by intruder (runner deploy`,
    );
    expect(run.said()).not.toContain('🔓');
    // The intruder's lock is left alone.
    expect(readFileSync(ownerFile, 'utf8')).toBe(intruder + '\n');
  }, 120_000);

  it('a lock removed under a run: the end of the run says it was already gone', async () => {
    // The default heartbeat (every 30 s) does not notice within this run.
    const run = await holdingRun('10m');
    await rm(run.lockDir, { recursive: true });
    await go(run);
    expect((await run.done).code).toBe(0);
    expect(run.said()).toContain(
      `deploy lock "${run.name}" on lockhost was already gone at the end of the run`,
    );
    expect(existsSync(run.lockDir)).toBe(false);
  }, 120_000);

  // Last: it leaves the proxy frozen.
  it('a heartbeat that fails is a warning and is tried again; a release with no answer gives up within its 10 s', async () => {
    const run = await holdingRun('3s');
    const heartbeat = join(run.lockDir, 'heartbeat');
    proxy.cut(true);
    await waitUntil(() => run.said().includes('heartbeat failed'), 30_000, 'the heartbeat warning');
    expect(run.said()).toContain(
      `deploy lock "${run.name}" on lockhost: heartbeat failed (tried again in a moment): `,
    );
    // Tried again: once the lock host answers again, the heartbeat is refreshed.
    proxy.cut(false);
    const old = Date.now() / 1000 - 1000;
    await utimes(heartbeat, old, old);
    await waitUntil(() => mtime(heartbeat) / 1000 > old + 500, 30_000, 'a heartbeat after the failure');

    proxy.freeze();
    const frozenAt = Date.now();
    await go(run);
    const r = await run.done;
    expect(Date.now() - frozenAt).toBeLessThan(30_000);
    expect(r.code).toBe(0);
    expect(run.said()).toContain(
      `deploy lock "${run.name}" on lockhost could not be released (no answer within 10 s): it goes stale 3 s after its last heartbeat, or \`boerewors lock release --force\` removes it now`,
    );
    expect(existsSync(run.lockDir)).toBe(true);
  }, 120_000);
});
