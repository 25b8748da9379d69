import { PartialReport } from '../../src/reporters/partial-report.js';
import { job, stage } from '../support/report-fixtures.js';

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
      when: 'success',
      gate: false,
      waves: [1, 2],
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
