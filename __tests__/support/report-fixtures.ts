import type { JobReport, RunReport, StageReport } from '../../src/engine/report/report.js';

export function job(host: string, over: Partial<JobReport> = {}): JobReport {
  return {
    host,
    result: 'success',
    attempts: 1,
    durationMs: 120,
    exitCode: 0,
    error: null,
    outputTail: '',
    ...over,
  };
}

export function stage(name: string, jobs: JobReport[], over: Partial<StageReport> = {}): StageReport {
  const failed = jobs.some((j) => j.result === 'failure');
  return {
    name,
    result: failed ? 'failure' : 'success',
    canary: jobs[0]?.host ?? null,
    jobs,
    durationMs: 900,
    ...over,
  };
}

export function run(stages: StageReport[], over: Partial<RunReport> = {}): RunReport {
  const failed = stages.some((s) => s.result === 'failure' && !s.tolerated);
  return {
    version: 1,
    runner: 'deploy',
    release: '20261128T010000Z',
    result: failed ? 'failure' : 'success',
    startedAt: '2026-11-28T01:00:00.000Z',
    durationMs: 4200,
    stages,
    ...over,
  };
}
