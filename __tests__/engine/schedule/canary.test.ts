import { CONTROLLER } from '../../../src/contract/host.js';
import { Stage } from '../../../src/engine/model/stage.js';
import { commandJob, host, hosts, ofType, results, run, stage } from '../harness.js';

describe('canary', () => {
  it('runs alone first; when it succeeds the others follow', async () => {
    const { report, transport, events } = await run([stage({ name: 'Ship', hosts: hosts(4) })], {
      script: () => ({ delayMs: 5 }),
    });
    expect(report.stages[0]!.canary).toBe('web-1');
    expect(ofType(events, 'stage-start')[0]!.canary).toBe('web-1');
    const [canary, ...rest] = transport.records;
    for (const r of rest) expect(r.start).toBeGreaterThanOrEqual(canary!.end!);
    expect(results(report)).toEqual(Array(4).fill('success'));
  });

  it('a failed canary starts zero other jobs and no later stage, even with canFail', async () => {
    const { report, transport } = await run(
      [
        stage({ name: 'Ship', hosts: hosts(5), canFail: true, maxFailures: 3, retries: 1, retryDelayMs: 0 }),
        stage({ name: 'After', hosts: hosts(5) }),
      ],
      { script: (c) => ({ exitCode: c.host === 'web-1' ? 1 : 0 }) },
    );
    // Two attempts of the canary and nothing else.
    expect(transport.records.map((r) => r.host)).toEqual(['web-1', 'web-1']);
    expect(report.result).toBe('failure');
    expect(report.stages[1]).toMatchObject({ name: 'After', result: 'skipped', jobs: [] });
    const s = report.stages[0]!;
    expect(s.result).toBe('failure');
    expect(s.tolerated).toBeUndefined();
    expect(s.jobs[0]).toMatchObject({ host: 'web-1', result: 'failure', attempts: 2, exitCode: 1 });
    expect(s.jobs.slice(1).map((j) => [j.result, j.error, j.attempts])).toEqual(
      Array(4).fill(['skipped', 'canary web-1 failed', 0]),
    );
    expect(report.reason).toBe('stage "Ship" failed: canary web-1 failed: exit code 1');
  });

  it('canary: false starts every job at once', async () => {
    const { transport, report } = await run([stage({ name: 'Ship', hosts: hosts(4), canary: false })], {
      script: () => ({ delayMs: 5 }),
    });
    expect(report.stages[0]!.canary).toBeNull();
    expect(transport.waves).toEqual([4]);
  });

  it('a single-job stage has no canary, so canFail tolerates its failure', async () => {
    const { report, events } = await run(
      [stage({ name: 'Notify', hosts: hosts(1), canFail: true }), stage({ name: 'After', hosts: hosts(2) })],
      { script: (c) => ({ exitCode: c.env.BW_STAGE === 'Notify' ? 7 : 0 }) },
    );
    expect(report.stages[0]).toMatchObject({ result: 'failure', canary: null, tolerated: true });
    expect(report.stages[1]!.result).toBe('success');
    expect(report.result).toBe('success');
    expect(ofType(events, 'warning').map((w) => w.message)).toEqual([
      'stage "Notify" failed but can-fail lets the run go on: 1 of 1 jobs failed (max-failures 0): web-1',
    ]);
  });
});

describe('limit and hosts filter', () => {
  it('limit counts the canary; jobs over it neither run nor appear in the report', async () => {
    const { report, transport, events } = await run([stage({ name: 'Ship', hosts: hosts(6) })], { limit: 3 });
    expect(transport.hostsStarted).toEqual(['web-1', 'web-2', 'web-3']);
    expect(report.stages[0]!.jobs.map((j) => j.host)).toEqual(['web-1', 'web-2', 'web-3']);
    expect(ofType(events, 'stage-start')[0]!.hosts).toEqual(['web-1', 'web-2', 'web-3']);
  });

  it('limit 1 leaves just the canary host, run as a plain job', async () => {
    const { report, transport } = await run([stage({ name: 'Ship', hosts: hosts(6) })], { limit: 1 });
    expect(transport.hostsStarted).toEqual(['web-1']);
    expect(report.stages[0]!.jobs).toHaveLength(1);
  });

  it('the hosts filter keeps listed hosts and controller jobs', async () => {
    const s = new Stage({
      name: 'Ship',
      jobs: () => [...hosts(4).map((h) => commandJob(h)), commandJob(CONTROLLER, 'notify')],
    });
    const { transport, report } = await run([s], { hosts: ['web-2', 'web-4'] });
    expect(transport.hostsStarted).toEqual(['web-2', 'web-4', 'controller']);
    expect(report.stages[0]!.canary).toBe('web-2');
  });

  it('a filter that leaves no job warns and skips the stage', async () => {
    const { report, events } = await run([stage({ name: 'Ship', hosts: [host('a')] })], { hosts: ['b'] });
    expect(report.stages[0]!.result).toBe('skipped');
    expect(report.result).toBe('success');
    expect(ofType(events, 'warning')[0]!.message).toBe('stage "Ship" skipped: the hosts filter left no jobs');
  });
});
