import { CONTROLLER } from '../../../src/contract/host.js';
import { Executor } from '../../../src/engine/schedule/executor.js';
import type { RunPart } from '../../../src/engine/report/run-part.js';
import { blockOf, shardBlock, sliceStage } from '../../../src/engine/policy/sharding.js';
import { FakeTransport } from '../../support/fake-transport.js';
import { commandJob, host, hosts, ofType, run, stage } from '../harness.js';

const shard = (index: number, count: number): RunPart => ({ kind: 'shard', index, count });
const CANARY: RunPart = { kind: 'canary' };

describe('shardBlock', () => {
  it('splits into contiguous blocks, the first ones one larger, covering every item once', () => {
    expect([1, 2, 3].map((k) => shardBlock(10, k, 3))).toEqual([
      [0, 4],
      [4, 7],
      [7, 10],
    ]);
    expect([1, 2, 3].map((k) => shardBlock(2, k, 3))).toEqual([
      [0, 1],
      [1, 2],
      [2, 2],
    ]);
    expect(shardBlock(7, 1, 1)).toEqual([0, 7]);
    for (const total of [0, 1, 5, 99, 1000]) {
      for (const count of [1, 2, 7, 20]) {
        const blocks = Array.from({ length: count }, (_, k) => shardBlock(total, k + 1, count));
        expect(blocks[0]![0]).toBe(0);
        expect(blocks[count - 1]![1]).toBe(total);
        for (let k = 1; k < count; k++) expect(blocks[k]![0]).toBe(blocks[k - 1]![1]);
        // blockOf finds each item in the block shardBlock puts it in.
        blocks.forEach(([a, b], k) => {
          for (let i = a; i < b; i++) expect(blockOf(i, total, count)).toBe(k + 1);
        });
        const sizes = blocks.map(([a, b]) => b - a);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('sliceStage', () => {
  const jobs = hosts(10).map((h) => commandJob(h));
  const names = (s: { jobs: { host: { name: string } }[] }): string[] => s.jobs.map((j) => j.host.name);

  it('the canary part runs only the canary; the shards split the rest; together they are the stage', () => {
    const canary = sliceStage(jobs, true, CANARY);
    expect(names(canary)).toEqual(['web-1']);
    expect(canary.canary?.host.name).toBe('web-1');
    const shards = [1, 2, 3].map((k) => sliceStage(jobs, true, shard(k, 3)));
    expect(shards.map(names)).toEqual([
      ['web-2', 'web-3', 'web-4'],
      ['web-5', 'web-6', 'web-7'],
      ['web-8', 'web-9', 'web-10'],
    ]);
    for (const s of shards) expect(s).toMatchObject({ canary: null, canaryLeftOut: 'web-1' });
    expect([...names(canary), ...shards.flatMap(names)]).toEqual(names({ jobs }));
  });

  it('a stage without a canary is spread over the shards whole; the canary part has nothing of it', () => {
    const shards = [1, 2].map((k) => sliceStage(jobs, false, shard(k, 2)));
    expect(shards.map((s) => s.jobs.length)).toEqual([5, 5]);
    expect(shards[0]).toMatchObject({ canaryLeftOut: null });
    const canary = sliceStage(jobs, false, CANARY);
    expect(canary.jobs).toEqual([]);
    expect(canary.emptyBecause).toBe('it has no canary: all of its hosts run in the shards');
  });

  it('a shard left without hosts says why', () => {
    // Three hosts in three shards, one each: web-1, shard 1's, is the canary, which the canary part runs.
    const three = jobs.slice(0, 3);
    expect(sliceStage(three, true, shard(1, 3)).emptyBecause).toBe(
      'shard 1/3 has none of its hosts (2 besides the canary, in 3 shards)',
    );
    expect(names(sliceStage(three, true, shard(3, 3)))).toEqual(['web-3']);
  });

  it('a host is in the same shard whether the stage has a canary or not', () => {
    // 8 hosts, 3 shards: web-1..3 | web-4..6 | web-7..8; a stage with a canary leaves web-1 to the
    // canary part. (Split after the canary, web-4 would be shard 1's there and shard 2's without.)
    const eight = jobs.slice(0, 8);
    const split = (canary: boolean, runHosts?: string[]) =>
      [1, 2, 3].map((k) => names(sliceStage(eight, canary, shard(k, 3), runHosts)));
    expect(split(false)).toEqual([
      ['web-1', 'web-2', 'web-3'],
      ['web-4', 'web-5', 'web-6'],
      ['web-7', 'web-8'],
    ]);
    expect(split(true)).toEqual([
      ['web-2', 'web-3'],
      ['web-4', 'web-5', 'web-6'],
      ['web-7', 'web-8'],
    ]);
    expect(split(true, names({ jobs: eight }))).toEqual(split(true));
    expect(sliceStage(eight, true, shard(1, 3)).shards).toEqual(split(true));
  });

  it("the run's hosts decide each host's shard, whatever hosts a stage names", () => {
    // The run names web-1..web-9; a stage of web-4..web-9 still leaves web-4..web-6 to shard 2.
    const run = names({ jobs: jobs.slice(0, 9) });
    const later = jobs.slice(3, 9);
    expect([1, 2, 3].map((k) => names(sliceStage(later, false, shard(k, 3), run)))).toEqual([
      [],
      ['web-4', 'web-5', 'web-6'],
      ['web-7', 'web-8', 'web-9'],
    ]);
    // A host the run's list does not name is placed among the stage's other such hosts.
    const extra = [...later, commandJob(host('db-1'))];
    expect(names(sliceStage(extra, false, shard(1, 3), run))).toEqual(['db-1']);
  });

  it('controller jobs run in every part', () => {
    const build = [commandJob(CONTROLLER)];
    for (const part of [CANARY, shard(1, 2), shard(2, 2)]) {
      expect(names(sliceStage(build, true, part))).toEqual(['controller']);
    }
  });
});

describe('an Executor with a part', () => {
  it('shard 2/3 runs its block with no canary: all of it starts at once; the report says what it left out', async () => {
    const { report, transport, events } = await run(
      [stage({ name: 'Ship', hosts: hosts(10), poolSize: 10 })],
      {
        part: shard(2, 3),
        script: () => ({ delayMs: 5 }),
      },
    );
    expect(transport.records.map((r) => r.host).sort()).toEqual(['web-5', 'web-6', 'web-7']);
    expect(transport.waves).toEqual([3]);
    expect(report.part).toEqual(shard(2, 3));
    expect(report.stages[0]).toMatchObject({ canary: null, canaryLeftOut: 'web-1', result: 'success' });
    expect(ofType(events, 'run-start')[0]!.part).toEqual(shard(2, 3));
    expect(ofType(events, 'stage-start')[0]).toMatchObject({
      hosts: ['web-5', 'web-6', 'web-7'],
      canary: null,
    });
  });

  it('the hosts filter and the limit apply before the split, the same on every machine', async () => {
    const ran = async (k: number): Promise<string[]> => {
      const { transport } = await run([stage({ name: 'Ship', hosts: hosts(10) })], {
        part: shard(k, 2),
        hosts: ['web-2', 'web-3', 'web-4', 'web-5', 'web-6', 'web-7'],
        limit: 5,
      });
      return transport.records.map((r) => r.host).sort();
    };
    // Selected: web-2..web-6; web-2 is the canary; web-3..web-6 split in two.
    expect(await ran(1)).toEqual(['web-3', 'web-4']);
    expect(await ran(2)).toEqual(['web-5', 'web-6']);
  });

  it('a shard runs the same hosts in every stage of a runner that names its hosts, canary or not, whatever each stage names', async () => {
    const all = hosts(8);
    const ran = async (k: number): Promise<Record<string, string[]>> => {
      const { report } = await run(
        [
          stage({ name: 'Distribute', hosts: all }),
          stage({ name: 'Switch', hosts: all, canary: false }),
          stage({ name: 'Warm', hosts: all.slice(3), canary: false }),
        ],
        { part: shard(k, 3), runner: { hosts: all } },
      );
      return Object.fromEntries(report.stages.map((s) => [s.name, s.jobs.map((j) => j.host)]));
    };
    expect(await ran(1)).toEqual({
      Distribute: ['web-2', 'web-3'],
      Switch: ['web-1', 'web-2', 'web-3'],
      Warm: [],
    });
    expect(await ran(2)).toEqual({
      Distribute: ['web-4', 'web-5', 'web-6'],
      Switch: ['web-4', 'web-5', 'web-6'],
      Warm: ['web-4', 'web-5', 'web-6'],
    });
  });

  it("a shard's budget and batch percentages count the shard's jobs", async () => {
    // 9 jobs besides the canary, 3 per shard; 34% of 3 allows 1 failure; 2 fail in shard 1.
    const { report } = await run(
      [
        stage({
          name: 'Ship',
          hosts: hosts(10),
          maxFailures: { percent: 34 },
          batch: [{ percent: 34 }],
          poolSize: 1,
        }),
      ],
      { part: shard(1, 3), script: (c) => ({ exitCode: c.host === 'web-2' || c.host === 'web-3' ? 1 : 0 }) },
    );
    expect(report.stages[0]!.reason).toBe('2 of 3 jobs failed (max-failures 34% allows 1): web-2, web-3');
    expect(report.stages[0]!.jobs.map((j) => j.result)).toEqual(['failure', 'failure', 'skipped']);
  });

  it('the canary part: a failed canary stops the run even with can-fail, and even alone', async () => {
    const { report, transport } = await run(
      [stage({ name: 'Ship', hosts: hosts(4), canFail: true }), stage({ name: 'After', hosts: hosts(4) })],
      { part: CANARY, script: () => ({ exitCode: 3 }) },
    );
    expect(transport.records.map((r) => r.host)).toEqual(['web-1']);
    expect(report.stages.map((s) => s.result)).toEqual(['failure', 'skipped']);
    expect(report.stages[0]).toMatchObject({ canary: 'web-1', result: 'failure' });
    expect(report.stages[0]!.tolerated).toBeUndefined();
    expect(report.result).toBe('failure');
  });

  it('a part with nothing of a stage reports it skipped, with a warning saying why', async () => {
    const { report, events } = await run([stage({ name: 'Ship', hosts: hosts(2), canary: false })], {
      part: CANARY,
    });
    expect(report.stages[0]).toMatchObject({ result: 'skipped', jobs: [] });
    expect(report.result).toBe('success');
    expect(ofType(events, 'warning').map((w) => w.message)).toEqual([
      'stage "Ship" skipped: it has no canary: all of its hosts run in the shards',
    ]);
  });

  it('the canary part refuses a canary whose earlier stage the shards run: it would get the later stage first', async () => {
    const all = hosts(4);
    const { report, transport } = await run(
      [
        stage({ name: 'Distribute', hosts: all, canary: false }),
        stage({ name: 'Switch', hosts: all }),
        stage({ name: 'Verify', hosts: all }),
      ],
      { part: CANARY, runner: { hosts: all } },
    );
    // Nothing ran: web-1's Distribute runs in shard 1, after this part, so its Switch must wait too.
    expect(transport.records).toEqual([]);
    expect(report.stages.map((s) => s.result)).toEqual(['skipped', 'failure', 'skipped']);
    expect(report.result).toBe('failure');
    expect(report.stages[1]!.reason).toBe(
      'its canary web-1 runs in the canary part, but web-1\'s jobs of stage "Distribute" run in a shard, ' +
        'after this part: web-1 would get "Switch" before "Distribute". Give "Distribute" the same canary, ' +
        'or release in one part',
    );
  });

  it('the canary part runs a canary whose earlier stages had the same canary, or did not name it', async () => {
    const all = hosts(4);
    const { report, transport } = await run(
      [
        stage({ name: 'Warm', hosts: all.slice(1), canary: false }),
        stage({ name: 'Distribute', hosts: all }),
        stage({ name: 'Switch', hosts: all }),
      ],
      { part: CANARY, runner: { hosts: all } },
    );
    expect(report.result).toBe('success');
    expect(transport.records.map((r) => r.host)).toEqual(['web-1', 'web-1']);
    // Without parts, nothing is refused.
    const whole = await run(
      [stage({ name: 'Distribute', hosts: all, canary: false }), stage({ name: 'Switch', hosts: all })],
      { runner: { hosts: all } },
    );
    expect(whole.report.result).toBe('success');
  });

  it('rejects a shard outside 1..count when built', () => {
    const transport = new FakeTransport();
    for (const part of [shard(0, 3), shard(4, 3), shard(1, 0), shard(1.5, 2)]) {
      expect(() => new Executor({ transport, part })).toThrow(/part: expected shard index 1\.\.count/);
    }
    expect(() => new Executor({ transport, part: CANARY })).not.toThrow();
  });
});
