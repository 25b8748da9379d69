import type { JsonJob, JsonReport, JsonStage } from '../../src/reporters/json.js';
import { fromJsonReport, parseJsonReport } from '../../src/reporters/json-read.js';
import { mergeReports, type PartReport } from '../../src/reporters/merge-reports.js';
import { renderSummary } from '../../src/reporters/github-summary.js';

const job = (host: string, over: Partial<JsonJob> = {}): JsonJob => ({
  host,
  result: 'success',
  attempts: 1,
  durationMs: 100,
  exitCode: 0,
  error: null,
  verify: null,
  ...over,
});

const stage = (name: string, jobs: JsonJob[], over: Partial<JsonStage> = {}): JsonStage => ({
  name,
  result: jobs.some((j) => j.result === 'failure') ? 'failure' : jobs.length ? 'success' : 'skipped',
  when: 'success',
  canary: null,
  durationMs: 500,
  waves: [],
  jobs,
  ...over,
});

const report = (stages: JsonStage[], over: Partial<JsonReport> = {}): JsonReport => ({
  version: 1,
  runner: 'deploy',
  release: 'r42',
  dryRun: false,
  result: 'success',
  startedAt: '2026-11-28T01:00:00.000Z',
  durationMs: 1000,
  warnings: [],
  stages,
  ...over,
});

const canaryPart = (stages: JsonStage[], over: Partial<JsonReport> = {}): PartReport => ({
  file: 'canary.json',
  report: report(stages, { canaryOnly: true, ...over }),
});
const shardPart = (
  index: number,
  count: number,
  stages: JsonStage[],
  over: Partial<JsonReport> = {},
): PartReport => ({
  file: `shard-${index}.json`,
  report: report(stages, { shard: { index, count }, ...over }),
});

/** A 2-stage release of web-1..web-5 (web-1 the canary) in a canary part and 2 shards. */
function release(): PartReport[] {
  return [
    shardPart(2, 2, [
      stage('Ship', [job('web-4'), job('web-5')], { canaryLeftOut: 'web-1' }),
      stage('Switch', [job('web-4'), job('web-5')], { canaryLeftOut: 'web-1' }),
    ]),
    canaryPart(
      [
        stage('Ship', [job('web-1')], { canary: 'web-1' }),
        stage('Switch', [job('web-1')], { canary: 'web-1' }),
      ],
      { startedAt: '2026-11-28T00:59:00.000Z', durationMs: 2000 },
    ),
    shardPart(1, 2, [
      stage('Ship', [job('web-2'), job('web-3')], { canaryLeftOut: 'web-1', durationMs: 900 }),
      stage('Switch', [job('web-2'), job('web-3')], { canaryLeftOut: 'web-1' }),
    ]),
  ];
}

