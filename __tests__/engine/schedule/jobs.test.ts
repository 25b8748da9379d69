import type { ExecResult } from '../../../src/contract/transport.js';
import { Job } from '../../../src/engine/model/job.js';
import { Err, Ok, Skip, type Outcome } from '../../../src/engine/model/result.js';
import { Stage } from '../../../src/engine/model/stage.js';
import { local, remote, upload } from '../../../src/engine/model/subtask.js';
import { CommandExitError, JobFailedError } from '../../../src/contract/errors.js';
import { host, ofType, run } from '../harness.js';

const single = (job: Job, extra: Partial<ConstructorParameters<typeof Stage>[0]> = {}) => [
  new Stage({ name: 'Ship', ...extra, jobs: () => [job] }),
];

describe('driving a job', () => {
  it('sends each result back into the generator and routes exec, local and upload', async () => {
    const seen: unknown[] = [];
    const job = Job.of(host('web-1'), async function* () {
      seen.push(yield remote('echo hi'));
      seen.push(yield local('notify'));
      seen.push(yield upload('build/', '/srv/app'));
    });
    const { report, transport, events } = await run(single(job), {
      script: () => ({ exitCode: 0, delayMs: 1 }),
    });
    expect(report.result).toBe('success');
    expect(transport.records.map((r) => [r.kind, r.host, r.script])).toEqual([
      ['exec', 'web-1', 'echo hi'],
      ['exec', 'controller', 'notify'],
      ['upload', 'web-1', 'build/ -> /srv/app'],
    ]);
    expect(seen).toEqual([
      { exitCode: 0, signal: null, durationMs: 1 },
      { exitCode: 0, signal: null, durationMs: 1 },
      { files: 1, bytes: 1, durationMs: 1 },
    ]);
    expect(ofType(events, 'step-start').map((e) => [e.host, e.label])).toEqual([
      ['web-1', 'run: echo hi'],
      ['web-1', 'local: notify'],
      ['web-1', 'upload build/ → /srv/app'],
    ]);
  });

  it('gives every command the vars, the BW_* names and its own env on top', async () => {
    const job = Job.of(host('web-1'), async function* () {
      yield remote('a', { env: { EXTRA: '1', APP: 'override' } });
    });
    const { transport } = await run(single(job, { retries: 1, retryDelayMs: 0 }), {
      vars: { APP: 'shop', BW_HOST: 'spoofed' },
      release: 'r42',
      script: (c) => ({ exitCode: c.attempt === 1 ? 1 : 0 }),
    });
    expect(transport.records[1]!.env).toEqual({
      APP: 'override',
      EXTRA: '1',
      BW_HOST: 'web-1',
      BW_HOST_ADDRESS: 'web-1.test',
      BW_STAGE: 'Ship',
      BW_RUNNER: 'deploy',
      BW_RELEASE: 'r42',
      BW_ATTEMPT: '2',
      BW_RESULT: 'success',
      BW_FAILED_STAGE: '',
      BW_FAILED_HOSTS: '',
    });
  });

  it('throws a failing command into the job, which may catch it', async () => {
    const caught: unknown[] = [];
    const job = Job.of(host('a'), async function* () {
      for (const script of ['exit3', 'killed', 'lost']) {
        try {
          yield remote(script);
        } catch (e) {
          caught.push(e);
        }
      }
      return Ok();
    });
    const { report } = await run(single(job), {
      script: (c) =>
        ({ exit3: { exitCode: 3 }, killed: { exitCode: null, signal: 'SIGTERM' }, lost: { exitCode: null } })[
          c.script
        ],
    });
    expect(caught.map((e) => [(e as Error).constructor, (e as Error).message])).toEqual([
      [CommandExitError, 'exit code 3'],
      [CommandExitError, 'killed by SIGTERM'],
      [CommandExitError, 'ended without an exit status'],
    ]);
    expect((caught[0] as CommandExitError).exitCode).toBe(3);
    expect(report.stages[0]!.jobs[0]).toMatchObject({ result: 'success', exitCode: null });
  });

  it('allowFailure returns the result instead of throwing', async () => {
    let got: ExecResult | undefined;
    const job = Job.of(host('a'), async function* () {
      got = (yield remote('test -s x', { allowFailure: true })) as ExecResult;
      if (got.exitCode !== 0) return Err('empty download');
      return Ok();
    });
    const { report } = await run(single(job), { script: () => ({ exitCode: 4 }) });
    expect(got?.exitCode).toBe(4);
    expect(report.stages[0]!.jobs[0]).toMatchObject({
      result: 'failure',
      error: 'empty download',
      errorKind: 'job',
      exitCode: 4,
    });
  });

  it('an uncaught failure fails the attempt with the command error', async () => {
    const job = Job.of(host('a'), async function* () {
      yield remote('one');
      yield remote('two');
      yield remote('three');
    });
    const { report, transport } = await run(single(job), {
      script: (c) => ({ exitCode: c.script === 'two' ? 9 : 0 }),
    });
    expect(transport.records.map((r) => r.script)).toEqual(['one', 'two']);
    expect(report.stages[0]!.jobs[0]).toMatchObject({ result: 'failure', exitCode: 9, error: 'exit code 9' });
  });

  it('an exception in the job body fails the attempt', async () => {
    const job = Job.of(host('a'), async function* () {
      yield remote('one');
      throw new Error('checksum mismatch');
    });
    const { report } = await run(single(job));
    expect(report.stages[0]!.jobs[0]).toMatchObject({
      result: 'failure',
      error: 'checksum mismatch',
      errorKind: 'error',
    });
  });

  it('rejects a yield that is not a subtask', async () => {
    const job = Job.of(host('a'), async function* () {
      yield 'rm -rf /' as never;
    });
    const { report } = await run(single(job));
    expect(report.stages[0]!.jobs[0]!.error).toBe(
      'a job yielded something that is not a subtask: "rm -rf /"',
    );
  });

  it('Skip counts as success: result skipped with its reason, stage and run succeed', async () => {
    const skipping = (name: string) =>
      Job.of(host(name), async function* () {
        yield remote('check');
        return Skip('already deployed');
      });
    const { report } = await run([new Stage({ name: 'Ship', jobs: () => [skipping('a'), skipping('b')] })]);
    expect(report.stages[0]!.jobs.map((j) => [j.result, j.error])).toEqual([
      ['skipped', 'already deployed'],
      ['skipped', 'already deployed'],
    ]);
    expect(report.stages[0]!.result).toBe('success');
    expect(report.result).toBe('success');
  });
});

