/**
 * The OpenSSH client when a host cannot be reached, and under load, against loopback only: a port
 * nobody listens on (connection refused) and a server that accepts and never speaks (timeout) are
 * connect errors naming `user@host:port`; `max-sessions` bounds the sessions open at once through
 * one master.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { ConnectError } from '../../../src/contract/errors.js';
import { createOpensshTransport } from '../../../src/transport/openssh/openssh.js';
import { useSshdFleet } from '../../support/ssh-release-fixture.js';
import { collect, fleetOptions, hostOf, script, waitUntil, within } from '../../support/sshd-fixtures.js';
import { noChildSsh } from '../../support/openssh-support.js';

const fleet = useSshdFleet({ count: 1 });
afterEach(() => noChildSsh());

/** A loopback server; `silent` accepts and never writes (an SSH server that never sends its banner). */
function listen(silent: boolean): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    if (!silent) s.destroy();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as { port: number }).port, sockets }),
    ),
  );
}

async function connectError(port: number, connectTimeoutMs = 5000): Promise<Error> {
  const t = createOpensshTransport(fleetOptions(fleet, { connectTimeoutMs }));
  try {
    const host = { name: 'gone', address: '127.0.0.1', port, local: false };
    return await within(
      t.exec(host, script('echo ran'), collect()).then(
        () => new Error('connected'),
        (e: unknown) => e as Error,
      ),
      20_000,
      'the connect error',
    );
  } finally {
    await t.close();
  }
}

it('a port nobody listens on: connection refused, naming user@host:port', async () => {
  // Bound and closed again: free, and nothing listens there.
  const { server, port } = await listen(false);
  await new Promise((r) => server.close(r));
  const err = await connectError(port);
  expect(err).toBeInstanceOf(ConnectError);
  expect(err.message).toContain(`${fleet.user}@127.0.0.1:${port}: connection refused`);
});

it('a server that accepts and never speaks: a timeout within twice connect-timeout, naming user@host:port', async () => {
  const { server, port, sockets } = await listen(true);
  try {
    const started = Date.now();
    const err = await connectError(port, 1000);
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.message).toContain(`${fleet.user}@127.0.0.1:${port}: `);
    expect(err.message).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(2000 + 3000);
    expect(sockets.length).toBeGreaterThan(0);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
});

it('max-sessions: a third step through the master starts only once one of the first two has ended', async () => {
  // In the fleet's scratch directory (removed with the fleet): the login user writes there.
  const dir = join(fleet.scratchDir, `max-sessions-${process.pid}`);
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  const log = join(dir, 'sessions.log');
  writeFileSync(log, '');
  chmodSync(log, 0o666);
  const t = createOpensshTransport(fleetOptions(fleet, { maxSessions: 2 }));
  const h0 = hostOf(fleet.hosts[0]!);
  // Each step logs its start, waits (bounded, 20 s) for its own go file, then logs its end.
  const step = (n: number) =>
    script(
      `echo "start ${n}" >> ${log}; i=0; while [ ! -e ${dir}/go-${n} ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; echo "end ${n}" >> ${log}`,
    );
  const lines = (): string[] => readFileSync(log, 'utf8').split('\n').filter(Boolean);
  let runs: Promise<unknown>[] = [];
  try {
    // Connected first, so the three steps race for sessions only.
    await t.exec(h0, script('true'), collect());
    runs = [1, 2, 3].map((n) => t.exec(h0, step(n), collect()));
    await waitUntil(
      () => lines().filter((l) => l.startsWith('start')).length >= 2,
      10_000,
      'two steps to start',
    );
    const first = lines()[0]!.replace('start ', '');
    writeFileSync(join(dir, `go-${first}`), '');
    await waitUntil(
      () => lines().filter((l) => l.startsWith('start')).length === 3,
      10_000,
      'the third step',
    );
    const third = lines()
      .filter((l) => l.startsWith('start'))
      .at(-1)!
      .replace('start ', '');
    for (const n of [1, 2, 3]) if (!existsSync(join(dir, `go-${n}`))) writeFileSync(join(dir, `go-${n}`), '');
    await Promise.all(runs);
    const order = lines();
    // The third started after the one let go had ended, never alongside the first two.
    expect(order.indexOf(`start ${third}`)).toBeGreaterThan(order.indexOf(`end ${first}`));
  } finally {
    for (const n of [1, 2, 3]) writeFileSync(join(dir, `go-${n}`), '');
    await Promise.allSettled(runs);
    await t.close();
  }
});

it('accept-new with no known-hosts file: trusted for the run only, with a warning; ~/.ssh/known_hosts untouched', async () => {
  const host = fleet.hosts[0]!;
  // OpenSSH's default UserKnownHostsFile is in the account's home (from passwd, not $HOME).
  const userFile = join(userInfo().homedir, '.ssh', 'known_hosts');
  const entry = `[127.0.0.1]:${host.port} `;
  const ours = (): string[] =>
    existsSync(userFile)
      ? readFileSync(userFile, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith(entry))
      : [];
  const existedBefore = existsSync(userFile);
  const warnings: string[] = [];
  const t = createOpensshTransport(
    fleetOptions(fleet, { hostKeyChecking: 'accept-new', knownHostsPaths: [] }),
    { onWarning: (m) => warnings.push(m) },
  );
  try {
    const ctx = collect();
    await expect(t.exec(hostOf(host), script('echo accepted'), ctx)).resolves.toMatchObject({ exitCode: 0 });
    expect(ctx.stdout()).toEqual(['accepted']);
    expect(ours()).toEqual([]);
    expect(warnings.join('\n')).toContain('a new host key is trusted for this run only');
  } finally {
    await t.close();
    // Should OpenSSH have written there after all, take back only what it wrote for this host.
    if (ours().length > 0) {
      const rest = readFileSync(userFile, 'utf8')
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith(entry));
      if (rest.length === 0 && !existedBefore) rmSync(userFile);
      else writeFileSync(userFile, rest.map((l) => `${l}\n`).join(''));
    }
  }
});
