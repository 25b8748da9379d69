/**
 * What the engine does around uploads: per-job totals in the report, one log line per upload, and
 * the snapshot token that lets a stage's uploads of one source share one read and one archive.
 */
import type { EngineEvent } from '../../../src/engine/report/events.js';
import { Executor } from '../../../src/engine/schedule/executor.js';
import type { Host } from '../../../src/contract/host.js';
import { Job } from '../../../src/engine/model/job.js';
import { Runner } from '../../../src/engine/model/runner.js';
import { Stage } from '../../../src/engine/model/stage.js';
import { local, upload } from '../../../src/engine/model/subtask.js';
import { describeUpload, formatBytes } from '../../../src/engine/report/upload-totals.js';
import type { ExecResult, Transport, UploadRequest, UploadResult } from '../../../src/contract/transport.js';
import { hosts } from '../harness.js';

/** Records every upload request; each upload "ships" 3 files, 2 of them linked. */
class RecordingTransport implements Transport {
  readonly uploads: { host: string; req: UploadRequest }[] = [];
  async exec(): Promise<ExecResult> {
    return { exitCode: 0, signal: null, durationMs: 1 };
  }
  async upload(host: Host, req: UploadRequest): Promise<UploadResult> {
    this.uploads.push({ host: host.name, req });
    // A transport that says how it compressed (the first upload), and one that does not.
    const compression = req.compress === false ? { compression: 'raw: compress: false' } : {};
    return {
      files: 3,
      bytes: 3000,
      bytesSent: 1200,
      filesLinked: 2,
      method: 'tar',
      durationMs: 1500,
      ...compression,
    };
  }
  async close(): Promise<void> {}
}

async function run(stages: Stage[]) {
  const transport = new RecordingTransport();
  const events: EngineEvent[] = [];
  const report = await new Executor({ transport, onEvent: (e) => events.push(e) }).run(
    new Runner({ name: 'deploy', stages }),
  );
  return { report, events, transport };
}

function uploadStage(name: string, list: readonly Host[], withLocalFirst = false): Stage {
  return Stage.forHosts({
    name,
    hosts: list,
    canary: false,
    job: (h) =>
      Job.of(h, async function* () {
        if (withLocalFirst) yield local('render config');
        yield upload('build/', '/srv/app/r1', { linkFrom: '/srv/app/current', compress: false });
        yield upload('assets/', '/srv/app/r1/assets');
      }),
  });
}

describe('uploads in the engine', () => {
  it('sums a job’s uploads into its report and logs one line per upload', async () => {
    const { report, events, transport } = await run([uploadStage('ship', hosts(2))]);
    expect(report.stages[0]!.jobs[0]!.uploads).toEqual({
      uploads: 2,
      files: 6,
      bytes: 6000,
      bytesSent: 2400,
      filesLinked: 4,
      compression: ['raw: compress: false', 'unknown'],
    });
    const lines = events
      .filter((e) => e.type === 'output' && e.host === 'web-1')
      .map((e) => (e as { line: string }).line);
    expect(lines).toEqual([
      'uploaded 3 files (3.0 kB): 1.2 kB sent, 2 linked · tar · raw: compress: false · 1.5 s',
      'uploaded 3 files (3.0 kB): 1.2 kB sent, 2 linked · tar · 1.5 s',
    ]);
    // The step's options reach the transport.
    expect(transport.uploads[0]!.req).toMatchObject({ linkFrom: '/srv/app/current', compress: false });
  });

  it('gives every job of one stage run the same snapshot token, and each stage its own', async () => {
    const { transport } = await run([uploadStage('one', hosts(3)), uploadStage('two', hosts(3))]);
    const tokens = transport.uploads.map((u) => u.req.snapshot);
    expect(tokens.every((t) => typeof t === 'string' && t.length > 0)).toBe(true);
    const first = new Set(tokens.slice(0, 6));
    const second = new Set(tokens.slice(6));
    expect(first.size).toBe(1);
    expect(second.size).toBe(1);
    expect([...first][0]).not.toBe([...second][0]);
  });

  it('an upload after a command on the controller reads its source afresh (no token)', async () => {
    const { transport } = await run([uploadStage('render', hosts(2), true)]);
    expect(transport.uploads.map((u) => u.req.snapshot)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('formats sizes in decimal units and leaves out what did not happen', () => {
    expect(formatBytes(812)).toBe('812 B');
    expect(formatBytes(57_000_000)).toBe('57.0 MB');
    expect(describeUpload({ files: 1, bytes: 21, durationMs: 40 })).toBe(
      'uploaded 1 file (21 B): 21 B sent · 0.0 s',
    );
  });
});
