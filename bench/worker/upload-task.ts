/**
 * Our side of the upload case: one stage that connects every host (`true`, not measured; left out
 * when `connectFirst` is off), then one stage whose job on each host is a single upload, driven as a
 * library user would.
 */
import { Job, Stage, upload, type UploadResult } from '../../src/index.js';
import type { WorkerResult } from './protocol.js';
import { commandStage, hostsOf, runRelease } from './release.js';
import type { Base } from './tasks.js';
import type { WorkerTask } from './protocol.js';

export async function uploadTask(
  task: Extract<WorkerTask, { kind: 'upload' }>,
  base: Base,
  rssMB: () => number,
): Promise<WorkerResult> {
  const hosts = hostsOf(task.fleet);
  const all = { pool: hosts.length, canary: false };
  let stageMs = Number.NaN;
  let rssBeforeMB = Number.NaN;
  let bytes = 0;
  let bytesSent = 0;
  let filesLinked = 0;
  let compression: string | undefined;
  const stage = Stage.forHosts({
    name: 'upload',
    hosts,
    poolSize: hosts.length,
    canary: task.canary,
    job: (host) =>
      Job.of(
        host,
        async function* () {
          const r = (yield upload(task.from, task.to.replaceAll('{host}', host.name), {
            compress: task.compress,
            ...(task.linkFrom ? { linkFrom: task.linkFrom.replaceAll('{host}', host.name) } : {}),
          })) as UploadResult;
          bytes += r.bytes;
          bytesSent += r.bytesSent ?? r.bytes;
          filesLinked += r.filesLinked ?? 0;
          compression ??= r.compression;
        },
        'upload',
      ),
  });
  let startedAt = 0;
  const stages = task.connectFirst ? [commandStage('connect', hosts, 'true', all), stage] : [stage];
  const run = await runRelease(task.fleet, stages, {
    onEvent: (e) => {
      if (e.type === 'stage-start' && e.stage === 'upload') {
        rssBeforeMB = rssMB();
        startedAt = performance.now();
      } else if (e.type === 'stage-end' && e.stage.name === 'upload') stageMs = performance.now() - startedAt;
    },
  });
  return {
    kind: 'upload',
    stageMs,
    bytes,
    bytesSent,
    filesLinked,
    rssBeforeMB,
    ...(compression === undefined ? {} : { compression }),
    ...base(run),
  };
}
