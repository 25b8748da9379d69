/**
 * Cases 1 and 2: S stages of `sleep 1` on N hosts with pool P, canary on; wall / ideal. Where a point
 * has peers, parallel-ssh and xargs+ssh run the same stages on the same hosts in the same
 * repetition (interleaved, order rotated per repetition), and so does ours with the canary off,
 * the like-for-like comparison (neither peer has a canary).
 */
import type { BenchContext, CaseOutput } from '../context.js';
import { workerFleet } from '../context.js';
import { runOurs } from '../ours.js';
import { runPeer, type PeerName } from '../peers.js';
import { idealSeconds, type FanoutPoint } from '../plan.js';
import { row, type Row } from '../rows.js';

type Tool = 'ours' | 'ours, canary off' | PeerName;

interface Measurement {
  readonly rep: number;
  readonly hosts: number;
  readonly pool: number;
  readonly tool: Tool;
  /** Process wall time: what the user waits for. */
  readonly wallMs: number;
  /** Ours only: executor.run() and its stages. */
  readonly runMs?: number;
  readonly startupMs?: number;
  readonly closeMs?: number;
  readonly stageMs?: readonly number[];
  readonly peakHandshakes?: number;
  readonly exitedOnItsOwn?: boolean;
}

export async function fanoutCase(ctx: BenchContext, points: readonly FanoutPoint[]): Promise<CaseOutput> {
  const { plan } = ctx;
  const toolsAt = (p: FanoutPoint): Tool[] => {
    if (!p.peers) return ['ours'];
    return ['ours', 'ours, canary off', ...(ctx.pssh ? (['parallel-ssh'] as const) : []), 'xargs+ssh'];
  };
  if (!ctx.pssh && points.some((p) => p.peers))
    ctx.note('parallel-ssh is not installed: its rows are missing');

  const run = async (
    p: FanoutPoint,
    tool: Tool,
    stages: number,
    command: string,
  ): Promise<Omit<Measurement, 'rep'>> => {
    const fleet = workerFleet(ctx.fleet, p.hosts);
    if (tool === 'ours' || tool === 'ours, canary off') {
      const r = await runOurs({
        kind: 'fanout',
        fleet,
        stages,
        pool: p.pool,
        canary: tool === 'ours',
        command,
      });
      if (!r.exitedOnItsOwn) ctx.note(`ours (${p.hosts} hosts) did not exit on its own after the release`);
      return {
        hosts: p.hosts,
        pool: p.pool,
        tool,
        wallMs: r.processMs,
        runMs: r.result.runMs,
        startupMs: r.result.startupMs,
        closeMs: r.result.closeMs,
        stageMs: r.result.stageMs,
        peakHandshakes: r.result.handshakes.peakConcurrent,
        exitedOnItsOwn: r.exitedOnItsOwn,
      };
    }
    const hosts = ctx.fleet.hosts.slice(0, p.hosts);
    const wallMs = await runPeer(tool, ctx.fleet, ctx.pssh, { stages, pool: p.pool, hosts, command });
    return { hosts: p.hosts, pool: p.pool, tool, wallMs };
  };

  // Warm-up: every tool once over the largest point's hosts (binaries, page cache, sshd forks).
  const widest = points.reduce((a, b) => (b.hosts > a.hosts ? b : a));
  const warmTools = new Set(points.flatMap(toolsAt));
  ctx.log(`fan-out: warm-up (${[...warmTools].join(', ')} on ${widest.hosts} hosts)`);
  for (const tool of warmTools) await run({ ...widest, peers: true }, tool, 1, 'true');

  const all: Measurement[] = [];
  for (let rep = 1; rep <= ctx.args.reps; rep++) {
    for (const p of points) {
      const tools = rotate(toolsAt(p), rep - 1);
      for (const tool of tools) {
        const m = await run(p, tool, plan.fanout.stages, plan.fanout.command);
        all.push({ rep, ...m });
        ctx.log(
          `fan-out rep ${rep}/${ctx.args.reps} N=${p.hosts} P=${p.pool} ${tool}: ${(m.wallMs / 1000).toFixed(2)} s`,
        );
      }
    }
  }
  return {
    rows: fanoutRows(ctx, points, all),
    raw: { stages: plan.fanout.stages, command: plan.fanout.command, runs: all },
  };
}

