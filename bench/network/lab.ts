/**
 * The network lab's process: run by `ip netns exec` inside the namespace the bench created (see
 * bench/cases/network.ts), so its fleet, its delay proxies and every tool compared share one
 * loopback, rate-limited here with `tc`. Reads a LabSpec (path in argv), writes a LabResult.
 * The qdisc and the fleet are removed on every way out; the bench then deletes the namespace.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workerFleet } from '../context.js';
import { startBenchFleet, type BenchFleet } from '../fleet.js';
import { ensureRsync, makeRandomTree, makeTree, type GeneratedTree } from '../upload-tree.js';
import { delayedFleet } from './delayed.js';
import { rttRep } from './rtt.js';
import { shapeLoopback, unshapeLoopback } from './shaping.js';
import {
  UPLOAD_TOOLS,
  type LabResult,
  type LabSpec,
  type RttRep,
  type TreeKind,
  type UploadRow,
} from './spec.js';
import { uploadRow } from './uploads.js';
import { runOurs } from '../ours.js';

const t0 = performance.now();
const log = (line: string): void => {
  process.stderr.write(`[lab  ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
};

async function uploads(spec: LabSpec, fleet: BenchFleet, notes: string[]): Promise<UploadRow[]> {
  const { plan } = spec;
  const rsync = ensureRsync({ install: false, log });
  if (!rsync) notes.push('rsync is not installed, so `rsync -az` is not compared (apt-get install rsync)');
  const tools = UPLOAD_TOOLS.filter((t) => rsync || t !== 'rsync -az');
  // Trees and targets in memory (tmpfs) when the machine has one: 6 tools × 5 hosts × 20 MB per
  // repetition on a disk would measure its writeback (which run it throttles is luck), not the link.
  const disk = memoryDisk();
  if (!disk)
    notes.push(
      'no writable /dev/shm: the upload trees and targets are on the disk, whose writeback adds noise',
    );
  const base = disk ?? fleet.dir;
  const src = join(base, 'lab-src');
  chmodSync(base, 0o755);
  const trees: [TreeKind, GeneratedTree][] = [
    ['text', makeTree(join(src, 'text'), plan.files, plan.bytes)],
    ['incompressible', makeRandomTree(join(src, 'random'), Math.ceil(plan.files / 4), plan.bytes)],
  ];
  const area = join(disk ?? fleet.scratchDir, 'lab-up');
  const setup = { fleet, area, workerFleet: workerFleet(fleet, plan.hosts), tools, reps: plan.reps, log };
  const rows: UploadRow[] = [];
  try {
    for (const rate of spec.rates) {
      shapeLoopback(spec.tc, rate);
      log(`loopback shaped: tbf rate ${rate.rate} burst ${rate.burst} latency ${rate.latency}`);
      for (const [kind, tree] of trees) rows.push(await uploadRow(setup, rate.rate, kind, tree));
    }
  } finally {
    rmSync(src, { recursive: true, force: true });
    if (disk) rmSync(disk, { recursive: true, force: true });
  }
  return rows;
}

/** A private directory on /dev/shm (tmpfs), or undefined when there is none to write to. */
function memoryDisk(): string | undefined {
  try {
    return mkdtempSync('/dev/shm/bw-lab-');
  } catch {
    return undefined;
  }
}

async function latencyAndFanout(
  spec: LabSpec,
  fleet: BenchFleet,
): Promise<Pick<LabResult, 'rtt' | 'fanout'>> {
  const { plan } = spec;
  const f = plan.fanout;
  const delayed = await delayedFleet(fleet, Math.max(f.hosts, plan.hosts), plan.delayMs);
  try {
    const rtt: RttRep[] = [];
    const fanoutMs: number[] = [];
    const stageMs: number[][] = [];
    for (let rep = 0; rep < plan.reps; rep++) {
      const r = await rttRep(fleet, delayed, plan.hosts, plan.steps);
      rtt.push(r);
      log(
        `network rtt rep ${rep + 1}: ${JSON.stringify(r, (_, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))}`,
      );
      const run = await runOurs({
        kind: 'fanout',
        fleet: {
          hosts: delayed.hosts.slice(0, f.hosts),
          user: fleet.user,
          keyPath: fleet.keyPath,
          knownHostsPath: delayed.knownHostsPath,
        },
        stages: f.stages,
        pool: f.hosts,
        canary: true,
        command: f.command,
      });
      fanoutMs.push(run.processMs);
      stageMs.push(run.result.stageMs);
      log(`network fan-out ${f.hosts} hosts rep ${rep + 1}: ${(run.processMs / 1000).toFixed(2)} s`);
    }
    // Canary alone, then all the others in one wave (pool = hosts), per stage.
    return { rtt, fanout: { wallMs: fanoutMs, stageMs, idealMs: f.stages * 2 * f.stepSeconds * 1000 } };
  } finally {
    await delayed.close();
  }
}

async function main(specPath: string): Promise<void> {
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as LabSpec;
  const { plan } = spec;
  const notes: string[] = [];
  const fleet = await startBenchFleet(Math.max(plan.hosts, plan.fanout.hosts));
  running = fleet;
  log(`fleet up inside the namespace: ${fleet.hosts.length} hosts, logging in as ${fleet.user}`);
  try {
    const up = await uploads(spec, fleet, notes);
    const last = spec.rates[spec.rates.length - 1];
    notes.push(
      `the round trips and the fan-out were measured with the loopback at ${last?.rate ?? 'full speed'}`,
    );
    const rest = await latencyAndFanout(spec, fleet);
    const result: LabResult = { uploads: up, ...rest, notes };
    mkdirSync(join(spec.out, '..'), { recursive: true });
    writeFileSync(spec.out, JSON.stringify(result));
  } finally {
    unshapeLoopback(spec.tc);
    await fleet.stop();
  }
}

let running: BenchFleet | undefined;
/** A signal (the bench's, when it is stopped): no qdisc and no sshd left behind, then exit. */
const stop = (signal: NodeJS.Signals): void => {
  unshapeLoopback((JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as LabSpec).tc);
  void (running?.stop() ?? Promise.resolve()).finally(() => process.kill(process.pid, signal));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

main(process.argv[2] as string).then(
  () => (process.exitCode = 0),
  (err: unknown) => {
    process.stderr.write(
      `network lab failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
