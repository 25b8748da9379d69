import { AuthError, ConnectError, HostKeyError, TimeoutError } from '../../../src/contract/errors.js';
import { Job } from '../../../src/engine/model/job.js';
import { Stage } from '../../../src/engine/model/stage.js';
import { remote } from '../../../src/engine/model/subtask.js';
import { MAX_RETRY_DELAY_MS, isRetryable, retryDelay } from '../../../src/engine/policy/retry-policy.js';
import { JobFailedError } from '../../../src/contract/errors.js';
import { host, hosts, ofType, run, stage } from '../harness.js';

describe('retries', () => {
  it('re-runs a failing job and reports the attempts it took', async () => {
    const { report, transport, events } = await run(
      [stage({ name: 'Ship', hosts: hosts(2), canary: false, retries: 3, retryDelayMs: 1 })],
      // web-1 succeeds on its third attempt; web-2 never does.
      { script: (c) => ({ exitCode: c.host === 'web-1' && c.attempt === 3 ? 0 : 5 }) },
    );
    const [a, b] = report.stages[0]!.jobs;
    expect(a).toMatchObject({ result: 'success', attempts: 3, exitCode: 0, error: null });
    expect(b).toMatchObject({
      result: 'failure',
      attempts: 4,
      exitCode: 5,
      error: 'exit code 5',
      errorKind: 'exit',
    });
    expect(transport.records.filter((r) => r.host === 'web-2').map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
    const retries = ofType(events, 'job-retry').filter((e) => e.host === 'web-1');
    expect(retries.map((e) => [e.attempt, e.error])).toEqual([
      [1, 'exit code 5'],
      [2, 'exit code 5'],
    ]);
    expect(
      ofType(events, 'job-start')
        .filter((e) => e.host === 'web-1')
        .map((e) => e.attempt),
    ).toEqual([1, 2, 3]);
  });

  it('waits an exponential, jittered delay between attempts and says how long', async () => {
    const { events, transport } = await run(
      [stage({ name: 'Ship', hosts: [host('a')], retries: 2, retryDelayMs: 20 })],
      { script: () => ({ exitCode: 1 }) },
    );
    const delays = ofType(events, 'job-retry').map((e) => e.delayMs);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(20);
    expect(delays[0]).toBeLessThanOrEqual(40);
    expect(delays[1]).toBeGreaterThanOrEqual(40);
    expect(delays[1]).toBeLessThanOrEqual(80);
    const [r1, r2] = transport.records;
    // The wait really happened (timer slack allowed, never early by more than a tick).
    expect(r2!.start - r1!.end!).toBeGreaterThanOrEqual(delays[0]! - 2);
  });

  it.each([
    ['auth', new AuthError('deploy@web-1:22: permission denied (publickey)')],
    ['host-key', new HostKeyError('web-1:22: host key mismatch')],
  ])('never retries %s errors', async (kind, error) => {
    const { report, transport, events } = await run(
      [stage({ name: 'Ship', hosts: [host('web-1')], retries: 5, retryDelayMs: 0 })],
      { script: () => ({ reject: error }) },
    );
    expect(transport.records).toHaveLength(1);
    expect(ofType(events, 'job-retry')).toHaveLength(0);
    expect(report.stages[0]!.jobs[0]).toMatchObject({
      result: 'failure',
      attempts: 1,
      errorKind: kind,
      error: error.message,
    });
  });

  it('retries connection errors', async () => {
    const { report } = await run([stage({ name: 'Ship', hosts: [host('a')], retries: 1, retryDelayMs: 0 })], {
      script: (c) => (c.attempt === 1 ? { reject: new ConnectError('a:22: connection refused') } : {}),
    });
    expect(report.stages[0]!.jobs[0]).toMatchObject({ result: 'success', attempts: 2 });
  });

  it('a non-retryable error inside a nested job is not retried either', async () => {
    const inner = Job.of(host('db'), async function* () {
      yield remote('migrate');
    });
    const outer = Job.of(host('web'), async function* () {
      yield inner;
    });
    const { report, transport } = await run(
      [new Stage({ name: 'Ship', retries: 3, retryDelayMs: 0, jobs: () => [outer] })],
      { script: () => ({ reject: new AuthError('deploy@db:22: permission denied') }) },
    );
    expect(transport.records).toHaveLength(1);
    expect(report.stages[0]!.jobs[0]).toMatchObject({
      result: 'failure',
      attempts: 1,
      errorKind: 'job',
      error: 'job on db failed: deploy@db:22: permission denied',
    });
  });

  it('retryDelay: base × 2^(n-1) × [1, 2), capped', () => {
    expect(retryDelay(1000, 1, 0)).toBe(1000);
    expect(retryDelay(1000, 3, 0.5)).toBe(6000);
    expect(retryDelay(1000, 30, 0)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelay(10 * 60_000, 1, 0.9)).toBe(10 * 60_000);
  });

  it('isRetryable follows the cause chain', () => {
    expect(isRetryable(new ConnectError('x'))).toBe(true);
    expect(isRetryable(new JobFailedError('outer', { cause: new AuthError('inner') }))).toBe(false);
    expect(isRetryable(new Error('plain'))).toBe(true);
  });
});

describe('timeouts', () => {
  it('a timeout aborts the attempt and the signal the transport got, then retries', async () => {
    const { report, transport } = await run(
      [stage({ name: 'Ship', hosts: [host('a')], timeoutMs: 30, retries: 1, retryDelayMs: 0 })],
      // The first attempt would run 30 s: ended by the timeout, it is over long before.
      { script: (c) => ({ delayMs: c.attempt === 1 ? 30_000 : 1 }) },
    );
    const [first, second] = transport.records;
    expect(first!.outcome).toBe('aborted');
    expect(first!.signal.reason).toBeInstanceOf(TimeoutError);
    expect((first!.signal.reason as Error).message).toBe('timed out after 30ms');
    expect(first!.end!).toBeLessThan(5_000);
    expect(second!.outcome).toBe('resolved');
    expect(report.stages[0]!.jobs[0]).toMatchObject({ result: 'success', attempts: 2 });
  });

  it('a timed-out job fails with kind timeout', async () => {
    const { report } = await run([stage({ name: 'Ship', hosts: [host('a')], timeoutMs: 20 })], {
      script: () => ({ delayMs: 30_000 }),
    });
    expect(report.stages[0]!.jobs[0]).toMatchObject({
      result: 'failure',
      errorKind: 'timeout',
      error: 'timed out after 20ms',
    });
    // The command would run 30 s; a loaded machine still ends the 20 ms timeout well within 5 s.
    expect(report.durationMs).toBeLessThan(5_000);
  });

  it('ends the attempt on time even when the transport ignores the abort', async () => {
    const started = performance.now();
    const { report, transport } = await run([stage({ name: 'Ship', hosts: [host('a')], timeoutMs: 20 })], {
      script: () => ({ delayMs: 30_000, ignoreAbort: true }),
    });
    // Far below the 30 s the transport keeps going: a loaded CI machine has room, a wait would not.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(report.stages[0]!.jobs[0]!.errorKind).toBe('timeout');
    expect(transport.records[0]!.signal.aborted).toBe(true);
  });

  it('each attempt gets its own timeout', async () => {
    // Every attempt takes 1.2 s of a 2 s timeout: a shared timer would cut the second one (2.4 s in).
    // The 0.8 s left to each attempt is room for a loaded machine's late timers.
    const { report } = await run(
      [stage({ name: 'Ship', hosts: [host('a')], timeoutMs: 2_000, retries: 1, retryDelayMs: 0 })],
      { script: (c) => ({ delayMs: 1_200, exitCode: c.attempt === 1 ? 1 : 0 }) },
    );
    expect(report.stages[0]!.jobs[0]).toMatchObject({ result: 'success', attempts: 2 });
  });

  it('a job that ignores the signal while awaiting something else is still ended', async () => {
    const stuck = Job.of(host('a'), async function* () {
      // 30 s: waiting for it would take 6x the bound below.
      await new Promise((resolve) => setTimeout(resolve, 30_000).unref());
      yield remote('never');
    });
    const started = performance.now();
    const { report, transport } = await run([
      new Stage({ name: 'Ship', timeoutMs: 20, jobs: () => [stuck] }),
    ]);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(report.stages[0]!.jobs[0]!.errorKind).toBe('timeout');
    expect(transport.records).toHaveLength(0);
  });
});
