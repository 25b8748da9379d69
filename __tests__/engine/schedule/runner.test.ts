import type { EngineEvent } from '../../../src/engine/report/events.js';
import { Executor } from '../../../src/engine/schedule/executor.js';
import type { StageReport } from '../../../src/engine/report/report.js';
import { Runner } from '../../../src/engine/model/runner.js';
import { Stage } from '../../../src/engine/model/stage.js';
import { FakeTransport } from '../../support/fake-transport.js';
import { commandJob, host, hosts, ofType, run, stage } from '../harness.js';

describe('runner', () => {
  it('pulls stages lazily: each one sees the reports of those before it', async () => {
    const seen: string[][] = [];
    const { report } = await run(async function* (ctx) {
      seen.push(ctx.previous.map((s) => s.name));
      yield stage({ name: 'Build', hosts: hosts(1) });
      seen.push(ctx.previous.map((s) => `${s.name}:${s.result}`));
      yield stage({ name: 'Ship', hosts: hosts(2) });
      seen.push(ctx.previous.map((s) => `${s.name}:${s.result}`));
    });
    expect(seen).toEqual([[], ['Build:success'], ['Build:success', 'Ship:success']]);
    expect(report.stages.map((s) => s.name)).toEqual(['Build', 'Ship']);
  });

  it('a stage can choose its jobs from earlier reports', async () => {
    const failedBefore = (previous: readonly StageReport[]) =>
      previous.flatMap((s) => s.jobs.filter((j) => j.result === 'failure').map((j) => j.host));
    const { transport } = await run(
      [
        stage({ name: 'Ship', hosts: hosts(3), canary: false, canFail: true }),
        new Stage({
          name: 'Repair',
          jobs: (ctx) => failedBefore(ctx.previous).map((name) => commandJob(host(name))),
        }),
      ],
      { script: (c) => ({ exitCode: c.env.BW_STAGE === 'Ship' && c.host === 'web-2' ? 1 : 0 }) },
    );
    expect(transport.records.filter((r) => r.env.BW_STAGE === 'Repair').map((r) => r.host)).toEqual([
      'web-2',
    ]);
  });

  it('after a stage fails without can-fail, later stages are skipped unlisted and reported so', async () => {
    let pulled = 0;
    let listed = 0;
    let closed = false;
    const { report, transport, events } = await run(
      function* () {
        try {
          pulled++;
          yield stage({ name: 'Ship', hosts: hosts(1) });
          pulled++;
          // Pulled (a stage on the way out could follow), but its jobs are never even listed.
          yield new Stage({ name: 'Never', jobs: () => (listed++, hosts(1).map((h) => commandJob(h))) });
        } finally {
          closed = true; // the runner's generator is closed, so its own cleanup runs
        }
      },
      { script: () => ({ exitCode: 1 }) },
    );
    expect(pulled).toBe(2);
    expect(listed).toBe(0);
    expect(transport.records).toHaveLength(1);
    expect(report.stages[1]).toEqual({
      name: 'Never',
      result: 'skipped',
      canary: null,
      jobs: [],
      durationMs: 0,
      reason: 'the release failed at stage "Ship"',
      when: 'success',
    });
    expect(ofType(events, 'stage-start').map((e) => e.stage)).toEqual(['Ship']);
    expect(ofType(events, 'stage-end').map((e) => [e.stage.name, e.index])).toEqual([
      ['Ship', 1],
      ['Never', 2],
    ]);
    expect(closed).toBe(true);
    expect(report).toMatchObject({
      result: 'failure',
      reason: 'stage "Ship" failed: 1 of 1 jobs failed (max-failures 0): web-1',
    });
  });

  it('a stage with no jobs warns, is skipped, and the run goes on', async () => {
    const { report, events } = await run([
      new Stage({ name: 'Empty', jobs: () => [] }),
      stage({ name: 'Ship', hosts: hosts(2) }),
    ]);
    expect(report.stages.map((s) => [s.name, s.result])).toEqual([
      ['Empty', 'skipped'],
      ['Ship', 'success'],
    ]);
    expect(report.result).toBe('success');
    expect(ofType(events, 'warning')).toEqual([
      { type: 'warning', stage: 'Empty', message: 'stage "Empty" skipped: it yielded no jobs' },
    ]);
  });

  it('a failing setup fails the run, runs no stage, and cleanup still runs', async () => {
    let cleaned = false;
    const { report, transport } = await run([stage({ name: 'Ship', hosts: hosts(2) })], {
      runner: {
        setup: () => {
          throw new Error('lock held by someone else');
        },
        cleanup: () => void (cleaned = true),
      },
    });
    expect(report).toMatchObject({
      result: 'failure',
      reason: 'setup of runner "deploy" failed: lock held by someone else',
      stages: [],
    });
    expect(transport.records).toHaveLength(0);
    expect(cleaned).toBe(true);
  });

  it('a failing cleanup becomes a warning and does not change the result', async () => {
    const { report, events } = await run([stage({ name: 'Ship', hosts: hosts(1) })], {
      runner: {
        cleanup: async () => {
          throw new Error('unlock failed');
        },
      },
    });
    expect(report.result).toBe('success');
    expect(ofType(events, 'warning').map((w) => w.message)).toEqual([
      'cleanup of runner "deploy" failed: unlock failed',
    ]);
  });

  it('a stage whose job list throws fails like any stage (can-fail applies)', async () => {
    const { report } = await run([
      new Stage({
        name: 'Broken',
        canFail: true,
        jobs: () => {
          throw new Error('inventory unreachable');
        },
      }),
      stage({ name: 'Ship', hosts: hosts(1) }),
    ]);
    expect(report.stages[0]).toMatchObject({
      result: 'failure',
      tolerated: true,
      reason: 'could not list its jobs: inventory unreachable',
    });
    expect(report.result).toBe('success');
  });

  it('a runner whose stage generator throws fails the run with the reason', async () => {
    const { report } = await run(function* () {
      yield stage({ name: 'Ship', hosts: hosts(1) });
      throw new Error('bad plan');
    });
    expect(report.stages).toHaveLength(1);
    expect(report).toMatchObject({
      result: 'failure',
      reason: 'runner "deploy" could not produce its next stage: bad plan',
    });
  });

  it('defaults the release id to a UTC timestamp and a random suffix, new for every run', async () => {
    const executor = new Executor({ transport: new FakeTransport() });
    const runner = new Runner({ name: 'deploy', stages: [] });
    const [a, b] = await Promise.all([executor.run(runner), executor.run(runner)]);
    expect(a.release).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(a.release.slice(0, 16)).toBe(a.startedAt.replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, ''));
    // Two runs started together (the same second, most likely): two release directories.
    expect(b.release).not.toBe(a.release);
  });

  it('a listener that throws does not break the run', async () => {
    const { report, events } = await run([stage({ name: 'Ship', hosts: hosts(3) })], {
      onEvent: () => {
        throw new Error('reporter bug');
      },
    });
    expect(report.result).toBe('success');
    expect(events.at(-1)!.type).toBe('run-end');
  });

  it('rejects a release id that cannot name a directory, once, before anything runs', () => {
    for (const release of ['../etc', 'a/b', '']) {
      expect(() => new Executor({ transport: new FakeTransport(), release })).toThrow(
        /^release: expected a release id: .* got /,
      );
    }
    expect(() => new Executor({ transport: new FakeTransport(), release: 'v1.2.3' })).not.toThrow();
  });

  it('rejects a bad limit, quoting it', () => {
    expect(() => new Executor({ transport: new FakeTransport(), limit: 0 })).toThrow(
      'limit must be a positive integer, got 0',
    );
    expect(() => new Stage({ name: 'S', poolSize: 0 })).toThrow(
      'stage "S": poolSize must be a positive integer, got 0',
    );
  });
});

