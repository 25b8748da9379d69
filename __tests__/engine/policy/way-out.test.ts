import type { StageWhen } from '../../../src/engine/report/report.js';
import { FakeTransport, type FakeScript } from '../../support/fake-transport.js';
import { hosts, ofType, results, run, stage } from '../harness.js';

/** A stage of one `deploy`-like command per host, named for what it does. */
const s = (name: string, when: StageWhen | undefined, n = 2, prefix = 'web') =>
  stage({ name, hosts: hosts(n, prefix), script: name, ...(when ? { when } : {}) });

/** Which stages ran commands, in order, each once. */
const ran = (transport: FakeTransport): string[] => [...new Set(transport.records.map((r) => r.script))];

const summary = (report: { stages: { name: string; result: string; reason?: string }[] }) =>
  report.stages.map((st) => `${st.name}: ${st.result}${st.result === 'skipped' ? ` (${st.reason})` : ''}`);

describe('stages on the way out', () => {
  it('after a failed canary: the failure and always stages run with the run so far in their env, the success ones are skipped', async () => {
    const { report, transport, events } = await run(
      [
        s('Ship', undefined, 3),
        s('Switch', 'success'),
        s('Undo', 'failure'),
        s('Notify', 'always', 1),
        s('On cancel', 'cancelled', 1),
      ],
      { script: (c) => ({ exitCode: c.script === 'Ship' && c.host === 'web-1' ? 1 : 0 }) },
    );
    expect(ran(transport)).toEqual(['Ship', 'Undo', 'Notify']);
    expect(summary(report)).toEqual([
      'Ship: failure',
      'Switch: skipped (the release failed at stage "Ship")',
      'Undo: success',
      'Notify: success',
      'On cancel: skipped (runs only when the release is cancelled)',
    ]);
    expect(report).toMatchObject({
      result: 'failure',
      reason: 'stage "Ship" failed: canary web-1 failed: exit code 1',
    });
    const undo = transport.records.filter((r) => r.script === 'Undo');
    expect(undo.map((r) => r.host)).toEqual(['web-1', 'web-2']);
    for (const r of undo) {
      expect(r.env).toMatchObject({
        BW_RESULT: 'failure',
        BW_FAILED_STAGE: 'Ship',
        BW_FAILED_HOSTS: 'web-1',
      });
    }
    expect(report.stages.map((st) => st.when)).toEqual([
      'success',
      'success',
      'failure',
      'always',
      'cancelled',
    ]);
    // While the release succeeds, every job sees BW_RESULT=success.
    expect(transport.records[0]!.env).toMatchObject({
      BW_RESULT: 'success',
      BW_FAILED_STAGE: '',
      BW_FAILED_HOSTS: '',
    });
    expect(ofType(events, 'stage-start').map((e) => `${e.stage} ${e.when}`)).toEqual([
      'Ship success',
      'Undo failure',
      'Notify always',
    ]);
    // Skipped stages are reported with a stage-end of their own, numbered in order.
    expect(ofType(events, 'stage-end').map((e) => `${e.index} ${e.stage.name} ${e.stage.result}`)).toEqual([
      '1 Ship failure',
      '2 Switch skipped',
      '3 Undo success',
      '4 Notify success',
      '5 On cancel skipped',
    ]);
  });

  it('after success: the always stages run, the failure and cancelled ones are skipped', async () => {
    const { report, transport } = await run([
      s('Ship', undefined),
      s('Undo', 'failure'),
      s('Notify', 'always', 1),
      s('On cancel', 'cancelled', 1),
      s('Smoke', undefined),
    ]);
    expect(ran(transport)).toEqual(['Ship', 'Notify', 'Smoke']);
    expect(summary(report)).toEqual([
      'Ship: success',
      'Undo: skipped (runs only when the release fails)',
      'Notify: success',
      'On cancel: skipped (runs only when the release is cancelled)',
      'Smoke: success',
    ]);
    expect(transport.records.find((r) => r.script === 'Notify')!.env.BW_RESULT).toBe('success');
    expect(report.result).toBe('success');
    expect(report.warnings).toEqual([]);
  });

  it('their own failure is a warning: the result stands, and the stages after them still run', async () => {
    const { report, transport, events } = await run(
      [
        s('Ship', undefined),
        s('Notify', 'always', 1),
        s('Smoke', undefined),
        s('Broken', undefined),
        s('Undo', 'failure', 3),
        s('Report', 'always', 1),
      ],
      { script: (c) => ({ exitCode: ['Notify', 'Broken', 'Undo'].includes(c.script) ? 1 : 0 }) },
    );
    expect(ran(transport)).toEqual(['Ship', 'Notify', 'Smoke', 'Broken', 'Undo', 'Report']);
    expect(report).toMatchObject({
      result: 'failure',
      reason: 'stage "Broken" failed: canary web-1 failed: exit code 1',
    });
    expect(report.stages[1]).toMatchObject({ result: 'failure', tolerated: true });
    expect(report.stages[4]).toMatchObject({
      result: 'failure',
      tolerated: true,
      reason: 'canary web-1 failed: exit code 1',
    });
    const warnings = [
      'stage "Notify" (when: always) failed, which does not change the result: 1 of 1 jobs failed (max-failures 0): web-1',
      'stage "Undo" (when: failure) failed, which does not change the result: canary web-1 failed: exit code 1',
    ];
    expect(report.warnings).toEqual(warnings);
    expect(ofType(events, 'warning').map((e) => e.message)).toEqual(warnings);
    // BW_FAILED_HOSTS: every host whose job failed so far, each once.
    expect(transport.records.find((r) => r.script === 'Report')!.env).toMatchObject({
      BW_RESULT: 'failure',
      BW_FAILED_STAGE: 'Broken',
      BW_FAILED_HOSTS: 'web-1',
    });
  });

  it('after a cancel: only the cancelled and always stages run, with a signal of their own', async () => {
    const transport = new FakeTransport((c) => (c.script === 'Ship' ? { delayMs: 10_000 } : {}));
    const controller = new AbortController();
    const pending = run(
      [
        s('Ship', undefined, 3),
        s('Switch', undefined),
        s('Undo', 'failure'),
        s('Notify', 'cancelled', 2),
        s('Report', 'always', 1),
      ],
      { transport, signal: controller.signal },
    );
    await transport.started(1);
    controller.abort();
    const { report } = await pending;
    expect(ran(transport)).toEqual(['Ship', 'Notify', 'Report']);
    expect(summary(report)).toEqual([
      'Ship: failure',
      'Switch: skipped (the release was cancelled)',
      'Undo: skipped (runs only when the release fails)',
      'Notify: success',
      'Report: success',
    ]);
    expect(results(report, 0)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(report).toMatchObject({ result: 'cancelled', reason: 'cancelled during stage "Ship"' });
    const notify = transport.records.filter((r) => r.script === 'Notify');
    expect(notify.map((r) => [r.host, r.outcome, r.env.BW_RESULT])).toEqual([
      ['web-1', 'resolved', 'cancelled'],
      ['web-2', 'resolved', 'cancelled'],
    ]);
    expect(notify[0]!.signal.aborted).toBe(false);
  });

  it('an always stage after success, and after a cancel', async () => {
    const ok = await run([s('Ship', undefined), s('Always', 'always', 1)]);
    expect(ran(ok.transport)).toEqual(['Ship', 'Always']);
    const transport = new FakeTransport((c) => (c.script === 'Ship' ? { delayMs: 10_000 } : {}));
    const controller = new AbortController();
    const pending = run([s('Ship', undefined), s('Always', 'always', 1)], {
      transport,
      signal: controller.signal,
    });
    await transport.started(1);
    controller.abort();
    const cancelled = await pending;
    expect(ran(transport)).toEqual(['Ship', 'Always']);
    expect(cancelled.report.stages[1]).toMatchObject({ name: 'Always', result: 'success' });
    expect(cancelled.report.result).toBe('cancelled');
  });

  it('after a cancel they get the cancel budget, counted from the cancel, and no more', async () => {
    const transport = new FakeTransport((c) =>
      c.script === 'Ship' || c.script === 'Hangs' ? { delayMs: 30_000 } : {},
    );
    const controller = new AbortController();
    const pending = run(
      [s('Ship', undefined), s('Notify', 'cancelled', 1), s('Hangs', 'always', 1), s('Never', 'always', 1)],
      { transport, signal: controller.signal, cancelBudgetMs: 400 },
    );
    await transport.started(1);
    const cancelledAt = performance.now();
    controller.abort();
    const { report } = await pending;
    const took = performance.now() - cancelledAt;
    expect(took).toBeGreaterThanOrEqual(380);
    // "Hangs" would run 30 s: 3x the bound.
    expect(took).toBeLessThan(10_000);
    expect(report.stages[1]).toMatchObject({ name: 'Notify', result: 'success' });
    expect(report.stages[2]).toMatchObject({ name: 'Hangs', result: 'failure', tolerated: true });
    expect(report.stages[2]!.jobs[0]).toMatchObject({
      result: 'cancelled',
      error: 'cancelled: the cancel budget of 400ms ran out',
    });
    expect(transport.records.find((r) => r.script === 'Hangs')!.outcome).toBe('aborted');
    // Once the budget ran out, nothing more starts or is even pulled.
    expect(ran(transport)).toEqual(['Ship', 'Notify', 'Hangs']);
    expect(report.stages.map((st) => st.name)).toEqual(['Ship', 'Notify', 'Hangs']);
    expect(report.result).toBe('cancelled');
  });

  it('a cancel while a failure stage runs: it goes on within the budget, and the result stays failure', async () => {
    const transport = new FakeTransport((c): ReturnType<FakeScript> => {
      if (c.script === 'Ship') return { exitCode: 1 };
      if (c.script === 'Undo') return { delayMs: 150 };
      return {};
    });
    const controller = new AbortController();
    const pending = run([s('Ship', undefined, 1), s('Undo', 'failure', 1), s('Cleanup', 'failure', 1)], {
      transport,
      signal: controller.signal,
      cancelBudgetMs: 2_000,
    });
    await transport.started(2);
    controller.abort();
    const { report } = await pending;
    expect(ran(transport)).toEqual(['Ship', 'Undo', 'Cleanup']);
    expect(report.stages.map((st) => st.result)).toEqual(['failure', 'success', 'success']);
    expect(report).toMatchObject({
      result: 'failure',
      reason: 'stage "Ship" failed: 1 of 1 jobs failed (max-failures 0): web-1',
    });
  });

  it('an always stage that fails while the release succeeds does not stop it', async () => {
    const { report, transport } = await run(
      [s('Ship', undefined), s('Announce', 'always', 1), s('Switch', undefined)],
      { script: (c) => ({ exitCode: c.script === 'Announce' ? 1 : 0 }) },
    );
    expect(ran(transport)).toEqual(['Ship', 'Announce', 'Switch']);
    expect(report.result).toBe('success');
  });

  it('none runs when the run never got past its setup (where a run takes its lock)', async () => {
    const { report, transport, events } = await run(
      [s('Ship', undefined), s('Undo', 'failure'), s('Notify', 'always', 1)],
      {
        runner: {
          setup: () => {
            throw new Error('lock held by alice since 10:02');
          },
        },
      },
    );
    expect(transport.records).toEqual([]);
    expect(report.stages).toEqual([]);
    expect(ofType(events, 'stage-end')).toEqual([]);
    expect(report).toMatchObject({
      result: 'failure',
      reason: 'setup of runner "deploy" failed: lock held by alice since 10:02',
    });
  });

  it('a dry run runs every stage whatever its when, so the plan shows them', async () => {
    const { report, transport } = await run(
      [s('Ship', undefined), s('Undo', 'failure'), s('Notify', 'cancelled', 1), s('Report', 'always', 1)],
      { dryRun: true },
    );
    expect(ran(transport)).toEqual(['Ship', 'Undo', 'Notify', 'Report']);
    expect(report.stages.map((st) => [st.name, st.result, st.when])).toEqual([
      ['Ship', 'success', 'success'],
      ['Undo', 'success', 'failure'],
      ['Notify', 'success', 'cancelled'],
      ['Report', 'success', 'always'],
    ]);
  });

  it('a lazy runner is pulled on after a failure, so a stage on the way out it yields still runs', async () => {
    const { transport, report } = await run(
      function* (ctx) {
        yield s('Ship', undefined, 1);
        const failed = ctx.previous.at(-1)?.result === 'failure';
        yield s(failed ? 'Undo' : 'Done', failed ? 'failure' : undefined, 1);
      },
      { script: (c) => ({ exitCode: c.script === 'Ship' ? 1 : 0 }) },
    );
    expect(ran(transport)).toEqual(['Ship', 'Undo']);
    expect(report.result).toBe('failure');
  });

  it('rejects a bad cancel budget', async () => {
    await expect(run([], { cancelBudgetMs: -1 })).rejects.toThrow(
      'cancelBudgetMs must be a non-negative number, got -1',
    );
  });
});
