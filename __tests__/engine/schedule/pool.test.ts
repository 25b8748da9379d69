import { hosts, results, run, stage } from '../harness.js';

describe('stage pool', () => {
  it('never runs more than poolSize jobs at once, and does reach it', async () => {
    const { report, transport } = await run([stage({ name: 'Ship', hosts: hosts(13), poolSize: 4 })], {
      // Uneven durations so slots free up at different times.
      script: (c) => ({ delayMs: 5 + (Number(c.host.split('-')[1]) % 4) * 5 }),
    });
    expect(report.result).toBe('success');
    expect(transport.records).toHaveLength(13);
    expect(transport.maxConcurrency).toBe(4);
    // One job per host: no host ever runs two commands at once.
    expect(Math.max(...transport.maxConcurrencyByHost.values())).toBe(1);
  });

  it('defaults to a pool of 10', async () => {
    const { transport } = await run([stage({ name: 'Ship', hosts: hosts(25), canary: false })], {
      script: () => ({ delayMs: 10 }),
    });
    expect(transport.maxConcurrency).toBe(10);
  });

  it('parallel: false runs the jobs one after another, in order, never overlapping', async () => {
    const { report, transport } = await run(
      [stage({ name: 'Ship', hosts: hosts(5), parallel: false, poolSize: 10 })],
      { script: () => ({ delayMs: 5 }) },
    );
    expect(results(report)).toEqual(Array(5).fill('success'));
    expect(transport.maxConcurrency).toBe(1);
    expect(transport.hostsStarted).toEqual(['web-1', 'web-2', 'web-3', 'web-4', 'web-5']);
    const calls = transport.records;
    for (let i = 1; i < calls.length; i++) {
      expect(calls[i]!.start).toBeGreaterThanOrEqual(calls[i - 1]!.end!);
    }
  });

  it('reports jobs in stage order, not completion order', async () => {
    const { report } = await run([stage({ name: 'Ship', hosts: hosts(4), canary: false })], {
      script: (c) => ({ delayMs: c.host === 'web-1' ? 30 : 1 }),
    });
    expect(report.stages[0]!.jobs.map((j) => j.host)).toEqual(['web-1', 'web-2', 'web-3', 'web-4']);
  });
});
