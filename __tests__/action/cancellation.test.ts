import { Cancellation } from '../../src/cancellation.js';
import { PartialReport } from '../../src/report/partial-report.js';
import { CancelledError } from '../../src/errors.js';
import { job, stage } from './report-fixtures.js';

describe('Cancellation', () => {
  it('aborts with a CancelledError naming the cause, once', () => {
    const messages: string[] = [];
    const c = new Cancellation(1000, (m) => messages.push(m));
    c.cancel('cancelled by SIGINT');
    c.cancel('cancelled by SIGTERM');
    expect(c.signal.aborted).toBe(true);
    expect(c.signal.reason).toBeInstanceOf(CancelledError);
    expect((c.signal.reason as Error).message).toBe('cancelled by SIGINT');
    expect(messages).toEqual(['cancelled by SIGINT']);
    // As the action does, end with `race`: it clears the grace timer, which would hold the worker open.
    return c.race(Promise.resolve());
  });

  it('gives the work its value when it finishes in time', async () => {
    const c = new Cancellation(1000);
    await expect(c.race(Promise.resolve(42))).resolves.toBe(42);
  });

  it('stops waiting after the grace period once cancelled', async () => {
    const c = new Cancellation(50);
    const never = new Promise<number>(() => {});
    const started = Date.now();
    const raced = c.race(never);
    c.cancel('cancelled by SIGTERM');
    await expect(raced).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('stops waiting at once on a second signal', async () => {
    const c = new Cancellation(60_000);
    const raced = c.race(new Promise<number>(() => {}));
    c.cancel('cancelled by SIGINT');
    c.cancel('cancelled by SIGTERM');
    await expect(raced).resolves.toBeUndefined();
  });

  it('a late rejection of abandoned work is not unhandled', async () => {
    const c = new Cancellation(10);
    let reject: (e: Error) => void = () => {};
    const work = new Promise<number>((_, r) => (reject = r));
    const raced = c.race(work);
    c.cancel('cancelled by SIGINT');
    await raced;
    reject(new Error('late'));
    await new Promise((r) => setTimeout(r, 20));
  });
});

describe('PartialReport', () => {
  it('rebuilds a cancelled run from events: ended stages, ended jobs, the rest cancelled', () => {
    let now = 1_000;
    const p = new PartialReport('deploy', () => now);
    const built = stage('Build', [job('(controller)')], { canary: null });
    p.onEvent({
      type: 'run-start',
      runner: 'deploy',
      release: 'R7',
      startedAt: new Date(0).toISOString(),
      stageCount: 2,
    });
    p.onEvent({ type: 'stage-end', stage: built, index: 1, total: 2 });
    p.onEvent({
      type: 'stage-start',
      stage: 'Ship',
      index: 2,
      total: 2,
      hosts: ['a', 'b', 'c'],
      canary: 'a',
    });
    p.onEvent({ type: 'job-start', stage: 'Ship', host: 'a', attempt: 1 });
    p.onEvent({ type: 'job-end', stage: 'Ship', job: job('a') });
    p.onEvent({ type: 'job-start', stage: 'Ship', host: 'b', attempt: 2 });
    now = 4_000;
    const r = p.snapshot('cancelled by SIGTERM');
    expect(r).toMatchObject({ runner: 'deploy', release: 'R7', result: 'cancelled', durationMs: 4_000 });
    expect(r.reason).toBe('cancelled by SIGTERM');
    expect(r.stages[0]).toBe(built);
    expect(r.stages[1]).toMatchObject({ name: 'Ship', result: 'failure', canary: 'a', durationMs: 3_000 });
    expect(r.stages[1]?.jobs.map((j) => [j.host, j.result, j.attempts])).toEqual([
      ['a', 'success', 1],
      ['b', 'cancelled', 2],
      ['c', 'cancelled', 0],
    ]);
  });

  it('returns the engine report once the run ended', () => {
    const p = new PartialReport('deploy');
    const report = {
      version: 1 as const,
      runner: 'deploy',
      release: 'R',
      result: 'success' as const,
      startedAt: '2026-11-28T01:00:00.000Z',
      durationMs: 1,
      stages: [],
    };
    p.onEvent({ type: 'run-end', report });
    expect(p.snapshot('x')).toBe(report);
  });
});
