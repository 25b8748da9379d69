/**
 * Every lock command has a deadline (LockTarget.commandTimeoutMs, 30 s by default), not only
 * acquire: a lock host that takes the heartbeat, status or release command and then says nothing
 * cannot hold the run. Each ends at the deadline with a message that says so.
 */
import { DeployLock, LockHostError } from '../../../src/pipeline/lock/deploy-lock.js';
import { newLockToken } from '../../../src/pipeline/lock/lock-owner.js';
import { FakeTransport, type FakeCall } from '../../support/fake-transport.js';

const DEADLINE_MS = 300;
/** Far more than the deadline: what "ended within its deadline" is measured against. */
const BOUND_MS = 5_000;

/** A lock host that answers acquire and then goes silent for every other command. */
function silentAfterAcquire(): FakeTransport {
  return new FakeTransport((call: FakeCall) =>
    call.env.BW_LOCK_OWNER !== undefined ? { lines: ['acquired'] } : { delayMs: 120_000 },
  );
}

function lockOn(transport: FakeTransport, warnings: string[] = []): DeployLock {
  return new DeployLock(
    transport,
    {
      host: { name: 'lock-host', address: 'lock.test', port: 22, local: false },
      name: 'shop',
      waitMs: 0,
      staleAfterMs: 600_000,
      commandTimeoutMs: DEADLINE_MS,
    },
    {
      token: newLockToken(),
      who: 'ci',
      controller: 'runner',
      pid: 1,
      started: new Date().toISOString(),
    },
    { warn: (message) => warnings.push(message) },
  );
}

describe('the deploy lock against a lock host that goes silent', () => {
  it('status ends at its deadline, failing with "gave no answer"', async () => {
    const lock = lockOn(silentAfterAcquire());
    const started = Date.now();
    const status = lock.status(new AbortController().signal);
    await expect(status).rejects.toThrow(LockHostError);
    await expect(status).rejects.toThrow(/the lock command gave no answer within 0\.3 s/);
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
  }, 10_000);

  it('release ends at the command deadline, well before its own (long) timeout, with a warning', async () => {
    const warnings: string[] = [];
    const transport = silentAfterAcquire();
    const lock = lockOn(transport, warnings);
    expect((await lock.acquire(new AbortController().signal)).state).toBe('acquired');
    const started = Date.now();
    await lock.release(600_000);
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect(warnings).toEqual([
      expect.stringMatching(/could not be released \(.*gave no answer within 0\.3 s/),
    ]);
    expect(transport.records.at(-1)?.outcome).toBe('aborted');
  }, 10_000);

  it('a heartbeat ends at its deadline and says so; the next one is tried again', async () => {
    const warned: string[] = [];
    let heard!: () => void;
    const twice = new Promise<void>((resolve) => (heard = resolve));
    const transport = silentAfterAcquire();
    const lock = new DeployLock(transport, lockOn(transport).target, lockOn(transport).owner, {
      warn: (message) => {
        warned.push(message);
        if (warned.length === 2) heard();
      },
    });
    expect((await lock.acquire(new AbortController().signal)).state).toBe('acquired');
    const started = Date.now();
    lock.startHeartbeat(50);
    await twice; // bounded by the test's timeout: without a deadline the first beat never ends
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect(warned[0]).toMatch(/heartbeat failed \(tried again in a moment\): .*gave no answer within 0\.3 s/);
    await lock.release(DEADLINE_MS);
    const beats = transport.records.filter(
      (r) =>
        r.env.BW_LOCK_OWNER === undefined &&
        r.env.BW_LOCK_OWN !== undefined &&
        r.env.BW_LOCK_FORCE === undefined,
    );
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats.every((r) => r.outcome === 'aborted')).toBe(true);
  }, 10_000);
});