describe('mergeReports', () => {
  it('one report of the whole release: canary first, then the shards in order, the time spanned', () => {
    const merged = mergeReports(release());
    expect(merged).toMatchObject({
      runner: 'deploy',
      release: 'r42',
      result: 'success',
      startedAt: '2026-11-28T00:59:00.000Z',
      // From the canary's start to the shards' end (01:00:01).
      durationMs: 61_000,
      mergedFrom: ['canary-only', 'shard 1/2', 'shard 2/2'],
    });
    expect(merged).not.toHaveProperty('reason');
    expect(merged.stages.map((s) => [s.name, s.canary, s.result, s.jobs.map((j) => j.host)])).toEqual([
      ['Ship', 'web-1', 'success', ['web-1', 'web-2', 'web-3', 'web-4', 'web-5']],
      ['Switch', 'web-1', 'success', ['web-1', 'web-2', 'web-3', 'web-4', 'web-5']],
    ]);
    expect(merged.stages[0]).not.toHaveProperty('canaryLeftOut');
    expect(merged.stages[0]!.durationMs).toBe(900);
  });

  it('a failed shard fails the release; its stage says which shard and why; a tolerated failure stays tolerated', () => {
    const parts = release();
    parts[0] = shardPart(
      2,
      2,
      [
        stage(
          'Ship',
          [job('web-4', { result: 'failure', exitCode: 3, error: 'exit code 3' }), job('web-5')],
          {
            canaryLeftOut: 'web-1',
            reason: '1 of 2 jobs failed (max-failures 0): web-4',
          },
        ),
      ],
      { result: 'failure', reason: 'stage "Ship" failed: 1 of 2 jobs failed (max-failures 0): web-4' },
    );
    const merged = mergeReports(parts);
    expect(merged.result).toBe('failure');
    expect(merged.reason).toBe('shard 2/2: stage "Ship" failed: 1 of 2 jobs failed (max-failures 0): web-4');
    expect(merged.stages[0]).toMatchObject({
      result: 'failure',
      reason: 'shard 2/2: 1 of 2 jobs failed (max-failures 0): web-4',
    });
    expect(merged.stages[0]).not.toHaveProperty('tolerated');
    // Shard 2 stopped after Ship: Switch has the hosts of the parts that ran it.
    expect(merged.stages[1]!.jobs.map((j) => j.host)).toEqual(['web-1', 'web-2', 'web-3']);

    const tolerated = release();
    tolerated[2] = shardPart(1, 2, [
      stage('Ship', [job('web-2', { result: 'failure' }), job('web-3')], { tolerated: true, reason: 'x' }),
      stage('Switch', [job('web-2'), job('web-3')]),
    ]);
    const ok = mergeReports(tolerated);
    expect(ok.result).toBe('success');
    expect(ok.stages[0]).toMatchObject({ result: 'failure', tolerated: true });
  });

  it('a cancelled part makes the release cancelled', () => {
    const parts = release();
    parts[2] = shardPart(1, 2, [stage('Ship', [job('web-2', { result: 'cancelled' })])], {
      result: 'cancelled',
      reason: 'cancelled by SIGINT during stage "Ship"',
    });
    expect(mergeReports(parts)).toMatchObject({
      result: 'cancelled',
      reason: 'shard 1/2: cancelled by SIGINT during stage "Ship"',
    });
  });

  it('a missing part fails the release, naming it: its hosts are in no report', () => {
    const [two, canary] = release();
    expect(mergeReports([two!, canary!])).toMatchObject({
      result: 'failure',
      reason: 'no report from shard 1/2: its hosts are in no report',
    });
    expect(mergeReports([canary!])).toMatchObject({
      result: 'failure',
      reason: 'no shard reports: the hosts after each canary are in no report',
    });
    const [, , one] = release();
    expect(mergeReports([one!, two!])).toMatchObject({
      result: 'failure',
      reason: 'no canary-only report: the canaries the shards left out (web-1) are in no report',
    });
  });

  it('a failed canary needs no shards: the release failed where the canary did', () => {
    const canary = canaryPart([stage('Ship', [job('web-1', { result: 'failure' })], { canary: 'web-1' })], {
      result: 'failure',
      reason: 'stage "Ship" failed: canary web-1 failed: exit code 1',
    });
    expect(mergeReports([canary])).toMatchObject({
      result: 'failure',
      reason: 'canary-only: stage "Ship" failed: canary web-1 failed: exit code 1',
    });
  });

  it('controller jobs, one per part, are named with their part', () => {
    const parts = [
      canaryPart([stage('Build', [job('controller')])]),
      shardPart(1, 1, [stage('Build', [job('controller')])]),
    ];
    expect(mergeReports(parts).stages[0]!.jobs.map((j) => j.host)).toEqual([
      'controller (canary-only)',
      'controller (shard 1/1)',
    ]);
  });

  it('keeps the keys it does not know, on jobs and stages', () => {
    const parts = release();
    (parts[1]!.report.stages[0]!.jobs[0] as unknown as Record<string, unknown>).uploads = { files: 3 };
    (parts[1]!.report.stages[0] as unknown as Record<string, unknown>).rollout = 2;
    const merged = mergeReports(parts);
    expect(merged.stages[0]!.jobs[0]).toMatchObject({ host: 'web-1', uploads: { files: 3 } });
    expect(merged.stages[0]).toMatchObject({ rollout: 2 });
  });

  it("numbers the parts' waves through, in part order, and labels each part's warnings", () => {
    const gate = { result: 'success', durationMs: 5, exitCode: 0, error: null };
    const parts = [
      shardPart(
        1,
        1,
        [
          stage('Ship', [job('web-2'), job('web-3')], {
            waves: [{ index: 1, hosts: ['web-2', 'web-3'], gate }],
          }),
        ],
        {
          warnings: ['stage "Notify" (when: always) failed'],
        },
      ),
      canaryPart([
        stage('Ship', [job('web-1')], { canary: 'web-1', waves: [{ index: 1, hosts: ['web-1'], gate }] }),
      ]),
    ];
    const merged = mergeReports(parts);
    expect(merged.stages[0]!.waves).toEqual([
      { index: 1, hosts: ['web-1'], gate },
      { index: 2, hosts: ['web-2', 'web-3'], gate },
    ]);
    expect(merged.warnings).toEqual(['shard 1/1: stage "Notify" (when: always) failed']);
  });

  it.each([
    [
      'different runners',
      () => [canaryPart([]), shardPart(1, 1, [], { runner: 'rollback' })],
      'reports of different runners: canary.json has runner "deploy", shard-1.json has "rollback"',
    ],
    [
      'different release ids',
      () => [canaryPart([]), shardPart(1, 1, [], { release: 'r43' })],
      'reports of different release ids: canary.json has release "r42", shard-1.json has "r43"; give every job the same --release-id (input release-id)',
    ],
    [
      'a dry run among real runs',
      () => [canaryPart([]), shardPart(1, 1, [], { dryRun: true })],
      'reports of different dry-run settings: canary.json has dryRun "false", shard-1.json has "true"',
    ],
    [
      'a shard given twice',
      () => [shardPart(1, 2, []), { ...shardPart(1, 2, []), file: 'again.json' }],
      "the shard 1/2 report is given twice: shard-1.json and again.json (with download-artifact's merge-multiple, give each job's report file its own name)",
    ],
    [
      'different shard counts',
      () => [shardPart(1, 2, []), shardPart(2, 3, [])],
      'shard reports of different shard counts: shard-1.json is one of 2, shard-2.json one of 3',
    ],
    [
      'the report of a whole release',
      () => [{ file: 'whole.json', report: report([]) }],
      'whole.json is the report of a whole release (it has neither "shard" nor "canaryOnly"): only the reports of a --canary-only run and of --shard runs are merged',
    ],
    [
      'a merged report',
      () => [{ file: 'merged.json', report: report([], { mergedFrom: ['shard 1/1'] }) }],
      'merged.json is already a merged report: merge the reports it was merged from',
    ],
    [
      'stages that differ',
      () => [canaryPart([stage('Ship', [])]), shardPart(1, 1, [stage('Deploy', [])])],
      'reports disagree on stage 1: "Ship" in canary.json, "Deploy" in shard-1.json; every part must run the same config and runner',
    ],
    [
      'canaries that differ',
      () => [
        canaryPart([stage('Ship', [job('web-1')], { canary: 'web-1' })]),
        shardPart(1, 1, [stage('Ship', [job('web-3')], { canaryLeftOut: 'web-2' })]),
      ],
      'reports disagree on the canary of stage "Ship": web-1 in canary.json, web-2 left out by shard-1.json; every part must use the same hosts filter and limit',
    ],
    ['nothing', () => [], 'no reports to merge'],
  ])('refuses %s', (_what, parts, message) => {
    expect(() => mergeReports(parts())).toThrow(message);
  });
});