describe('nested jobs', () => {
  const child = (outcome: Outcome | 'throw') =>
    Job.of(
      host('db-1'),
      async function* () {
        yield remote('migrate');
        if (outcome === 'throw') throw new Error('disk full');
        return outcome;
      },
      'Migrate',
    );

  it('runs inline on its own host and hands its Outcome back', async () => {
    let got: unknown;
    const parent = Job.of(host('web-1'), async function* () {
      got = yield child(Skip('nothing to migrate'));
      yield remote('restart');
    });
    const { report, transport } = await run(single(parent));
    expect(transport.records.map((r) => [r.host, r.script, r.env.BW_HOST])).toEqual([
      ['db-1', 'migrate', 'db-1'],
      ['web-1', 'restart', 'web-1'],
    ]);
    expect(got).toEqual(Skip('nothing to migrate'));
    expect(report.stages[0]!.jobs[0]!.result).toBe('success');
  });

  it.each([
    ['Err', Err('schema locked'), 'Migrate on db-1 failed: schema locked'],
    ['an exception', 'throw' as const, 'Migrate on db-1 failed: disk full'],
  ])('a nested job ending with %s fails the parent with JobFailedError', async (_, outcome, message) => {
    const parent = Job.of(host('web-1'), async function* () {
      yield child(outcome);
      yield remote('restart');
    });
    const { report, transport } = await run(single(parent));
    expect(transport.records.map((r) => r.script)).toEqual(['migrate']);
    expect(report.stages[0]!.jobs[0]).toMatchObject({ result: 'failure', errorKind: 'job', error: message });
  });

  it('the parent can catch a nested failure and recover', async () => {
    let caught: unknown;
    const parent = Job.of(host('web-1'), async function* () {
      try {
        yield child(Err('schema locked'));
      } catch (e) {
        caught = e;
        yield remote('rollback');
      }
    });
    const { report, transport } = await run(single(parent));
    expect(caught).toBeInstanceOf(JobFailedError);
    expect(transport.records.map((r) => r.script)).toEqual(['migrate', 'rollback']);
    expect(report.stages[0]!.jobs[0]!.result).toBe('success');
  });

  it("a nested job's failing command fails the parent and its exit code is reported", async () => {
    const parent = Job.of(host('web-1'), async function* () {
      yield child(Ok());
    });
    const { report } = await run(single(parent), { script: () => ({ exitCode: 2 }) });
    expect(report.stages[0]!.jobs[0]).toMatchObject({
      result: 'failure',
      exitCode: 2,
      error: 'Migrate on db-1 failed: exit code 2',
    });
  });
});

