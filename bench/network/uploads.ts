/**
 * The lab's upload rows: a text tree and an incompressible tree to every upload host at once, at
 * one rate: ours (`compress: auto`, the default; forced raw; forced gzip) against `tar | ssh`,
 * `tar -z | ssh` and `rsync -az`, the order rotating from one repetition to the next.
 */
import { chmodSync, chownSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchFleet } from '../fleet.js';
import { runOurs } from '../ours.js';
import { runUploadPeer } from '../upload-peers.js';
import type { GeneratedTree } from '../upload-tree.js';
import type { WorkerFleet } from '../worker/protocol.js';
import type { TreeKind, UploadRep, UploadRow, UploadTool } from './spec.js';

export interface UploadSetup {
  readonly fleet: BenchFleet;
  /** Where each repetition's targets go (emptied before each), under a directory the hosts' user can enter. */
  readonly area: string;
  /** The first upload hosts, as a worker needs them. */
  readonly workerFleet: WorkerFleet;
  readonly tools: readonly UploadTool[];
  readonly reps: number;
  log(line: string): void;
}

export async function uploadRow(
  s: UploadSetup,
  rate: string,
  kind: TreeKind,
  tree: GeneratedTree,
): Promise<UploadRow> {
  const { area } = s;
  const owner = statSync(s.fleet.scratchDir);
  const reps: UploadRep[] = [];
  for (let rep = 0; rep < s.reps; rep++) {
    rmSync(area, { recursive: true, force: true });
    mkdirSync(area);
    chmodSync(area, 0o1777);
    if (process.getuid?.() === 0) chownSync(area, owner.uid, owner.gid);
    const wallMs: UploadRep['wallMs'] = {};
    let autoChoice: string | undefined;
    const order = s.tools.map((_, i) => s.tools[(i + rep) % s.tools.length] as UploadTool);
    for (const t of order) {
      const to = join(area, t.replace(/[^a-z]+/g, '-'), '{host}', 'r1');
      if (t.startsWith('ours')) {
        const compress = t === 'ours auto' ? 'auto' : t === 'ours gzip';
        const r = await runOurs({
          kind: 'upload',
          connectFirst: false,
          fleet: s.workerFleet,
          from: tree.dir,
          to,
          compress,
          canary: false,
        });
        wallMs[t] = r.processMs;
        if (t === 'ours auto') autoChoice = r.result.compression;
      } else {
        const peer = t as Exclude<UploadTool, `ours${string}`>;
        wallMs[t] = await runUploadPeer(peer, s.fleet, s.workerFleet.hosts, tree.dir, to);
      }
    }
    reps.push({ wallMs, ...(autoChoice === undefined ? {} : { autoChoice }) });
    const fmt = s.tools.map((t) => `${t} ${((wallMs[t] ?? Number.NaN) / 1000).toFixed(2)} s`).join(', ');
    s.log(`network ${rate} ${kind} rep ${rep + 1}/${s.reps}: ${fmt}; auto chose ${autoChoice ?? '?'}`);
  }
  rmSync(area, { recursive: true, force: true });
  return {
    rate,
    tree: kind,
    files: tree.files,
    bytes: tree.bytes,
    hosts: s.workerFleet.hosts.length,
    tools: s.tools,
    reps,
  };
}
