/**
 * Diagnostic: where the fixed cost of one of our uploads goes, beside `tar | ssh`, on plain
 * loopback (no rate, no delay): a small tree to a few hosts, each run a fresh worker process as in
 * the upload case. Prints fork→exit, node start-up (to executor.run()), the connect stage, the
 * upload stage and transport.close(), median of the repetitions.
 *   node .tmp/bench-build/bench/probes/upload-overhead.js [HOSTS] [REPS] [FILES] [BYTES] [text|random]
 * Run it under `ip netns exec` with a shaped loopback, and with TMPDIR=/dev/shm, to look at one of
 * the network lab's rows phase by phase.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workerFleet } from '../context.js';
import { startBenchFleet } from '../fleet.js';
import { runOurs } from '../ours.js';
import { runUploadPeer } from '../upload-peers.js';
import { makeRandomTree, makeTree } from '../upload-tree.js';

const [hosts = 5, reps = 5, files = 200, bytes = 2_000_000] = process.argv.slice(2, 6).map(Number);
const kind = process.argv[6] === 'random' ? 'random' : 'text';
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const fleet = await startBenchFleet(hosts);
const src = mkdtempSync(join(tmpdir(), 'bw-overhead-'));
try {
  const tree = (kind === 'random' ? makeRandomTree : makeTree)(join(src, 'tree'), files, bytes);
  const wf = workerFleet(fleet, hosts);
  const rows: Record<string, number[]> = {};
  const add = (k: string, v: number): void => void (rows[k] ??= []).push(v);
  for (let rep = 0; rep < reps; rep++) {
    const area = join(fleet.scratchDir, `oh-${rep}`);
    for (const [compress, connectFirst] of [
      ['auto', false],
      ['auto', true],
      [false, false],
      [true, false],
    ] as const) {
      const r = await runOurs({
        kind: 'upload',
        connectFirst,
        fleet: wf,
        from: tree.dir,
        to: join(area, `ours-${String(compress)}${connectFirst ? '-c' : ''}`, '{host}', 'r1'),
        compress,
        canary: false,
      });
      const k = `ours ${String(compress)}${connectFirst ? ' +connect' : ''}`;
      add(`${k}: fork→exit`, r.processMs);
      add(`${k}: start-up`, r.result.startupMs);
      add(`${k}: run`, r.result.runMs);
      add(`${k}: upload stage`, r.result.stageMs);
      add(`${k}: close`, r.result.closeMs);
    }
    add(
      'tar|ssh',
      await runUploadPeer('tar+ssh', fleet, wf.hosts, tree.dir, join(area, 'tar', '{host}', 'r1')),
    );
    add(
      'tar -z|ssh',
      await runUploadPeer('tar -z+ssh', fleet, wf.hosts, tree.dir, join(area, 'tgz', '{host}', 'r1')),
    );
  }
  for (const [k, v] of Object.entries(rows))
    console.log(
      `${k.padEnd(28)} ${median(v).toFixed(0).padStart(6)} ms  (${v.map((x) => x.toFixed(0)).join(' ')})`,
    );
} finally {
  rmSync(src, { recursive: true, force: true });
  await fleet.stop();
}
