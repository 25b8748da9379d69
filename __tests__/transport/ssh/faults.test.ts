/**
 * Real faults on real sshd processes: killed sessions, a frozen host, connections dropped while
 * idle, a server stricter than our channel limit; plus connection reuse counted in sshd's log.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectError, ConnectionLostError } from '../../../src/contract/errors.js';
import { CLOSE_WAIT_MS } from '../../../src/transport/ssh/connection.js';
import { createSshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { itNeedingSshd, itWithOpenSsh } from '../../support/conditional-tests.js';
import { sshdSupports, startSshdFleet, type SshdFleet } from '../../support/sshd.js';
import { collect, fleetOptions, hostOf, script, waitUntil, within } from '../../support/sshd-fixtures.js';
import { closedPort } from '../../support/sshd-net.js';
import { readPids, waitForExit } from '../../support/survivors.js';

const UNUSED_CONNECTION_TIMEOUT = await sshdSupports('UnusedConnectionTimeout', '1');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SSH faults on a four-host fleet', () => {
  let fleet: SshdFleet;
  beforeAll(async () => {
    fleet = await startSshdFleet({ count: 4 });
  }, 20_000);
  afterAll(() => fleet?.stop());

  it('three stages × two steps on four hosts cause exactly four logins', async () => {
    const transport = createSshTransport(fleetOptions(fleet));
    try {
      for (let stage = 0; stage < 3; stage++) {
        await Promise.all(
          fleet.hosts.map(async (h) => {
            for (let step = 0; step < 2; step++) {
              const r = await transport.exec(hostOf(h), script(`echo ${stage}.${step}`), collect());
              expect(r.exitCode).toBe(0);
            }
          }),
        );
      }
      const logins = await Promise.all(fleet.hosts.map((h) => h.logins()));
      expect(logins).toEqual([1, 1, 1, 1]);
    } finally {
      await transport.close();
    }
  }, 15_000);

  it('a host whose session processes are killed mid-command fails fast; the others finish', async () => {
    const transport = createSshTransport(fleetOptions(fleet));
    const marker = join(fleet.scratchDir, 'killed-session-marker');
    const pids = join(fleet.scratchDir, 'killed-session-pids');
    try {
      const started = Date.now();
      const runs = fleet.hosts.map((h, i) => {
        const out = collect();
        const cmd =
          i === 1
            ? `echo $$ >> ${pids}\necho started\nsleep 8\ntouch ${marker}`
            : 'echo started\nsleep 1\necho done';
        return { out, p: transport.exec(hostOf(h), script(cmd), out).catch((e: unknown) => e) };
      });
      await waitUntil(() => runs[1]!.out.stdout().includes('started'), 10_000, 'h1 to start');
      fleet.hosts[1]!.killSessions();
      const results = await Promise.all(runs.map((r) => r.p));
      expect(results[1]).toBeInstanceOf(ConnectionLostError);
      expect((results[1] as Error).message).toContain(`@127.0.0.1:${fleet.hosts[1]!.port}`);
      for (const i of [0, 2, 3]) expect(results[i]).toMatchObject({ exitCode: 0 });
      // A client that missed the drop would wait for keepalive (3 x 5 s, from the drop): 1.5x this
      // bound, which counts from before the four logins and leaves a loaded machine room for them.
      expect(Date.now() - started).toBeLessThan(10_000);
      // The lifeline closed with the connection: the orphaned command was terminated too. Had it
      // survived, it would end 8 s in by writing the marker.
      const shell = readPids(pids);
      expect(shell).toHaveLength(1);
      await waitForExit(shell, 15_000);
      expect(existsSync(marker)).toBe(false);
    } finally {
      await transport.close();
    }
  }, 30_000);

  it('a SIGSTOPped sshd is detected by keepalive within ~3 intervals', async () => {
    // Detection comes 2-3 intervals (2-3 s) after the freeze; as little as 1 if a keepalive was in
    // flight when sshd stopped. The bound is generous for a loaded machine and still tells the
    // configured interval from the 5 s default (15 s, 2x); without keepalive the step would hang
    // for its whole `sleep 30`. (At 300 ms a loaded sshd that answered late was taken for dead
    // before the freeze, or an in-flight keepalive made detection look early.)
    const keepaliveMs = 1000;
    const transport = createSshTransport(fleetOptions(fleet, { keepaliveMs }));
    const frozen = fleet.hosts[2]!;
    try {
      const out = collect();
      const p = transport
        .exec(hostOf(frozen), script('echo started\nsleep 30'), out)
        .catch((e: unknown) => e);
      await waitUntil(() => out.stdout().includes('started'), 10_000, 'the command to start');
      frozen.freeze();
      const stopped = Date.now();
      const result = await within(p, 20_000, 'keepalive to notice the frozen host');
      const detectedAfter = Date.now() - stopped;
      expect(result).toBeInstanceOf(ConnectionLostError);
      expect((result as Error).message).toMatch(/keepalive/);
      expect(detectedAfter).toBeGreaterThanOrEqual(keepaliveMs);
      expect(detectedAfter).toBeLessThan(7500);
    } finally {
      frozen.thaw();
      await transport.close();
    }
  }, 30_000);

  it('a connection the server dropped while idle is reopened once, transparently', async () => {
    const debug: string[] = [];
    const transport = createSshTransport(fleetOptions(fleet), { onDebug: (m) => debug.push(m) });
    const h = fleet.hosts[3]!;
    try {
      const before = await h.logins();
      expect((await transport.exec(hostOf(h), script('echo one'), collect())).exitCode).toBe(0);
      h.killSessions(); // no waiting: the client may or may not have noticed before the next step
      const out = collect();
      expect((await transport.exec(hostOf(h), script('echo two'), out)).exitCode).toBe(0);
      expect(out.stdout()).toEqual(['two']);
      expect(await h.logins()).toBe(before + 2);
      expect(debug.join('\n')).toMatch(/reconnect/);
    } finally {
      await transport.close();
    }
  }, 10_000);

  // With the in-process fallback the servers' own sockets live in this process too.
  itWithOpenSsh("the fallback servers' sockets live in this process")(
    'close() leaves no socket of ours behind',
    async () => {
      const tcp = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
      const baseline = tcp();
      const transport = createSshTransport(fleetOptions(fleet));
      await Promise.all(fleet.hosts.map((h) => transport.exec(hostOf(h), script('true'), collect())));
      expect(tcp()).toBeGreaterThanOrEqual(baseline + 4);
      await transport.close();
      await waitUntil(() => tcp() === baseline, 5000, 'sockets to close');
    },
    10_000,
  );

  itWithOpenSsh("the fallback servers' sockets live in this process")(
    'close() of a frozen host destroys its socket after a short grace instead of waiting forever',
    async () => {
      const tcp = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
      const baseline = tcp();
      const transport = createSshTransport(fleetOptions(fleet));
      const frozen = fleet.hosts[1]!;
      try {
        expect((await transport.exec(hostOf(frozen), script('true'), collect())).exitCode).toBe(0);
        frozen.freeze();
        const started = Date.now();
        // A close that waited for the frozen host would never end: give up on it after 10 s.
        const closed = await Promise.race([transport.close().then(() => true), sleep(10_000)]);
        expect(closed).toBe(true);
        expect(Date.now() - started).toBeLessThan(CLOSE_WAIT_MS + 3000);
        await waitUntil(() => tcp() === baseline, 5000, 'the socket to close');
      } finally {
        frozen.thaw();
      }
    },
    20_000,
  );

  it('with maxHandshakes 1 every host still connects', async () => {
    const transport = createSshTransport(fleetOptions(fleet, { maxHandshakes: 1 }));
    try {
      const results = await Promise.all(
        fleet.hosts.map((h) => transport.exec(hostOf(h), script('true'), collect())),
      );
      expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0, 0]);
    } finally {
      await transport.close();
    }
  }, 10_000);
});

describe('SSH against stricter servers', () => {
  it('server MaxSessions 2, five concurrent steps on one host: all succeed on one connection', async () => {
    const fleet = await startSshdFleet({ count: 1, config: { MaxSessions: 2 } });
    const debug: string[] = [];
    const transport = createSshTransport(fleetOptions(fleet), { onDebug: (m) => debug.push(m) });
    try {
      const h = hostOf(fleet.hosts[0]!);
      const runs = Array.from({ length: 5 }, (_, i) =>
        transport.exec(h, script(`sleep 0.3; echo ${i}`), collect()),
      );
      const results = await Promise.all(runs);
      expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0, 0, 0]);
      expect(await fleet.hosts[0]!.logins()).toBe(1);
      expect(debug.join('\n')).toMatch(/limiting to 2/);
    } finally {
      await transport.close();
      await fleet.stop();
    }
  }, 15_000);

  itWithOpenSsh('ClientAliveInterval is an OpenSSH setting, read from its log')(
    'server ClientAliveInterval 2: we answer its keepalives, so the idle connection survives',
    async () => {
      // (ClientAlive* only drops clients that stop answering; idle drops are UnusedConnectionTimeout, below.)
      // sshd drops a client that leaves a keepalive unanswered for one interval: 2 s gives a loaded
      // test process time to answer, and a client that did not answer would be gone 4 s in.
      const fleet = await startSshdFleet({
        count: 1,
        config: { ClientAliveInterval: 2, ClientAliveCountMax: 1, LogLevel: 'DEBUG1' },
      });
      const transport = createSshTransport(fleetOptions(fleet));
      try {
        const h = hostOf(fleet.hosts[0]!);
        expect((await transport.exec(h, script('echo one'), collect())).exitCode).toBe(0);
        // sshd's side: it sent keepalives on the idle connection and had them answered ("Got 82/…
        // for keepalive": our SSH_MSG_REQUEST_FAILURE, the answer to its keepalive@openssh.com).
        await waitUntil(
          async () => ((await fleet.hosts[0]!.log()).match(/for keepalive/g) ?? []).length >= 2,
          15_000,
          'two keepalives of sshd answered',
        );
        expect(await fleet.hosts[0]!.log()).not.toMatch(/Timeout, client not responding/);
        expect((await transport.exec(h, script('echo two'), collect())).exitCode).toBe(0);
        expect(await fleet.hosts[0]!.logins()).toBe(1);
      } finally {
        await transport.close();
        await fleet.stop();
      }
    },
    30_000,
  );

  itNeedingSshd(UNUSED_CONNECTION_TIMEOUT, 'needs OpenSSH 9.2 or later (UnusedConnectionTimeout)')(
    'a server that closes idle connections (UnusedConnectionTimeout): the next step reconnects',
    async () => {
      const fleet = await startSshdFleet({ count: 1, config: { UnusedConnectionTimeout: 1 } });
      const transport = createSshTransport(fleetOptions(fleet));
      try {
        const h = hostOf(fleet.hosts[0]!);
        expect((await transport.exec(h, script('echo one'), collect())).exitCode).toBe(0);
        // sshd says when it drops the idle connection.
        await waitUntil(
          async () => (await fleet.hosts[0]!.log()).includes('terminating inactive connection'),
          10_000,
          'sshd to close the idle connection',
        );
        expect((await transport.exec(h, script('echo two'), collect())).exitCode).toBe(0);
        expect(await fleet.hosts[0]!.logins()).toBe(2);
      } finally {
        await transport.close();
        await fleet.stop();
      }
    },
    15_000,
  );
});

describe('SSH through a jump host', () => {
  let fleet: SshdFleet;
  beforeAll(async () => {
    fleet = await startSshdFleet({ count: 2 });
  }, 20_000);
  afterAll(() => fleet?.stop());

  it('reaches the target through forwardOut; both hosts see one login', async () => {
    const [jump, target] = fleet.hosts as [SshdFleet['hosts'][0], SshdFleet['hosts'][0]];
    const transport = createSshTransport(
      fleetOptions(fleet, {
        jumpHost: { address: jump.address, port: jump.port, user: fleet.user },
        maxHandshakes: 1, // the jump host's handshake must not wait behind the target's
      }),
    );
    try {
      for (let i = 0; i < 2; i++) {
        const out = collect();
        const r = await transport.exec(hostOf(target), script('echo "$SSH_CONNECTION"'), out);
        expect(r.exitCode).toBe(0);
      }
      expect(await jump.logins()).toBe(1);
      expect(await target.logins()).toBe(1);
    } finally {
      await transport.close();
    }
  }, 10_000);

  it('a target the jump host cannot reach is a ConnectError naming both', async () => {
    const [jump] = fleet.hosts as [SshdFleet['hosts'][0]];
    const port = await closedPort();
    const transport = createSshTransport(
      fleetOptions(fleet, { jumpHost: { address: jump.address, port: jump.port }, connectTimeoutMs: 2000 }),
    );
    try {
      const err = await transport
        .exec({ name: 'gone', address: '127.0.0.1', port, local: false }, script('true'), collect())
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as Error).message).toContain(
        `@127.0.0.1:${port}: jump host ${fleet.user}@127.0.0.1:${jump.port}`,
      );
    } finally {
      await transport.close();
    }
  }, 10_000);

  it("the jump host's key is verified like any other", async () => {
    const [jump, target] = fleet.hosts as [SshdFleet['hosts'][0], SshdFleet['hosts'][0]];
    const transport = createSshTransport(
      fleetOptions(fleet, {
        jumpHost: { address: jump.address, port: jump.port },
        knownHostsPaths: [],
        knownHosts: `[127.0.0.1]:${target.port} ${target.hostPublicKey}\n`,
      }),
    );
    try {
      const err = await transport.exec(hostOf(target), script('true'), collect()).catch((e: unknown) => e);
      expect((err as Error).name).toBe('HostKeyError');
      expect((err as Error).message).toContain(`@127.0.0.1:${jump.port}`);
    } finally {
      await transport.close();
    }
  }, 10_000);
});
