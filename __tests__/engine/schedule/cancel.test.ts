import { CancelledError } from '../../../src/contract/errors.js';
import { FakeTransport } from '../../support/fake-transport.js';
import { host, hosts, ofType, results, run, stage } from '../harness.js';

describe('cancellation', () => {
  it('mid-stage: running attempts are aborted, nothing new starts, every job cancelled, cleanup runs', async () => {
    // Commands run 30 s unless aborted; the run must end within 5 s of its start (a contrast of 6x,
    // and room for a loaded machine).
    const transport = new FakeTransport(() => ({ delayMs: 30_000 }));
    const controller = new AbortController();
    let cleaned = false;
    let pulledSecond = false;
    const started = performance.now();
    const pending = run(
      function* () {
        yield stage({
          name: 'Ship',
          hosts: hosts(4),
          canary: false,
          poolSize: 2,
          retries: 3,
          retryDelayMs: 0,
        });
        pulledSecond = true;
        yield stage({ name: 'Next', hosts: hosts(1) });
      },
      { transport, signal: controller.signal, runner: { cleanup: () => void (cleaned = true) } },
    );
    await transport.started(2);
    controller.abort();
    const { report, events } = await pending;

    expect(performance.now() - started).toBeLessThan(5_000);
    expect(transport.records.map((r) => r.host)).toEqual(['web-1', 'web-2']);
    for (const r of transport.records) {
      expect(r.outcome).toBe('aborted');
      expect(r.signal.reason).toBeInstanceOf(CancelledError);
    }
    expect(results(report)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect(report.stages[0]!.jobs.map((j) => j.attempts)).toEqual([1, 1, 0, 0]);
    expect(report.stages[0]!.result).toBe('failure');
    expect(report.result).toBe('cancelled');
    expect(report.reason).toBe('cancelled during stage "Ship"');
    expect(ofType(events, 'job-retry')).toHaveLength(0);
    // Pulled, since a stage on the way out could follow, but reported skipped: nothing of it ran.
    expect(pulledSecond).toBe(true);
    expect(report.stages[1]).toMatchObject({
      name: 'Next',
      result: 'skipped',
      reason: 'the release was cancelled',
    });
    expect(cleaned).toBe(true);
  });

  it('ends promptly even when the transport ignores the abort', async () => {
    // The calls go on for 30 s after the abort; waiting for them would take 6x the bound.
    const transport = new FakeTransport(() => ({ delayMs: 30_000, ignoreAbort: true }));
    const controller = new AbortController();
    const pending = run([stage({ name: 'Ship', hosts: hosts(2), canary: false })], {
      transport,
      signal: controller.signal,
    });
    await transport.started(2);
    const aborted = performance.now();
    controller.abort(new Error('SIGINT'));
    const { report } = await pending;
    expect(performance.now() - aborted).toBeLessThan(5_000);
    expect(results(report)).toEqual(['cancelled', 'cancelled']);
    // Whatever reason the caller gave, jobs see a CancelledError.
    expect(transport.records[0]!.signal.reason).toBeInstanceOf(CancelledError);
  });

  it('during a retry backoff: no further attempt, job cancelled, the run over within 5 s of a 30 s wait', async () => {
    const transport = new FakeTransport(() => ({ exitCode: 1 }));
    const controller = new AbortController();
    let aborted = 0;
    const pending = run([stage({ name: 'Ship', hosts: [host('a')], retries: 5, retryDelayMs: 30_000 })], {
      transport,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type !== 'job-retry') return;
        expect(e.delayMs).toBeGreaterThanOrEqual(30_000);
        aborted = performance.now();
        controller.abort();
      },
    });
    const { report } = await pending;
    // A backoff that ignored the cancel would take the whole 30 s.
    expect(aborted).toBeGreaterThan(0);
    expect(performance.now() - aborted).toBeLessThan(5_000);
    expect(transport.records).toHaveLength(1);
    expect(report.stages[0]!.jobs[0]).toMatchObject({ result: 'cancelled', attempts: 1, exitCode: 1 });
    expect(report.result).toBe('cancelled');
  });

  it('a signal aborted before the run starts runs nothing but still cleans up', async () => {
    let cleaned = false;
    const { report, transport } = await run([stage({ name: 'Ship', hosts: hosts(2) })], {
      signal: AbortSignal.abort(),
      runner: { cleanup: () => void (cleaned = true) },
    });
    expect(transport.records).toHaveLength(0);
    expect(report.result).toBe('cancelled');
    expect(report.stages).toEqual([]);
    expect(cleaned).toBe(true);
  });

  it('a command whose non-zero exit races the cancel counts as cancelled, not failed', async () => {
    const controller = new AbortController();
    // The shell was SIGTERM'd by the cancel and its exit status (143) arrives as the signal aborts.
    class ExitsOnCancel extends FakeTransport {
      override async exec(...args: Parameters<FakeTransport['exec']>) {
        const result = await super.exec(...args);
        controller.abort();
        return { ...result, exitCode: 143 };
      }
    }
    const transport = new ExitsOnCancel();
    const { report } = await run([stage({ name: 'Ship', hosts: [host('a')], retries: 2, retryDelayMs: 0 })], {
      transport,
      signal: controller.signal,
    });
    expect(transport.records).toHaveLength(1);
    expect(report.stages[0]!.jobs[0]).toMatchObject({ result: 'cancelled', attempts: 1, error: 'cancelled' });
    expect(report.result).toBe('cancelled');
  });

  it('does not wait for a setup or a stage generator that ignore the signal', async () => {
    for (const where of ['setup', 'stages'] as const) {
      const controller = new AbortController();
      // Cancel once the slow part has begun, then hang for 30 s: 6x the bound asserted below.
      const hang = () => {
        queueMicrotask(() => controller.abort());
        return new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref());
      };
      let cleaned = false;
      const started = performance.now();
      const { report, transport } = await run(
        async function* () {
          if (where === 'stages') await hang();
          yield stage({ name: 'Ship', hosts: hosts(1) });
        },
        {
          signal: controller.signal,
          runner: { ...(where === 'setup' ? { setup: hang } : {}), cleanup: () => void (cleaned = true) },
        },
      );
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(report.result).toBe('cancelled');
      expect(transport.records).toHaveLength(0);
      expect(cleaned).toBe(true);
    }
  });

  it("carries the caller's CancelledError message into job errors and the run reason", async () => {
    const transport = new FakeTransport(() => ({ delayMs: 5_000 }));
    const controller = new AbortController();
    const pending = run([stage({ name: 'Ship', hosts: hosts(3), canary: false, poolSize: 1 })], {
      transport,
      signal: controller.signal,
    });
    await transport.started(1);
    controller.abort(new CancelledError('cancelled by SIGTERM'));
    const { report } = await pending;
    expect(report.stages[0]!.jobs.map((j) => j.error)).toEqual(Array(3).fill('cancelled by SIGTERM'));
    expect(report.stages[0]!.reason).toBe('cancelled by SIGTERM');
    expect(report.reason).toBe('cancelled by SIGTERM during stage "Ship"');
  });
});