describe('events', () => {
  it('come in order: run, stage, per job start/step/output/retry/end, stage end, run end', async () => {
    const { events, report } = await run(
      [stage({ name: 'Ship', hosts: hosts(2), parallel: false, retries: 1, retryDelayMs: 0 })],
      {
        release: 'r1',
        script: (c) => ({
          lines: [`hello from ${c.host}`],
          exitCode: c.host === 'web-2' && c.attempt === 1 ? 1 : 0,
        }),
      },
    );
    const brief = (e: EngineEvent): string => {
      switch (e.type) {
        case 'job-start':
          return `job-start ${e.host} #${e.attempt}`;
        case 'step-start':
          return `step ${e.host} ${e.label}`;
        case 'output':
          return `output ${e.host} ${e.line}`;
        case 'job-retry':
          return `retry ${e.host} #${e.attempt} ${e.error}`;
        case 'job-end':
          return `job-end ${e.job.host} ${e.job.result}`;
        case 'stage-start':
          return `stage-start ${e.stage} ${e.index}/${e.total} ${e.hosts.join(',')} canary=${e.canary}`;
        case 'stage-end':
          return `stage-end ${e.stage.name} ${e.stage.result}`;
        case 'wave-end':
          return `wave-end ${e.wave.index}/${e.total} ${e.wave.hosts.join(',')}`;
        default:
          return e.type;
      }
    };
    expect(events.map(brief)).toEqual([
      'run-start',
      'stage-start Ship 1/1 web-1,web-2 canary=web-1',
      'job-start web-1 #1',
      'step web-1 run: deploy',
      'output web-1 hello from web-1',
      'job-end web-1 success',
      'wave-end 1/2 web-1',
      'job-start web-2 #1',
      'step web-2 run: deploy',
      'output web-2 hello from web-2',
      'retry web-2 #1 exit code 1',
      'job-start web-2 #2',
      'step web-2 run: deploy',
      'output web-2 hello from web-2',
      'job-end web-2 success',
      'wave-end 2/2 web-2',
      'stage-end Ship success',
      'run-end',
    ]);
    expect(events[0]).toEqual({
      type: 'run-start',
      runner: 'deploy',
      release: 'r1',
      startedAt: report.startedAt,
      stageCount: 1,
    });
    expect(events.at(-1)).toEqual({ type: 'run-end', report });
  });

  it('report: the fields the JSON report is made of are all there', async () => {
    const { report } = await run([stage({ name: 'Ship', hosts: [host('a')] })]);
    expect(report).toMatchObject({ version: 1, runner: 'deploy', result: 'success' });
    expect(typeof report.durationMs).toBe('number');
    expect(report.stages[0]).toMatchObject({ name: 'Ship', result: 'success', canary: null });
    expect(Object.keys(report.stages[0]!.jobs[0]!).sort()).toEqual(
      ['attempts', 'durationMs', 'error', 'exitCode', 'host', 'outputTail', 'result', 'startedAtMs'].sort(),
    );
    // When the job and its stage started: within the run, in ms since the epoch.
    const runStart = Date.parse(report.startedAt);
    for (const t of [report.stages[0]!.startedAtMs, report.stages[0]!.jobs[0]!.startedAtMs]) {
      expect(t).toBeGreaterThanOrEqual(runStart - 5);
      expect(t).toBeLessThanOrEqual(runStart + report.durationMs + 5);
    }
  });
});

describe('stage job lists', () => {
  it('something that is not a Job fails the stage with a clear reason', async () => {
    const { report } = await run([new Stage({ name: 'Odd', jobs: () => ['web-1' as never] })]);
    expect(report.stages[0]).toMatchObject({
      result: 'failure',
      reason: 'could not list its jobs: expected Job objects, got web-1',
    });
    expect(report.reason).toBe(
      'stage "Odd" failed: could not list its jobs: expected Job objects, got web-1',
    );
  });

  it('accepts an async iterable of jobs', async () => {
    const { transport } = await run([
      new Stage({
        name: 'Ship',
        jobs: async function* () {
          yield commandJob(host('a'));
          yield commandJob(host('b'));
        },
      }),
    ]);
    expect(transport.hostsStarted).toEqual(['a', 'b']);
  });
});
