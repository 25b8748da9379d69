/**
 * Connecting ahead: when a stage starts, the SSH transport opens the connections of the hosts queued
 * behind the canary while the canary runs; those connections are the ones the steps then use, and a
 * host it could not reach fails only when a step uses it, with the step's own error.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Executor } from '../../../src/engine/schedule/executor.js';
import { Job } from '../../../src/engine/model/job.js';
import { Runner } from '../../../src/engine/model/runner.js';
import { Stage } from '../../../src/engine/model/stage.js';
import { remote } from '../../../src/engine/model/subtask.js';
import { ConnectError } from '../../../src/contract/errors.js';
import { createSshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { startSshdFleet, type SshdFleet } from '../../support/sshd.js';
import { collect, fleetOptions, hostOf, script } from '../../support/sshd-fixtures.js';
import { closedPort } from '../../support/sshd-net.js';

let fleet: SshdFleet;

beforeAll(async () => {
  fleet = await startSshdFleet({ count: 4 });
}, 20_000);

afterAll(() => fleet?.stop());

/** Resolves once `count` debug messages matched `pattern`; rejects after `timeoutMs`. */
function debugCounter(pattern: RegExp) {
  const messages: string[] = [];
  let waiter: { count: number; resolve: () => void } | undefined;
  const matching = () => messages.filter((m) => pattern.test(m)).length;
  return {
    messages,
    onDebug: (m: string) => {
      messages.push(m);
      if (waiter && matching() >= waiter.count) waiter.resolve();
    },
    reached: (count: number, timeoutMs: number): Promise<void> =>
      new Promise((resolve, reject) => {
        if (matching() >= count) return resolve();
        const timer = setTimeout(
          () => reject(new Error(`only ${matching()} of ${count} matched: ${messages.join('; ')}`)),
          timeoutMs,
        );
        waiter = {
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      }),
  };
}

async function logins(): Promise<number[]> {
  return Promise.all(fleet.hosts.map((h) => h.logins()));
}

describe('SSH transport: connecting ahead', () => {
  it('connectAhead() connects every host without running anything; the steps then reuse those connections', async () => {
    const debug = debugCounter(/connected in/);
    const transport = createSshTransport(fleetOptions(fleet), { onDebug: debug.onDebug });
    const before = await logins();
    try {
      transport.connectAhead?.(fleet.hosts.map(hostOf), new AbortController().signal);
      await debug.reached(4, 10_000);
      expect(await logins()).toEqual(before.map((n) => n + 1));
      const results = await Promise.all(
        fleet.hosts.map((h) => transport.exec(hostOf(h), script('echo ran'), collect())),
      );
      expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0, 0]);
      // Still one login per host: no step opened a connection of its own.
      expect(await logins()).toEqual(before.map((n) => n + 1));
    } finally {
      await transport.close();
    }
  }, 20_000);

  it('a host it cannot reach is kept quiet until a step uses it, which then connects again and fails with its own error', async () => {
    const port = await closedPort();
    const unreachable = { ...hostOf(fleet.hosts[0]!), name: 'gone', port };
    const debug = debugCounter(/connecting ahead failed/);
    const transport = createSshTransport(fleetOptions(fleet, { connectTimeoutMs: 600 }), {
      onDebug: debug.onDebug,
    });
    try {
      transport.connectAhead?.([unreachable], new AbortController().signal);
      await debug.reached(1, 5_000);
      expect(debug.messages.join('\n')).toContain(`${fleet.user}@127.0.0.1:${port}: connecting ahead failed`);
      const error = await transport.exec(unreachable, script('true'), collect()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as Error).message).toContain(`@127.0.0.1:${port}`);
      // The step's own connect: three refused attempts after the ones of connectAhead.
      expect(debug.messages.filter((m) => m.includes('connecting ahead failed'))).toHaveLength(1);
    } finally {
      await transport.close();
    }
  }, 15_000);

  it('the first host gates the rest: when it cannot be reached, no other host is connected ahead', async () => {
    const port = await closedPort();
    const unreachable = { ...hostOf(fleet.hosts[0]!), name: 'gone', port };
    const debug = debugCounter(/not connecting 2 more host\(s\) ahead/);
    const transport = createSshTransport(fleetOptions(fleet, { connectTimeoutMs: 600 }), {
      onDebug: debug.onDebug,
    });
    const others = fleet.hosts.slice(1, 3);
    const before = await Promise.all(others.map((h) => h.logins()));
    try {
      transport.connectAhead?.([unreachable, ...others.map(hostOf)], new AbortController().signal);
      await debug.reached(1, 5_000);
      expect(await Promise.all(others.map((h) => h.logins()))).toEqual(before);
      expect(debug.messages.filter((m) => m.includes('connected in'))).toEqual([]);
    } finally {
      await transport.close();
    }
  }, 15_000);

  it('in a release, the hosts behind the canary connect while the canary is still running', async () => {
    const fifo = join(fleet.scratchDir, `go-${process.pid}`);
    execFileSync('mkfifo', ['-m', '666', fifo]);
    const debug = debugCounter(/connected in/);
    const transport = createSshTransport(fleetOptions(fleet), { onDebug: debug.onDebug });
    const canary = fleet.hosts[0]!.name;
    const stage = new Stage({
      name: 'Ship',
      poolSize: 4,
      jobs: () =>
        fleet.hosts.map((h) =>
          Job.of(hostOf(h), async function* () {
            // The canary blocks on the FIFO until the test has seen all four hosts connected.
            yield remote(h.name === canary ? `read -r go < ${fifo}; echo "canary $go"` : 'echo follower');
          }),
        ),
    });
    const release = new Executor({ transport, release: 'r1' }).run(
      new Runner({ name: 'deploy', stages: [stage] }),
    );
    let released = false;
    try {
      await debug.reached(4, 10_000);
      // Blocks until the canary opened the FIFO for reading.
      await writeFile(fifo, 'released\n');
      released = true;
      const report = await release;
      expect(report.stages[0]!.canary).toBe(canary);
      expect(report.stages[0]!.jobs.map((j) => j.result)).toEqual(Array(4).fill('success'));
      expect(report.stages[0]!.jobs[0]!.outputTail).toContain('canary released');
    } finally {
      // Never leave the canary blocked (and the run hanging) when an expectation failed first:
      // opened read-write, the FIFO never blocks us, and a waiting reader gets the line.
      if (!released) await writeFile(fifo, 'abort\n', { flag: 'r+' });
      await transport.close();
      await release;
    }
  }, 20_000);
});