describe('output', () => {
  it('streams every line as an event labelled with its host and keeps a bounded tail', async () => {
    const lines = Array.from(
      { length: 2_000 },
      (_, i) => `line ${String(i).padStart(4, '0')} ${'x'.repeat(90)}`,
    );
    const job = Job.of(host('web-1'), async function* () {
      yield remote('noisy');
    });
    const { report, events } = await run(single(job), {
      outputTailBytes: 1_000,
      script: () => ({ lines: [...lines.slice(0, -1), ['stderr', lines.at(-1)!]] }),
    });
    const outputs = ofType(events, 'output');
    expect(outputs).toHaveLength(2_000);
    expect(outputs.at(-1)).toMatchObject({
      host: 'web-1',
      stage: 'Ship',
      stream: 'stderr',
      line: lines.at(-1),
    });
    const tail = report.stages[0]!.jobs[0]!.outputTail;
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(1_000);
    expect(tail.endsWith(lines.at(-1)!)).toBe(true);
    expect(tail.split('\n')).toEqual(lines.slice(-tail.split('\n').length));
    expect(tail.split('\n').length).toBeGreaterThan(5);
  });

  it('separates the attempts in the tail with a divider line', async () => {
    const job = Job.of(host('web-1'), async function* () {
      yield remote('flaky');
    });
    const { report } = await run(single(job, { retries: 2, retryDelayMs: 0 }), {
      script: (c) => ({ lines: [`try ${c.attempt} out`], exitCode: 1 }),
    });
    expect(report.stages[0]!.jobs[0]!.outputTail).toBe(
      'try 1 out\n── attempt 2 ──\ntry 2 out\n── attempt 3 ──\ntry 3 out',
    );
  });

  it('keeps nested jobs output in the parent tail', async () => {
    const inner = Job.of(host('db-1'), async function* () {
      yield remote('inner');
    });
    const parent = Job.of(host('web-1'), async function* () {
      yield remote('outer');
      yield inner;
    });
    const { report, events } = await run(single(parent), {
      script: (c) => ({ lines: [`from ${c.script}`] }),
    });
    expect(report.stages[0]!.jobs[0]!.outputTail).toBe('from outer\nfrom inner');
    expect(ofType(events, 'output').map((e) => e.host)).toEqual(['web-1', 'db-1']);
  });
});

describe('job bodies from JavaScript', () => {
  it('a plain function* works like an async generator', async () => {
    const job = Job.of(host('a'), function* () {
      const r = (yield remote('one')) as ExecResult;
      if (r.exitCode === 0) yield remote('two');
    } as never);
    const { report, transport } = await run(single(job));
    expect(transport.records.map((r) => r.script)).toEqual(['one', 'two']);
    expect(report.result).toBe('success');
  });

  it('a run() that is not a generator fails the job with a hint', async () => {
    const job = Job.of(host('a'), (async () => Ok()) as never, 'Deploy');
    const { report } = await run(single(job));
    expect(report.stages[0]!.jobs[0]!.error).toBe(
      'Deploy.run() must return an async generator (declare it `async *run`)',
    );
  });
});