describe('parseJsonReport', () => {
  const valid = JSON.stringify(report([stage('Ship', [job('web-1')])], { shard: { index: 1, count: 2 } }));

  it('reads a report back; the reporters get its reasons, tolerated stages and output', () => {
    const json = parseJsonReport(valid, 'r.json');
    expect(json.shard).toEqual({ index: 1, count: 2 });
    const text = JSON.stringify(
      report(
        [
          stage('Ship', [job('web-1', { result: 'failure', outputTail: 'boom' })], {
            tolerated: true,
            reason: 'why',
          }),
        ],
        { reason: 'run why', result: 'failure' },
      ),
    );
    const run = fromJsonReport(parseJsonReport(text, 'r.json'));
    expect(run).toMatchObject({ reason: 'run why', result: 'failure' });
    expect(run.stages[0]).toMatchObject({ tolerated: true, reason: 'why', durationMs: 500 });
    expect(run.stages[0]!.jobs[0]).toMatchObject({ outputTail: 'boom', result: 'failure' });
  });

  it.each([
    ['{', /^r\.json: not a JSON report: /],
    ['[]', 'r.json: the report: expected an object, got []'],
    ['{"version":2}', 'r.json: version: expected 1 (a boerewors JSON report), got 2'],
    [
      valid.replace('"result":"success","attempts"', '"result":"maybe","attempts"'),
      'r.json: stages[0].jobs[0].result: expected success, failure, skipped, cancelled, unknown, got "maybe"',
    ],
    [
      valid.replace('"index":1', '"index":3'),
      'r.json: shard: expected 1 ≤ index ≤ count, got {"index":3,"count":2}',
    ],
    [valid.replace('"runner":"deploy",', ''), 'r.json: runner: expected a string, got nothing'],
  ])('names the file and the path of what is wrong: %s', (text, message) => {
    expect(() => parseJsonReport(text, 'r.json')).toThrow(message);
  });
});

