import { AuthError } from '../../../src/contract/errors.js';
import { Job } from '../../../src/engine/model/job.js';
import { Err, Ok, Skip } from '../../../src/engine/model/result.js';
import { Stage } from '../../../src/engine/model/stage.js';
import { local, remote } from '../../../src/engine/model/subtask.js';
import { FakeTransport } from '../../support/fake-transport.js';
import { host, hosts, ofType, run, stage } from '../harness.js';

/** `check` exits with `codes[n]` on its n-th run on a host (the last one repeating). */
function checkScript(codes: Record<string, number[]>) {
  const runs = new Map<string, number>();
  return (c: { host: string; script: string; env: Readonly<Record<string, string>> }) => {
    if (c.script !== 'check') return {};
    const target = c.env.BW_HOST ?? c.host;
    const n = runs.get(target) ?? 0;
    runs.set(target, n + 1);
    const list = codes[target] ?? [0];
    return { exitCode: list[Math.min(n, list.length - 1)], lines: [`check ${n + 1} on ${target}`] };
  };
}

describe('verify', () => {
  it('repeats the check every interval until it passes, after the steps, within its timeout', async () => {
    const { report, events, transport } = await run(
      [
        stage({
          name: 'Ship',
          hosts: hosts(2),
          verify: { check: remote('check'), timeoutMs: 5_000, intervalMs: 50 },
        }),
      ],
      { script: checkScript({ 'web-1': [7, 7, 0], 'web-2': [0] }) },
    );
    expect(report.result).toBe('success');
    const [web1, web2] = report.stages[0]!.jobs;
    expect(web1).toMatchObject({
      result: 'success',
      attempts: 1,
      exitCode: 0,
      verify: { result: 'success', attempts: 3 },
    });
    expect(web2!.verify).toMatchObject({ result: 'success', attempts: 1 });
    // The steps first, then the checks; the next wave only after the canary verified.
    expect(transport.records.map((r) => `${r.host} ${r.script}`)).toEqual([
      'web-1 deploy',
      'web-1 check',
      'web-1 check',
      'web-1 check',
      'web-2 deploy',
      'web-2 check',
    ]);
    expect(ofType(events, 'verify-retry').map((e) => [e.host, e.attempt, e.error, e.delayMs])).toEqual([
      ['web-1', 1, 'exit code 7', 50],
      ['web-1', 2, 'exit code 7', 50],
    ]);
    // One step line for the verify per host, not one per attempt; the output of every attempt.
    expect(ofType(events, 'step-start').map((e) => `${e.host} ${e.label}`)).toEqual([
      'web-1 run: deploy',
      'web-1 verify: check',
      'web-2 run: deploy',
      'web-2 verify: check',
    ]);
    expect(web1!.outputTail).toBe('check 1 on web-1\ncheck 2 on web-1\ncheck 3 on web-1');
  });

  it('every retry it announces runs: the attempts in the error are the checks that ran', async () => {
    const verify = { check: remote('check'), timeoutMs: 1_000, intervalMs: 400 };
    const { report, transport, events } = await run([stage({ name: 'Ship', hosts: hosts(1), verify })], {
      script: checkScript({ 'web-1': [7] }),
    });
    const job = report.stages[0]!.jobs[0]!;
    const checks = transport.records.filter((r) => r.script === 'check').length;
    expect(job.verify!.attempts).toBe(checks);
    expect(ofType(events, 'verify-retry')).toHaveLength(checks - 1);
    expect(job.error).toBe(`verify did not pass within 1s (${checks} attempts): exit code 7`);
  });

  it('a host that never passes fails its job at the timeout and counts against max-failures; retries do not re-run the steps', async () => {
    const started = performance.now();
    // 1 s of checks 50 ms apart: a loaded machine that stalls a few hundred ms still gets a second
    // check in before the deadline (`attempts > 1` below).
    const verify = { check: remote('check'), timeoutMs: 1_000, intervalMs: 50 };
    const { report, transport } = await run(
      [
        stage({
          name: 'Ship',
          hosts: hosts(3),
          canary: false,
          retries: 2,
          retryDelayMs: 0,
          maxFailures: 1,
          verify,
        }),
        stage({ name: 'Next', hosts: hosts(3), canary: false, verify }),
      ],
      { script: checkScript({ 'web-2': [7] }) },
    );
    // A verify past its deadline would go on checking forever.
    expect(performance.now() - started).toBeLessThan(10_000);
    const ship = report.stages[0]!;
    expect(ship.result).toBe('success'); // one failure is within max-failures 1
    const web2 = ship.jobs[1]!;
    expect(web2).toMatchObject({ result: 'failure', attempts: 1, exitCode: 7, errorKind: 'verify' });
    // On a loaded machine the deadline may cut the last check off; the one before it still said 7.
    expect(web2.error).toMatch(
      /^verify did not pass within 1s \(\d+ attempts\): (the last was still running; the one before: )?exit code 7$/,
    );
    expect(web2.verify!.result).toBe('failure');
    expect(web2.verify!.attempts).toBeGreaterThan(1);
    expect(web2.verify!.durationMs).toBeGreaterThanOrEqual(950);
    expect(web2.verify!.durationMs).toBeLessThan(5_000);
    const steps = transport.records.filter((r) => r.env.BW_STAGE === 'Ship' && r.script === 'deploy');
    expect(steps.map((r) => r.host)).toEqual(['web-1', 'web-2', 'web-3']);
    // Left behind: the next stage skips web-2 rather than check it again, and the run succeeds.
    expect(report.stages[1]!.jobs.map((j) => [j.host, j.result])).toEqual([
      ['web-1', 'success'],
      ['web-2', 'skipped'],
      ['web-3', 'success'],
    ]);
    expect(report.stages[1]!.jobs[1]!.error).toBe('failed at stage "Ship"');
    expect(report.result).toBe('success');
  });

  it('cuts a check that hangs past the timeout off at the deadline', async () => {
    const started = performance.now();
    const { report, transport } = await run(
      [
        stage({
          name: 'Ship',
          hosts: hosts(1),
          verify: { check: remote('check'), timeoutMs: 200, intervalMs: 50 },
        }),
      ],
      { script: (c) => (c.script === 'check' ? { delayMs: 30_000 } : {}) },
    );
    // The check would run 30 s: 3x the bound.
    expect(performance.now() - started).toBeLessThan(10_000);
    const job = report.stages[0]!.jobs[0]!;
    expect(job.error).toBe('verify did not pass within 200ms (1 attempt): the last was still running');
    expect(transport.records.find((r) => r.script === 'check')!.outcome).toBe('aborted');
  });

  it('a check cut off at the deadline: the report keeps the exit code of the check before it', async () => {
    let checks = 0;
    const { report } = await run(
      [
        stage({
          name: 'Ship',
          hosts: hosts(1),
          verify: { check: remote('check'), timeoutMs: 300, intervalMs: 10 },
        }),
      ],
      // The first check exits 7; the second hangs until the deadline stops it.
      { script: (c) => (c.script !== 'check' ? {} : ++checks === 1 ? { exitCode: 7 } : { delayMs: 30_000 }) },
    );
    const job = report.stages[0]!.jobs[0]!;
    expect(job).toMatchObject({ result: 'failure', exitCode: 7, errorKind: 'verify' });
    expect(job.error).toBe(
      'verify did not pass within 300ms (2 attempts): the last was still running; the one before: exit code 7',
    );
  });

  it('stops at once on an error that no repetition can fix (auth)', async () => {
    const { report, transport } = await run(
      [
        stage({
          name: 'Ship',
          hosts: hosts(1),
          verify: { check: remote('check'), timeoutMs: 30_000, intervalMs: 10 },
        }),
      ],
      {
        script: (c) =>
          c.script === 'check' ? { reject: new AuthError('deploy@web-1:22: permission denied') } : {},
      },
    );
    expect(transport.records.filter((r) => r.script === 'check')).toHaveLength(1);
    expect(report.stages[0]!.jobs[0]).toMatchObject({
      result: 'failure',
      error: 'verify failed: deploy@web-1:22: permission denied',
      verify: { result: 'failure', attempts: 1 },
    });
  });

  it('does not run when the steps failed or the job skipped', async () => {
    const skipping = new Stage({
      name: 'Skips',
      jobs: () => [
        Job.of(host('a'), async function* () {
          yield remote('deploy');
          return Skip('nothing to do');
        }),
      ],
      verify: { check: remote('check') },
    });
    const { report, transport } = await run(
      [skipping, stage({ name: 'Fails', hosts: hosts(1), verify: { check: remote('check') } })],
      { script: (c) => ({ exitCode: c.env.BW_STAGE === 'Fails' ? 1 : 0 }) },
    );
    expect(transport.records.filter((r) => r.script === 'check')).toHaveLength(0);
    expect(report.stages[0]!.jobs[0]).toMatchObject({ result: 'skipped' });
    expect(report.stages[0]!.jobs[0]!.verify).toBeUndefined();
    expect(report.stages[1]!.jobs[0]).toMatchObject({ result: 'failure', error: 'exit code 1' });
  });

  it('a local check runs on the controller, once per host, with BW_HOST naming the host', async () => {
    const { transport } = await run([
      stage({ name: 'Ship', hosts: hosts(2), verify: { check: local('check') } }),
    ]);
    const checks = transport.records.filter((r) => r.script === 'check');
    expect(checks.map((r) => [r.host, r.env.BW_HOST])).toEqual([
      ['controller', 'web-1'],
      ['controller', 'web-2'],
    ]);
  });

  it('a cancel during the verify cancels the job', async () => {
    const transport = new FakeTransport(checkScript({ 'web-1': [7] }));
    const controller = new AbortController();
    const { report } = await run(
      [
        stage({
          name: 'Ship',
          hosts: hosts(1),
          verify: { check: remote('check'), timeoutMs: 30_000, intervalMs: 20 },
        }),
      ],
      {
        transport,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'verify-retry' && e.attempt === 2) controller.abort();
        },
      },
    );
    expect(report.result).toBe('cancelled');
    expect(report.stages[0]!.jobs[0]).toMatchObject({
      result: 'cancelled',
      error: 'cancelled',
      verify: { result: 'cancelled', attempts: 2 },
    });
  });

  it('a check can be a job built for the host; Err is a failed attempt', async () => {
    let n = 0;
    const check = (h: { name: string }) =>
      Job.of(host(h.name), async function* () {
        yield remote('probe');
        n += 1;
        return n < 3 ? Err(`not yet (${n})`) : Ok();
      });
    const { report, events } = await run([
      stage({ name: 'Ship', hosts: hosts(1), verify: { check, timeoutMs: 5_000, intervalMs: 10 } }),
    ]);
    expect(report.stages[0]!.jobs[0]!.verify).toMatchObject({ result: 'success', attempts: 3 });
    expect(ofType(events, 'verify-retry').map((e) => e.error)).toEqual(['not yet (1)', 'not yet (2)']);
  });

  it('rejects nonsense from library users when the stage is built', () => {
    const bad = (verify: unknown) => () => new Stage({ name: 'S', verify: verify as never, jobs: () => [] });
    expect(bad({ check: 'curl' })).toThrow(
      'stage "S": verify.check must be a command (remote() or local()) or a function (host) => Job, got "curl"',
    );
    expect(bad({ check: remote('x'), timeoutMs: 0 })).toThrow(
      'verify.timeoutMs must be a positive number, got 0',
    );
    expect(bad({ check: remote('x'), intervalMs: -1 })).toThrow(
      'verify.intervalMs must be a non-negative number, got -1',
    );
    expect(() => new Stage({ name: 'S', when: 'sometimes' as never })).toThrow(
      'stage "S": when must be "success", "failure", "cancelled", "always", got "sometimes"',
    );
  });
});
