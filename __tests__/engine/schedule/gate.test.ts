import { Stage } from '../../../src/engine/model/stage.js';
import { local, remote } from '../../../src/engine/model/subtask.js';
import { FakeTransport } from '../../support/fake-transport.js';
import { commandJob, hosts, ofType, results, run, stage } from '../harness.js';

const gate = (over: { timeoutMs?: number; soakMs?: number } = {}) => ({ check: local('gate'), ...over });

describe('gate', () => {
  it('runs once on the controller after each wave, the canary’s included, before the next wave starts', async () => {
    const { report, events, transport } = await run(
      [stage({ name: 'Ship', hosts: hosts(5), batch: [2], gate: gate() })],
      { script: (c) => ({ delayMs: c.script === 'deploy' ? 5 : 0 }) },
    );
    expect(report.result).toBe('success');
    expect(transport.records.map((r) => (r.script === 'gate' ? `gate ${r.env.BW_WAVE}` : r.host))).toEqual([
      'web-1',
      'gate 1',
      'web-2',
      'web-3',
      'gate 2',
      'web-4',
      'web-5',
      'gate 3',
    ]);
    const gates = transport.records.filter((r) => r.script === 'gate');
    expect(gates.map((r) => [r.host, r.env.BW_HOST, r.env.BW_WAVE_HOSTS, r.env.BW_STAGE])).toEqual([
      ['controller', 'controller', 'web-1', 'Ship'],
      ['controller', 'controller', 'web-2 web-3', 'Ship'],
      ['controller', 'controller', 'web-4 web-5', 'Ship'],
    ]);
    // A gate runs after every job of its wave ended.
    const ends = transport.records.filter((r) => r.script === 'deploy').map((r) => r.end!);
    expect(gates[1]!.start).toBeGreaterThanOrEqual(Math.max(ends[1]!, ends[2]!));
    const s = report.stages[0]!;
    expect(s.gate).toBe(true);
    expect(s.waves!.map((w) => [w.index, w.hosts, w.gate?.result])).toEqual([
      [1, ['web-1'], 'success'],
      [2, ['web-2', 'web-3'], 'success'],
      [3, ['web-4', 'web-5'], 'success'],
    ]);
    expect(ofType(events, 'wave-end').map((e) => `${e.wave.index}/${e.total}`)).toEqual([
      '1/3',
      '2/3',
      '3/3',
    ]);
    expect(ofType(events, 'stage-start')[0]).toMatchObject({ gate: true, waves: [1, 2, 2], when: 'success' });
    // The gate is not a job of the stage: no job-start or job-end for it.
    expect(ofType(events, 'job-start').map((e) => e.host)).not.toContain('controller');
    expect(ofType(events, 'job-end').map((e) => e.job.host)).not.toContain('controller');
    expect(ofType(events, 'step-start').filter((e) => e.host === 'controller')[0]!.label).toBe('gate: gate');
  });

  it('a gate that fails after wave 2 stops the stage like a failed canary: the rest skipped, the run stops, even with can-fail', async () => {
    const { report, transport } = await run(
      [
        stage({ name: 'Ship', hosts: hosts(6), batch: [2], canFail: true, gate: gate() }),
        stage({ name: 'After', hosts: hosts(1) }),
      ],
      {
        script: (c) =>
          c.script === 'gate' && c.env.BW_WAVE === '2' ? { exitCode: 3, lines: ['errors 5%'] } : {},
      },
    );
    expect(transport.records.filter((r) => r.script === 'deploy').map((r) => r.host)).toEqual([
      'web-1',
      'web-2',
      'web-3',
    ]);
    const s = report.stages[0]!;
    expect(results(report)).toEqual(['success', 'success', 'success', 'skipped', 'skipped', 'skipped']);
    expect(s.jobs[3]!.error).toBe('gate after wave 2 failed');
    expect(s).toMatchObject({ result: 'failure', reason: 'gate after wave 2 failed: exit code 3' });
    expect(s.tolerated).toBeUndefined();
    expect(s.waves![1]!.gate).toMatchObject({
      result: 'failure',
      exitCode: 3,
      error: 'exit code 3',
      outputTail: 'errors 5%',
    });
    expect(s.waves).toHaveLength(2);
    expect(report).toMatchObject({
      result: 'failure',
      reason: 'stage "Ship" failed: gate after wave 2 failed: exit code 3',
    });
    expect(report.stages[1]).toMatchObject({ name: 'After', result: 'skipped' });
  });

  it('waits out the soak after the wave before the gate', async () => {
    const { transport } = await run([
      stage({ name: 'Ship', hosts: hosts(2), canary: false, gate: gate({ soakMs: 150 }) }),
    ]);
    const last = Math.max(...transport.records.filter((r) => r.script === 'deploy').map((r) => r.end!));
    const g = transport.records.find((r) => r.script === 'gate')!;
    expect(g.start - last).toBeGreaterThanOrEqual(140);
  });

  it('a dry run does not wait out the soak', async () => {
    const started = performance.now();
    const { report } = await run([stage({ name: 'Ship', hosts: hosts(2), gate: gate({ soakMs: 60_000 }) })], {
      dryRun: true,
    });
    // Waiting out the soak would take 60 s: 6x the bound, which leaves a loaded machine room.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(report.stages[0]!.waves!.map((w) => w.gate?.result)).toEqual(['success', 'success']);
  });

  it('a gate past its timeout fails', async () => {
    const started = performance.now();
    const { report } = await run([stage({ name: 'Ship', hosts: hosts(3), gate: gate({ timeoutMs: 100 }) })], {
      script: (c) => (c.script === 'gate' ? { delayMs: 30_000 } : {}),
    });
    // The check would run 30 s: 3x the bound.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(report.stages[0]!.reason).toBe('gate after wave 1 failed: timed out after 100ms');
    expect(results(report)).toEqual(['success', 'skipped', 'skipped']);
  });

  it('does not run after a wave that already failed the stage (canary, budget)', async () => {
    const canary = await run([stage({ name: 'Canary', hosts: hosts(3), gate: gate() })], {
      script: (c) => ({ exitCode: c.host === 'web-1' ? 1 : 0 }),
    });
    expect(canary.transport.records.filter((r) => r.script === 'gate')).toHaveLength(0);
    expect(canary.report.stages[0]!.waves).toEqual([{ index: 1, hosts: ['web-1'], gate: null }]);
    const budget = await run([stage({ name: 'Budget', hosts: hosts(3), canary: false, gate: gate() })], {
      script: (c) => ({ exitCode: c.host === 'web-2' ? 1 : 0 }),
    });
    expect(budget.transport.records.filter((r) => r.script === 'gate')).toHaveLength(0);
    expect(budget.report.stages[0]!.reason).toBe('1 of 3 jobs failed (max-failures 0): web-2');
  });

  it('a cancel during the soak cancels the gate and the stage', async () => {
    const transport = new FakeTransport();
    const controller = new AbortController();
    const pending = run([stage({ name: 'Ship', hosts: hosts(3), gate: gate({ soakMs: 30_000 }) })], {
      transport,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'job-end') setTimeout(() => controller.abort(), 20);
      },
    });
    const started = performance.now();
    const { report } = await pending;
    // The soak would last 30 s: 3x the bound.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(report.result).toBe('cancelled');
    expect(report.stages[0]!.waves![0]!.gate).toMatchObject({ result: 'cancelled', error: 'cancelled' });
    expect(results(report)).toEqual(['success', 'cancelled', 'cancelled']);
  });

  it('on a stage of one job it runs once, after it, and the run warns', async () => {
    const { report, events, transport } = await run(
      [
        new Stage({ name: 'Solo', jobs: () => [commandJob(hosts(1)[0]!)], gate: gate() }),
        stage({ name: 'Filtered', hosts: hosts(3), gate: gate() }),
      ],
      { limit: 1 },
    );
    expect(transport.records.filter((r) => r.script === 'gate')).toHaveLength(2);
    expect(report.stages[0]!.waves).toEqual([
      { index: 1, hosts: ['web-1'], gate: expect.objectContaining({ result: 'success' }) },
    ]);
    // Only a stage that has one job of its own is warned about, not one a limit cut down.
    expect(ofType(events, 'warning').map((e) => e.message)).toEqual([
      'stage "Solo" has one job, so its gate runs once, after it; verify checks each host until it passes',
    ]);
    expect(report.warnings).toHaveLength(1);
  });

  it('a remote() check still runs on the controller', async () => {
    const { transport } = await run([
      stage({ name: 'Ship', hosts: hosts(2), gate: { check: remote('gate') } }),
    ]);
    expect(transport.records.filter((r) => r.script === 'gate').map((r) => r.host)).toEqual([
      'controller',
      'controller',
    ]);
  });
});