function fanoutRows(ctx: BenchContext, points: readonly FanoutPoint[], all: readonly Measurement[]): Row[] {
  const { stages, stepSeconds } = ctx.plan.fanout;
  const rows: Row[] = [];
  const wall = (p: FanoutPoint, tool: Tool): number[] =>
    all
      .filter((m) => m.hosts === p.hosts && m.pool === p.pool && m.tool === tool)
      .map((m) => m.wallMs / 1000);
  const atTarget = (p: FanoutPoint): boolean => p.hosts === 100 && p.pool === 25;

  for (const p of points) {
    const ideal = idealSeconds(p.hosts, p.pool, stages, stepSeconds);
    rows.push(
      row(
        {
          case: 'fan-out',
          metric: `N=${p.hosts} P=${p.pool}: wall / ideal (ideal ${secs(ideal)})`,
          unit: 'x',
          ...(atTarget(p) ? { target: { op: '<=', value: 1.1 } } : {}),
        },
        wall(p, 'ours').map((s) => s / ideal),
        ctx.checkTargets,
      ),
    );
  }
  // Where the rest of the wall time goes, at the largest point: the release itself, each stage,
  // and what the process spends before and after it.
  const big = points.reduce((a, b) => (b.hosts * 100 + b.pool > a.hosts * 100 + a.pool ? b : a));
  const ours = all.filter((m) => m.hosts === big.hosts && m.pool === big.pool && m.tool === 'ours');
  const at = `N=${big.hosts} P=${big.pool}`;
  const ideal = idealSeconds(big.hosts, big.pool, stages, stepSeconds);
  const stageIdeal = ideal / stages;
  const info = (metric: string, unit: string, values: number[]): Row =>
    row({ case: 'fan-out', metric: `${at}: ${metric}`, unit }, values, false);
  rows.push(
    info(
      'executor.run() / ideal',
      'x',
      ours.map((m) => (m.runMs ?? NaN) / 1000 / ideal),
    ),
  );
  for (let i = 0; i < stages; i++) {
    const label =
      i === 0 ? `stage 1 / its ideal (${secs(stageIdeal)}; connects)` : `stage ${i + 1} / its ideal (warm)`;
    rows.push(
      info(
        label,
        'x',
        ours.map((m) => (m.stageMs?.[i] ?? NaN) / 1000 / stageIdeal),
      ),
    );
  }
  rows.push(
    info(
      'process start → executor.run() (node, imports)',
      'ms',
      ours.map((m) => m.startupMs ?? NaN),
    ),
  );
  rows.push(
    info(
      'transport.close()',
      'ms',
      ours.map((m) => m.closeMs ?? NaN),
    ),
  );
  for (const p of points.filter((q) => q.peers)) {
    const label = `N=${p.hosts} P=${p.pool}`;
    const tools = [
      ...new Set(all.filter((m) => m.hosts === p.hosts && m.pool === p.pool).map((m) => m.tool)),
    ];
    for (const tool of tools) {
      const canary = tool === 'ours';
      const ideal = idealSeconds(p.hosts, p.pool, stages, stepSeconds, canary);
      rows.push(
        row(
          { case: 'peers', metric: `${label}: ${tool} wall (ideal ${secs(ideal)})`, unit: 's' },
          wall(p, tool),
          false,
        ),
      );
    }
    for (const ours of ['ours', 'ours, canary off'] as const) {
      for (const peer of tools.filter((t): t is PeerName => t === 'parallel-ssh' || t === 'xargs+ssh')) {
        const a = wall(p, ours);
        const b = wall(p, peer);
        const ratios = a.map((x, i) => x / (b[i] ?? Number.NaN)).filter(Number.isFinite);
        rows.push(
          row(
            {
              case: 'peers',
              metric: `${label}: ${ours} / ${peer}`,
              unit: 'x',
              ...(ours === 'ours' && p.hosts === 100 ? { target: { op: '<', value: 1 } } : {}),
            },
            ratios,
            ctx.checkTargets,
          ),
        );
      }
    }
  }
  return rows;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % Math.max(1, items.length);
  return [...items.slice(k), ...items.slice(0, k)];
}

function secs(s: number): string {
  return `${Number(s.toFixed(2))} s`;
}
