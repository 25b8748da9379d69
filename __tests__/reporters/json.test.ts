import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { failedHosts, toJsonReport, writeJsonReport } from '../../src/reporters/json.js';
import { tempDir } from '../support/cli.js';
import { job, run, stage } from '../support/report-fixtures.js';

const report = run(
  [
    stage('Build', [job('controller')], { canary: null, tolerated: true, reason: 'x' }),
    stage('Ship', [
      job('web-1'),
      job('web-2', {
        result: 'failure',
        exitCode: 3,
        error: 'exit code 3',
        outputTail: 'boom',
        errorKind: 'exit',
      }),
      job('web-3', { result: 'failure', exitCode: null, error: 'timed out' }),
    ]),
    stage('Verify', [
      job('web-3', { result: 'failure', error: 'x' }),
      job('web-1', { result: 'failure', error: 'y' }),
    ]),
  ],
  { reason: 'stage "Ship" failed' },
);

describe('toJsonReport', () => {
  it('keeps the documented fields: reasons and the output of failed jobs, not error kinds or other output', () => {
    const json = toJsonReport(report);
    expect(Object.keys(json)).toEqual([
      'version',
      'runner',
      'release',
      'dryRun',
      'result',
      'startedAt',
      'durationMs',
      'reason',
      'warnings',
      'leftBehind',
      'stages',
    ]);
    expect(json.dryRun).toBe(false);
    expect(json.warnings).toEqual([]);
    expect(json.reason).toBe('stage "Ship" failed');
    // A reason on a stage that did not fail is not a reason.
    expect(json.stages[0]).toEqual({
      name: 'Build',
      result: 'success',
      when: 'success',
      canary: null,
      durationMs: 900,
      tolerated: true,
      waves: [],
      jobs: [
        {
          host: 'controller',
          result: 'success',
          attempts: 1,
          durationMs: 120,
          exitCode: 0,
          error: null,
          verify: null,
        },
      ],
    });
    expect(json.stages[1]?.jobs[1]).toEqual({
      host: 'web-2',
      result: 'failure',
      attempts: 1,
      durationMs: 120,
      exitCode: 3,
      error: 'exit code 3',
      verify: null,
      outputTail: 'boom',
    });
    expect(json.stages[1]?.jobs[2]).not.toHaveProperty('outputTail');
    expect(JSON.stringify(json)).not.toContain('errorKind');
  });

  it("keeps a failed job's last 8 KiB of output, in whole lines, and nothing of a job that did not fail", () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n');
    const json = toJsonReport(
      run([
        stage('Ship', [
          job('web-1', { outputTail: lines }),
          job('web-2', { result: 'failure', outputTail: lines }),
        ]),
      ]),
    );
    expect(json.stages[0]?.jobs[0]).not.toHaveProperty('outputTail');
    const tail = json.stages[0]?.jobs[1]?.outputTail ?? '';
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(8 * 1024);
    expect(tail.startsWith('line ')).toBe(true);
    expect(tail.endsWith('line 1999')).toBe(true);
  });

  it('names the part of a sharded release a report is', () => {
    const shard = toJsonReport(run([], { part: { kind: 'shard', index: 2, count: 3 } }));
    expect(shard.shard).toEqual({ index: 2, count: 3 });
    expect(shard).not.toHaveProperty('canaryOnly');
    expect(toJsonReport(run([], { part: { kind: 'canary' } })).canaryOnly).toBe(true);
    const left = toJsonReport(run([stage('Ship', [job('web-2')], { canary: null, canaryLeftOut: 'web-1' })]));
    expect(left.stages[0]?.canaryLeftOut).toBe('web-1');
  });

  it('carries what a job’s uploads shipped, on jobs that uploaded only', () => {
    const uploads = {
      uploads: 1,
      files: 5000,
      bytes: 57_000_000,
      bytesSent: 812_000,
      filesLinked: 4950,
      compression: ['gzip: a 4.2 MB sample shrank 71.3 %'],
    };
    const json = toJsonReport(run([stage('Ship', [job('web-1', { uploads }), job('web-2')])]));
    expect(json.stages[0]?.jobs[0]?.uploads).toEqual(uploads);
    expect(Object.keys(json.stages[0]?.jobs[1] ?? {})).not.toContain('uploads');
  });

  it('says when the run was a dry run', () => {
    expect(toJsonReport(report, { dryRun: true }).dryRun).toBe(true);
  });
});

describe('writeJsonReport', () => {
  it('writes the report as JSON, creating the directory, readable by others', async () => {
    const dir = await tempDir();
    const path = join(dir, 'deep', 'er', 'report.json');
    await writeJsonReport(path, report, { dryRun: true });
    const text = await readFile(path, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(toJsonReport(report, { dryRun: true }));
    expect((await stat(path)).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it('fails on a path it cannot write', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'taken'));
    await writeFile(join(dir, 'file'), 'x');
    // Its directory is a file: mkdir says so, naming the path.
    await expect(writeJsonReport(join(dir, 'file', 'report.json'), report)).rejects.toMatchObject({
      code: expect.stringMatching(/^(ENOTDIR|EEXIST)$/),
      message: expect.stringContaining(join(dir, 'file')),
    });
    // The report path is a directory.
    await expect(writeJsonReport(join(dir, 'taken'), report)).rejects.toMatchObject({
      code: 'EISDIR',
      message: expect.stringContaining(join(dir, 'taken')),
    });
  });
});

describe('failedHosts', () => {
  it('lists each host that failed in any stage once, in order of first failure', () => {
    expect(failedHosts(report)).toEqual(['web-2', 'web-3', 'web-1']);
    expect(failedHosts(run([stage('Ship', [job('a')])]))).toEqual([]);
  });
});
