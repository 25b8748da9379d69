/**
 * Case 7, scale: one controller against N hosts (300 and 1,000 in a full scale run), a stage of
 * `true` and one of `sleep 1` on all of them at pool 50 (no canary: the peers have none), ours (the
 * CLI, with its config, reporter and JSON report) side by side with `parallel-ssh -p 50`. Both
 * run under GNU time: wall, CPU of the tool and every process it started, the largest process's
 * peak RSS and the whole tree's (sampled). Handshakes per second is N over the wall time of the
 * `true` stage: every host is connected once there, and connecting is nearly all it does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, CaseOutput } from '../context.js';
import { loadAvg1 } from '../machine.js';
import { CLI_NODE_FLAGS } from '../ours.js';
import { psshArgs } from '../peers.js';
import { row, type Row } from '../rows.js';
import { writeScaleConfig, type ScaleRunner } from '../scale/config.js';
import { hasGnuTime, runTimed, type TimedRun } from '../timed-command.js';

const CLI = fileURLToPath(new URL('../scale/cli.js', import.meta.url));

type Tool = 'ours' | 'parallel-ssh';

interface Measurement extends TimedRun {
  readonly rep: number;
  readonly hosts: number;
  readonly runner: string;
  readonly tool: Tool;
}

export async function scaleCase(ctx: BenchContext): Promise<CaseOutput> {
  const { sizes, pool, runners } = ctx.plan.scale;
  if (!hasGnuTime()) throw new Error('the scale case needs GNU time (/usr/bin/time): apt-get install time');
  const tools: Tool[] = ctx.pssh ? ['ours', 'parallel-ssh'] : ['ours'];
  if (!ctx.pssh) ctx.note('scale: parallel-ssh is not installed: its rows are missing');
  const all: Measurement[] = [];
  const loads: Record<number, { start: number; end: number }> = {};
  for (const hosts of sizes) {
    const fleetHosts = ctx.fleet.hosts.slice(0, hosts);
    const config = writeScaleConfig(ctx.fleet, fleetHosts, pool, runners);
    loads[hosts] = { start: loadAvg1(), end: Number.NaN };
    for (const runner of runners) {
      const once = async (tool: Tool, rep: number): Promise<Measurement> => {
        const r =
          tool === 'ours'
            ? await ours(ctx, config, runner, hosts)
            : await pssh(ctx, fleetHosts, pool, runner);
        return { ...r, rep, hosts, runner: runner.name, tool };
      };
      ctx.log(`scale N=${hosts} ${runner.command}: warm-up`);
      for (const tool of tools) await once(tool, 0);
      for (let rep = 1; rep <= ctx.args.reps; rep++) {
        // Rotate the order per repetition, so drift on the shared machine hits both alike.
        const order = rep % 2 === 0 ? [...tools].reverse() : tools;
        for (const tool of order) {
          const m = await once(tool, rep);
          all.push(m);
          ctx.log(
            `scale N=${hosts} ${runner.command} rep ${rep}/${ctx.args.reps} ${tool}: ${(m.wallMs / 1000).toFixed(2)} s, ` +
              `${m.cpuSeconds.toFixed(2)} CPU s, RSS ${m.maxRssMB.toFixed(0)} MB (tree ${m.treeRssMB.toFixed(0)} MB)`,
          );
        }
      }
    }
    loads[hosts]!.end = loadAvg1();
    ctx.note(
      `scale N=${hosts}: 1-min load ${loads[hosts]!.start} at the start, ${loads[hosts]!.end} at the end`,
    );
  }
  return { rows: rowsOf(ctx, all), raw: { loads, runs: all.map(({ tail: _tail, ...m }) => m) } };
}

async function ours(
  ctx: BenchContext,
  config: string,
  runner: ScaleRunner,
  hosts: number,
): Promise<TimedRun> {
  const report = join(ctx.fleet.dir, `scale-report-${hosts}-${runner.name}.json`);
  const r = await runTimed(
    process.execPath,
    [...CLI_NODE_FLAGS, CLI, 'run', '-c', config, '-r', runner.name, '--report', report],
    { scratch: ctx.fleet.dir },
  );
  if (r.exitCode !== 0) throw new Error(`ours exited ${r.exitCode} with ${hosts} hosts: ${r.tail}`);
  const jobs = (
    JSON.parse(readFileSync(report, 'utf8')) as { stages: { jobs: { result: string }[] }[] }
  ).stages.flatMap((s) => s.jobs);
  const ok = jobs.filter((j) => j.result === 'success').length;
  if (ok !== hosts) throw new Error(`ours: ${ok} of ${hosts} jobs succeeded`);
  return r;
}

async function pssh(
  ctx: BenchContext,
  hosts: BenchContext['fleet']['hosts'],
  pool: number,
  runner: ScaleRunner,
): Promise<TimedRun> {
  const r = await runTimed(
    ctx.pssh ?? 'parallel-ssh',
    psshArgs(ctx.fleet, { hosts, pool, command: runner.command }),
    {
      scratch: ctx.fleet.dir,
    },
  );
  if (r.exitCode !== 0)
    throw new Error(`parallel-ssh exited ${r.exitCode} with ${hosts.length} hosts: ${r.tail}`);
  return r;
}

function rowsOf(ctx: BenchContext, all: readonly Measurement[]): Row[] {
  const rows: Row[] = [];
  const { sizes, pool, runners } = ctx.plan.scale;
  const big = Math.max(...sizes);
  for (const hosts of sizes) {
    for (const runner of runners) {
      const of = (tool: Tool): Measurement[] =>
        all.filter((m) => m.hosts === hosts && m.runner === runner.name && m.tool === tool);
      const label = `N=${hosts} P=${pool} \`${runner.command}\``;
      const spec = (tool: Tool, metric: string, unit: string) => ({
        case: 'scale',
        metric: `${label}: ${tool} ${metric}`,
        unit,
      });
      for (const tool of ['ours', 'parallel-ssh'] as const) {
        const ms = of(tool);
        if (ms.length === 0) continue;
        rows.push(
          row(
            spec(tool, 'wall', 's'),
            ms.map((m) => m.wallMs / 1000),
            false,
          ),
        );
        rows.push(
          row(
            {
              ...spec(tool, 'peak RSS (largest process)', 'MB'),
              ...(tool === 'ours' && hosts === big && hosts >= 1000
                ? { target: { op: '<=' as const, value: 300 } }
                : {}),
            },
            ms.map((m) => m.maxRssMB),
            ctx.checkTargets,
          ),
        );
        rows.push(
          row(
            spec(tool, 'peak RSS (process tree, sampled)', 'MB'),
            ms.map((m) => m.treeRssMB),
            false,
          ),
        );
        rows.push(
          row(
            spec(tool, 'CPU (with its children)', 'CPU s'),
            ms.map((m) => m.cpuSeconds),
            false,
          ),
        );
        if (runner.command === 'true')
          rows.push(
            row(
              spec(tool, 'handshakes/s (N / wall)', '/s'),
              ms.map((m) => hosts / (m.wallMs / 1000)),
              false,
            ),
          );
      }
      const ratios = of('ours').flatMap((o) => {
        const p = of('parallel-ssh').find((m) => m.rep === o.rep);
        return p ? [o.wallMs / p.wallMs] : [];
      });
      if (ratios.length > 0) {
        rows.push(
          row(
            {
              case: 'scale',
              metric: `${label}: ours / parallel-ssh (wall)`,
              unit: 'x',
              target: { op: '<', value: 1 },
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
