import { Job } from '../../../src/engine/model/job.js';
import { Stage } from '../../../src/engine/model/stage.js';
import { remote } from '../../../src/engine/model/subtask.js';
import { host, hosts, ofType, results, run, stage } from '../harness.js';

/** Hosts that ran a command, per stage, in the order they started. */
function ranIn(records: readonly { host: string; script: string }[], script: string): string[] {
  return records.filter((r) => r.script === script).map((r) => r.host);
}

const failOn = (failing: string, script = 'distribute') => ({
  script: (c: { host: string; script: string }) => ({
    exitCode: c.host === failing && c.script === script ? 28 : 0,
  }),
});

describe('a host whose job failed in a stage that tolerated it is left behind', () => {
  it('is skipped in later success stages, with the stage it failed at; the run succeeds', async () => {
    const fleet = hosts(4);
    const { report, transport, events } = await run(
      [
        stage({ name: 'Distribute', hosts: fleet, maxFailures: 1, script: 'distribute' }),
        stage({ name: 'Switch', hosts: fleet, script: 'switch' }),
      ],
      failOn('web-3'),
    );
    expect(report.result).toBe('success');
    expect(ranIn(transport.records, 'switch')).toEqual(['web-1', 'web-2', 'web-4']);
    expect(results(report, 1)).toEqual(['success', 'success', 'skipped', 'success']);
    expect(report.stages[1]?.jobs[2]?.error).toBe('failed at stage "Distribute"');
    expect(report.leftBehind).toEqual([{ host: 'web-3', stage: 'Distribute', error: 'exit code 28' }]);
    const ends = ofType(events, 'job-end').filter((e) => e.stage === 'Switch' && e.job.host === 'web-3');
    expect(ends).toHaveLength(1);
    expect(ofType(events, 'stage-start')[1]?.hosts).toEqual(['web-1', 'web-2', 'web-3', 'web-4']);
  });

  it('a failed verify within the budget leaves the host behind too', async () => {
    const fleet = hosts(3);
    const { report, transport } = await run(
      [
        stage({
          name: 'Ship',
          hosts: fleet,
          maxFailures: 1,
          script: 'ship',
          verify: { check: remote('health'), timeoutMs: 50, intervalMs: 10 },
        }),
        stage({ name: 'Switch', hosts: fleet, script: 'switch' }),
      ],
      failOn('web-2', 'health'),
    );
    expect(report.result).toBe('success');
    expect(ranIn(transport.records, 'switch')).toEqual(['web-1', 'web-3']);
    expect(report.leftBehind?.map((l) => [l.host, l.stage])).toEqual([['web-2', 'Ship']]);
  });

  it('a can-fail stage’s failures are ignored: the host goes on', async () => {
    const fleet = hosts(3);
    const { report, transport } = await run(
      [
        stage({ name: 'Warm', hosts: fleet, canFail: true, maxFailures: 1, script: 'distribute' }),
        stage({ name: 'Switch', hosts: fleet, script: 'switch' }),
      ],
      failOn('web-2'),
    );
    expect(report.result).toBe('success');
    expect(ranIn(transport.records, 'switch')).toEqual(['web-1', 'web-2', 'web-3']);
    expect(report.leftBehind).toBeUndefined();
  });

  it('stages on the way out see every host, with BW_FAILED_HOSTS', async () => {
    const fleet = hosts(3);
    const { transport } = await run(
      [
        stage({ name: 'Distribute', hosts: fleet, maxFailures: 1, script: 'distribute' }),
        stage({ name: 'Notify', hosts: fleet, when: 'always', script: 'notify' }),
      ],
      failOn('web-2'),
    );
    const notify = transport.records.filter((r) => r.script === 'notify');
    expect(notify.map((r) => r.host)).toEqual(['web-1', 'web-2', 'web-3']);
    expect(notify[1]?.env?.BW_FAILED_HOSTS).toBe('web-2');
  });

  it('with a limit, a later stage never pulls in a host the run did not select', async () => {
    const fleet = hosts(5);
    const { report, transport } = await run(
      [
        stage({ name: 'Distribute', hosts: fleet, maxFailures: 1, script: 'distribute' }),
        stage({ name: 'Switch', hosts: fleet, script: 'switch' }),
      ],
      { ...failOn('web-2'), limit: 2 },
    );
    expect(ranIn(transport.records, 'switch')).toEqual(['web-1']);
    expect(results(report, 1)).toEqual(['success', 'skipped']);
  });

  it('a shard leaves its own hosts behind and never takes one from another block', async () => {
    const fleet = hosts(7);
    const { report, transport } = await run(
      [
        stage({ name: 'Distribute', hosts: fleet, maxFailures: 1, script: 'distribute' }),
        stage({ name: 'Switch', hosts: fleet, script: 'switch' }),
      ],
      { ...failOn('web-2'), part: { kind: 'shard', index: 1, count: 2 } },
    );
    // Shard 1 of 2 holds web-2..web-4 (web-1 is the canary part's).
    expect(ranIn(transport.records, 'distribute')).toEqual(['web-2', 'web-3', 'web-4']);
    expect(ranIn(transport.records, 'switch')).toEqual(['web-3', 'web-4']);
    expect(report.leftBehind?.map((l) => l.host)).toEqual(['web-2']);
  });

  it('when the canary was left behind, the next host kept is the canary', async () => {
    const a = hosts(3);
    const { report, transport } = await run(
      [
        stage({ name: 'Distribute', hosts: [a[1]!, a[0]!, a[2]!], maxFailures: 1, script: 'distribute' }),
        stage({ name: 'Switch', hosts: a, script: 'switch' }),
      ],
      failOn('web-1'),
    );
    expect(report.stages[1]?.canary).toBe('web-2');
    expect(ranIn(transport.records, 'switch')).toEqual(['web-2', 'web-3']);
  });

  it('a stage whose every host was left behind is skipped, saying why', async () => {
    const one = [host('web-1')];
    const { report, transport } = await run(
      [
        stage({ name: 'Distribute', hosts: one, maxFailures: 1, script: 'distribute' }),
        stage({ name: 'Switch', hosts: one, script: 'switch' }),
      ],
      failOn('web-1'),
    );
    expect(report.result).toBe('success');
    expect(report.stages[1]?.result).toBe('skipped');
    expect(report.stages[1]?.reason).toBe('every host was left behind by an earlier stage');
    expect(ranIn(transport.records, 'switch')).toEqual([]);
  });

  it('a library stage’s own jobs are skipped the same way, unless it sets runsLeftBehind', async () => {
    const fleet = hosts(3);
    const custom = (name: string, runsLeftBehind?: boolean) =>
      new Stage({
        name,
        ...(runsLeftBehind === undefined ? {} : { runsLeftBehind }),
        jobs: () =>
          fleet.map((h) =>
            Job.of(h, async function* () {
              yield remote(name);
            }),
          ),
      });
    const { transport } = await run(
      [
        stage({ name: 'Distribute', hosts: fleet, maxFailures: 1, script: 'distribute' }),
        custom('custom'),
        custom('collect-logs', true),
      ],
      failOn('web-3'),
    );
    expect(ranIn(transport.records, 'custom')).toEqual(['web-1', 'web-2']);
    expect(ranIn(transport.records, 'collect-logs')).toEqual(['web-1', 'web-2', 'web-3']);
  });
});