describe('the times of a merged report', () => {
  it('counts every startMs from the merged start (the earliest part); the merged summary draws every host', () => {
    // The canary part started first; the shards 2 s later (their times count from their own start).
    const canary = canaryPart(
      [stage('Ship', [job('web-1', { startMs: 100, durationMs: 300 })], { canary: 'web-1', startMs: 50 })],
      { startedAt: '2026-11-28T01:00:00.000Z' },
    );
    const shard = (index: number, host: string): PartReport =>
      shardPart(
        index,
        2,
        [
          stage('Ship', [job(host, { startMs: 10, durationMs: 200 })], {
            canaryLeftOut: 'web-1',
            startMs: 5,
            waves: [
              {
                index: 1,
                hosts: [host],
                gate: { result: 'success', durationMs: 30, startMs: 220, exitCode: 0, error: null },
              },
            ],
          }),
        ],
        { startedAt: '2026-11-28T01:00:02.000Z' },
      );
    const merged = mergeReports([canary, shard(1, 'web-2'), shard(2, 'web-3')]);
    const ship = merged.stages[0]!;
    expect(ship.startMs).toBe(50);
    expect(ship.jobs.map((j) => [j.host, j.startMs])).toEqual([
      ['web-1', 100],
      ['web-2', 2010],
      ['web-3', 2010],
    ]);
    expect(ship.waves.map((w) => w.gate?.startMs)).toEqual([2220, 2220]);
    // Read back, the reporters see the same instants.
    const back = fromJsonReport(parseJsonReport(JSON.stringify(merged), 'merged.json'));
    expect(back.stages[0]!.jobs[1]!.startedAtMs).toBe(Date.parse('2026-11-28T01:00:02.010Z'));
    const gantt = renderSummary(back);
    expect(gantt).toContain('```mermaid');
    expect(gantt).toMatch(/✔ web-1 \(canary\) :done, 100, 400\n/);
    expect(gantt).toMatch(/✔ web-2 :done, 2010, 2210\n/);
    expect(gantt).toMatch(/gate after wave 2#58; success :milestone, 2220, 2250\n/);
  });

  it('reads a report without startMs (an older version) as before', () => {
    const back = fromJsonReport(
      parseJsonReport(JSON.stringify(report([stage('Ship', [job('web-1')])])), 'old.json'),
    );
    expect(back.stages[0]!.jobs[0]!.startedAtMs).toBeUndefined();
    expect(back.stages[0]!.startedAtMs).toBeUndefined();
  });
});
