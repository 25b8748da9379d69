/**
 * Case 8: uploads. A PHP-like tree (5,000 files, ~57 MB) to 10 hosts at once: ours (the tar stream,
 * uncompressed and gzipped) against `tar -c | ssh tar -x` (plain and gzipped) and `rsync -a`, all to
 * every host in parallel, interleaved per repetition with the order rotating; then a re-release
 * with 1 % of the files changed and `link-from` the first upload; then one 1 GiB file to one host
 * (RSS growth). Ours runs with the canary off, as the peers have none.
 */
import { rmSync, mkdirSync, chmodSync, chownSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { workerFleet, type BenchContext, type CaseOutput } from '../context.js';
import { runOurs } from '../ours.js';
import { row, type Row } from '../rows.js';
import { changedCopy, ensureRsync, makeBigFile, makeTree } from '../upload-tree.js';
import { runUploadPeer, type UploadPeer } from '../upload-peers.js';

type Tool = UploadPeer | 'ours' | 'ours gzip';

interface Rep {
  readonly wallMs: Partial<Record<Tool, number>>;
  /** Ours, the stage only (without process start and the connect stage). */
  readonly stageMs: Partial<Record<'ours' | 'ours gzip', number>>;
  readonly rerelease: {
    wallMs: number;
    bytes: number;
    bytesSent: number;
    filesLinked: number;
    gzipBytesSent: number;
  };
  readonly big: { stageMs: number; growthMB: number; mibPerSec: number };
}

const MiB = 2 ** 20;

export async function uploadCase(ctx: BenchContext): Promise<CaseOutput> {
  const plan = ctx.plan.upload;
  const fleet = workerFleet(ctx.fleet, plan.hosts);
  const rsync = ensureRsync({ install: !ctx.args.smoke, log: ctx.log });
  if (!rsync) ctx.note('rsync is not installed, so it is not compared (apt-get install rsync)');
  const peers: UploadPeer[] = ['tar+ssh', 'tar -z+ssh', ...(rsync ? (['rsync -a'] as const) : [])];
  const tools: Tool[] = ['ours', 'ours gzip', ...peers];

  const src = join(ctx.fleet.dir, 'upload-src');
  ctx.log(`upload: generating ${plan.files} files (~${(plan.bytes / 1e6).toFixed(0)} MB)`);
  const tree = makeTree(join(src, 'r1'), plan.files, plan.bytes);
  const changed = changedCopy(tree, join(src, 'r2'), plan.changed);
  const bigDir = join(src, 'big');
  mkdirSync(bigDir);
  makeBigFile(join(bigDir, 'big.bin'), plan.bigBytes);
  // The login user reads the sources (rsync and tar run as us, but the hosts' side never does).
  chmodSync(ctx.fleet.dir, 0o755);
  const area = join(ctx.fleet.scratchDir, 'up');
  const user = statSync(ctx.fleet.scratchDir);
  const fresh = (): void => {
    rmSync(area, { recursive: true, force: true });
    mkdirSync(area);
    chmodSync(area, 0o1777);
    if (process.getuid?.() === 0) chownSync(area, user.uid, user.gid);
  };
  const to = (tool: string, release: string): string =>
    join(area, tool.replace(/[^a-z]+/g, '-'), '{host}', release);

  const once = async (rep: number): Promise<Rep> => {
    fresh();
    const wallMs: Rep['wallMs'] = {};
    const stageMs: Rep['stageMs'] = {};
    // Rotate the order so drift (the shared machine) hits every tool alike.
    const order = tools.map((_, i) => tools[(i + rep) % tools.length] as Tool);
    for (const tool of order) {
      if (tool === 'ours' || tool === 'ours gzip') {
        const run = await runOurs({
          kind: 'upload',
          connectFirst: true,
          fleet,
          from: tree.dir,
          to: to(tool, 'r1'),
          compress: tool === 'ours gzip',
          canary: false,
        });
        wallMs[tool] = run.processMs;
        stageMs[tool] = run.result.stageMs;
      } else {
        wallMs[tool] = await runUploadPeer(tool, ctx.fleet, fleet.hosts, tree.dir, to(tool, 'r1'));
      }
    }
    const rerelease = async (compress: boolean) =>
      runOurs({
        kind: 'upload',
        connectFirst: true,
        fleet,
        from: changed.dir,
        to: to(compress ? 'ours gzip' : 'ours', 'r2'),
        linkFrom: to(compress ? 'ours gzip' : 'ours', 'r1'),
        compress,
        canary: false,
      });
    const plain = await rerelease(false);
    const gz = await rerelease(true);
    fresh();
    const big = await runOurs({
      kind: 'upload',
      connectFirst: true,
      fleet: workerFleet(ctx.fleet, 1),
      from: bigDir,
      to: to('big', 'r1'),
      compress: false,
      canary: false,
    });
    return {
      wallMs,
      stageMs,
      rerelease: {
        wallMs: plain.processMs,
        bytes: plain.result.bytes,
        bytesSent: plain.result.bytesSent,
        filesLinked: plain.result.filesLinked,
        gzipBytesSent: gz.result.bytesSent,
      },
      big: {
        stageMs: big.result.stageMs,
        growthMB: big.result.maxRssMB - big.result.rssBeforeMB,
        mibPerSec: plan.bigBytes / MiB / (big.result.stageMs / 1000),
      },
    };
  };

  // A smoke run only checks that every path works: no warm-up there.
  if (!ctx.args.smoke) {
    ctx.log('upload: warm-up');
    await once(0);
  }
  const runs: Rep[] = [];
  for (let rep = 1; rep <= ctx.args.reps; rep++) {
    const r = await once(rep);
    runs.push(r);
    const fmt = tools.map((t) => `${t} ${((r.wallMs[t] ?? Number.NaN) / 1000).toFixed(2)} s`).join(', ');
    ctx.log(
      `upload rep ${rep}/${ctx.args.reps}: ${fmt}; re-release sent ${((100 * r.rerelease.bytesSent) / r.rerelease.bytes).toFixed(2)} %; ` +
        `big: ${r.big.mibPerSec.toFixed(0)} MiB/s, RSS +${r.big.growthMB.toFixed(1)} MB`,
    );
  }
  rmSync(area, { recursive: true, force: true });
  rmSync(src, { recursive: true, force: true });

  const n = plan.hosts;
  const size = `${plan.files} files, ${(tree.bytes / 1e6).toFixed(0)} MB → ${n} hosts`;
  const check = ctx.checkTargets;
  const ratio = (a: Tool, b: Tool): number[] =>
    runs.map((r) => (r.wallMs[a] as number) / (r.wallMs[b] as number));
  const rows: Row[] = [];
  for (const t of tools) {
    rows.push(
      row(
        { case: 'upload', metric: `${size}: ${t} wall`, unit: 's' },
        runs.map((r) => (r.wallMs[t] as number) / 1000),
        check,
      ),
    );
  }
  rows.push(
    row(
      { case: 'upload', metric: `${size}: ours, upload stage only`, unit: 's' },
      runs.map((r) => (r.stageMs.ours as number) / 1000),
      check,
    ),
    row(
      { case: 'upload', metric: `${size}: ours / tar+ssh`, unit: 'x', target: { op: '<=', value: 1.2 } },
      ratio('ours', 'tar+ssh'),
      check,
    ),
    row(
      { case: 'upload', metric: `${size}: ours gzip / tar -z+ssh`, unit: 'x' },
      ratio('ours gzip', 'tar -z+ssh'),
      check,
    ),
  );
  if (rsync) {
    rows.push(
      row(
        { case: 'upload', metric: `${size}: ours / rsync -a`, unit: 'x', target: { op: '<', value: 1 } },
        ratio('ours', 'rsync -a'),
        check,
      ),
      row(
        { case: 'upload', metric: `${size}: ours gzip / rsync -a`, unit: 'x' },
        ratio('ours gzip', 'rsync -a'),
        check,
      ),
    );
  }
  const pct = (f: (r: Rep) => number) => runs.map((r) => (100 * f(r)) / r.rerelease.bytes);
  rows.push(
    row(
      {
        case: 'upload',
        metric: `re-release, ${(plan.changed * 100).toFixed(0)} % of files changed, link-from: bytes sent / bytes`,
        unit: '%',
        target: { op: '<', value: 5 },
      },
      pct((r) => r.rerelease.bytesSent),
      check,
    ),
    row(
      { case: 'upload', metric: 're-release, link-from, gzip: bytes sent / bytes', unit: '%' },
      pct((r) => r.rerelease.gzipBytesSent),
      check,
    ),
    row(
      { case: 'upload', metric: 're-release, link-from: wall', unit: 's' },
      runs.map((r) => r.rerelease.wallMs / 1000),
      check,
    ),
    row(
      { case: 'upload', metric: "re-release: files linked of all hosts' files", unit: 'count' },
      runs.map((r) => r.rerelease.filesLinked),
      check,
    ),
  );
  const bigSize = plan.bigBytes >= 2 ** 30 ? `${plan.bigBytes / 2 ** 30} GiB` : `${plan.bigBytes / MiB} MiB`;
  rows.push(
    row(
      { case: 'upload', metric: `one ${bigSize} file → 1 host: throughput`, unit: 'MiB/s' },
      runs.map((r) => r.big.mibPerSec),
      check,
    ),
    row(
      {
        case: 'upload',
        metric: `one ${bigSize} file → 1 host: controller RSS growth`,
        unit: 'MB',
        target: { op: '<=', value: 64 },
      },
      runs.map((r) => r.big.growthMB),
      check,
    ),
  );
  return { rows, raw: { tree: { files: tree.files, bytes: tree.bytes, changed: changed.changed }, runs } };
}
