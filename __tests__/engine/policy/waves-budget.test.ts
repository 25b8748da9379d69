import { failureAllowance } from '../../../src/engine/policy/failure-budget.js';
import { waveSize, waveSizes } from '../../../src/engine/policy/waves.js';
import { hosts, ofType, results, run, stage } from '../harness.js';

describe('waveSizes', () => {
  const s = (batch: ({ percent: number } | number)[], canary = true) => ({ canary, batch });
  it('canary alone, then the batch sizes, the last repeating', () => {
    expect(waveSizes(s([2, 5]), 20)).toEqual([1, 2, 5, 5, 5, 2]);
  });
  it('a percentage is of the stage job count, rounded up', () => {
    expect(waveSizes(s([{ percent: 25 }]), 10)).toEqual([1, 3, 3, 3]);
    expect(waveSize({ percent: 1 }, 10)).toBe(1);
  });
  it('without batch: canary then one wave; without canary: one wave', () => {
    expect(waveSizes(s([]), 7)).toEqual([1, 6]);
    expect(waveSizes(s([], false), 7)).toEqual([7]);
    expect(waveSizes(s([2], false), 5)).toEqual([2, 2, 1]);
  });
  it('a stage of one job has no canary wave', () => {
    expect(waveSizes(s([2]), 1)).toEqual([1]);
    expect(waveSizes(s([]), 0)).toEqual([]);
  });
  it('a percentage budget is rounded down', () => {
    expect(failureAllowance({ percent: 25 }, 10)).toBe(2);
    expect(failureAllowance({ percent: 10 }, 9)).toBe(0);
    expect(failureAllowance(3, 9)).toBe(3);
  });
});

describe('batch waves', () => {
  it('runs the waves observed: canary, 2, 25% of 10 = 3, then 3 again, last 1', async () => {
    const { report, transport } = await run(
      [stage({ name: 'Ship', hosts: hosts(10), batch: [2, { percent: 25 }], poolSize: 10 })],
      { script: () => ({ delayMs: 2 }) },
    );
    expect(report.result).toBe('success');
    expect(transport.waves).toEqual([1, 2, 3, 3, 1]);
  });

  it('inside a wave the pool still caps concurrency', async () => {
    const { transport } = await run([stage({ name: 'Ship', hosts: hosts(9), batch: [8], poolSize: 3 })], {
      script: () => ({ delayMs: 3 }),
    });
    expect(transport.records).toHaveLength(9);
    expect(transport.maxConcurrency).toBe(3);
  });

  it('sequential with batches never overlaps', async () => {
    const { transport } = await run([stage({ name: 'Ship', hosts: hosts(6), batch: [3], parallel: false })], {
      script: () => ({ delayMs: 2 }),
    });
    expect(transport.maxConcurrency).toBe(1);
    expect(transport.records).toHaveLength(6);
  });

  it('a wave does not start once the previous one exceeded the budget', async () => {
    const { report, transport } = await run(
      [stage({ name: 'Ship', hosts: hosts(8), batch: [3], maxFailures: 1 })],
      { script: (c) => ({ exitCode: ['web-2', 'web-3'].includes(c.host) ? 1 : 0, delayMs: 2 }) },
    );
    expect(transport.hostsStarted).toEqual(['web-1', 'web-2', 'web-3', 'web-4']);
    expect(results(report)).toEqual([
      'success',
      'failure',
      'failure',
      'success',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
    ]);
    expect(report.stages[0]!.result).toBe('failure');
  });
});

describe('failure budget', () => {
  it('failures within the budget leave the stage a success', async () => {
    const { report } = await run([stage({ name: 'Ship', hosts: hosts(5), maxFailures: 2 })], {
      script: (c) => ({ exitCode: ['web-2', 'web-5'].includes(c.host) ? 1 : 0 }),
    });
    expect(results(report)).toEqual(['success', 'failure', 'success', 'success', 'failure']);
    expect(report.stages[0]!.result).toBe('success');
    expect(report.result).toBe('success');
  });

  it('count: once exceeded no new job starts, running ones finish, the rest are skipped', async () => {
    // Sequential so "running" and "not started" are unambiguous.
    const { report, transport, events } = await run(
      [
        stage({ name: 'Ship', hosts: hosts(8), parallel: false, maxFailures: 1 }),
        stage({ name: 'Next', hosts: hosts(1) }),
      ],
      { script: (c) => ({ exitCode: ['web-3', 'web-5'].includes(c.host) ? 2 : 0 }) },
    );
    expect(transport.hostsStarted).toEqual(['web-1', 'web-2', 'web-3', 'web-4', 'web-5']);
    const s = report.stages[0]!;
    expect(s.jobs.slice(5).map((j) => j.error)).toEqual(
      Array(3).fill('failure budget exceeded: 2 of 8 jobs failed (max-failures 1): web-3, web-5'),
    );
    expect(s.result).toBe('failure');
    expect(report.stages.map((st) => [st.name, st.result, st.jobs.length])).toEqual([
      ['Ship', 'failure', 8],
      ['Next', 'skipped', 0],
    ]);
    expect(report.reason).toBe('stage "Ship" failed: 2 of 8 jobs failed (max-failures 1): web-3, web-5');
    // every selected job gets a job-end, started or not
    expect(
      ofType(events, 'job-end')
        .map((e) => e.job.host)
        .sort(),
    ).toEqual(
      hosts(8)
        .map((h) => h.name)
        .sort(),
    );
  });

  it('percent: 25% of 8 allows 2; the third failure stops new jobs, running ones finish', async () => {
    const failing = ['web-2', 'web-3', 'web-4'];
    const { report, transport } = await run(
      [stage({ name: 'Ship', hosts: hosts(8), poolSize: 3, maxFailures: { percent: 25 } })],
      {
        // Failures end fast and successes slowly, so each freed slot is refilled while web-5 and
        // web-6 are still running when the budget is exceeded.
        script: (c) => ({
          exitCode: failing.includes(c.host) ? 1 : 0,
          delayMs: failing.includes(c.host) ? 2 : 30,
        }),
      },
    );
    expect(report.stages[0]!.result).toBe('failure');
    expect(transport.hostsStarted).toEqual(['web-1', 'web-2', 'web-3', 'web-4', 'web-5', 'web-6']);
    expect(results(report)).toEqual([
      'success',
      'failure',
      'failure',
      'failure',
      'success',
      'success',
      'skipped',
      'skipped',
    ]);
  });

  it('percent rounded down: 10% of 9 allows none', async () => {
    const { report } = await run(
      [stage({ name: 'Ship', hosts: hosts(9), maxFailures: { percent: 10 }, canary: false })],
      {
        script: (c) => ({ exitCode: c.host === 'web-9' ? 1 : 0 }),
      },
    );
    expect(report.stages[0]!.result).toBe('failure');
  });

  it('canFail tolerates an exceeded budget: warning, tolerated, the run goes on', async () => {
    const { report, events } = await run(
      [stage({ name: 'Warm', hosts: hosts(3), canFail: true }), stage({ name: 'Next', hosts: hosts(2) })],
      { script: (c) => ({ exitCode: c.env.BW_STAGE === 'Warm' && c.host === 'web-3' ? 1 : 0 }) },
    );
    expect(report.stages[0]).toMatchObject({ result: 'failure', tolerated: true });
    expect(report.stages[1]!.result).toBe('success');
    expect(report.result).toBe('success');
    expect(ofType(events, 'warning')).toHaveLength(1);
  });
});
