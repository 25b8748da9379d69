/**
 * `npm run bench`: starts a fleet of real sshd processes on loopback, runs the cases of
 * bench/README.md, prints a markdown table of medians (min–max) with targets, and writes
 * bench/results/<date>.json and latest.json. `--smoke` is the CI variant: tiny, no targets.
 */
import { parseBenchArgs, USAGE, type BenchArgs, type CaseName } from './args.js';
import { cpuCase } from './cases/cpu.js';
import { fanoutCase } from './cases/fanout.js';
import { handshakesCase } from './cases/handshakes.js';
import { latencyCase } from './cases/latency.js';
import { memoryCase } from './cases/memory.js';
import { networkCase } from './cases/network.js';
import { scaleCase } from './cases/scale.js';
import { throughputCase } from './cases/throughput.js';
import { uploadCase } from './cases/upload.js';
import type { BenchContext, CaseOutput } from './context.js';
import { BENCH_SSHD_CONFIG, PINNED, startBenchFleet } from './fleet.js';
import { describeMachine, loadAvg1 } from './machine.js';
import { ensurePssh } from './pssh-install.js';
import { fleetSize, makePlan, type BenchPlan } from './plan.js';
import { writeRecord } from './results.js';
import type { Row } from './rows.js';
import { renderTable } from './table.js';
import { DEFAULT_SSH_OPTIONS } from '../src/contract/ssh-options.js';

async function main(argv: readonly string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const startedAt = new Date();
  const t0 = performance.now();
  const log = (line: string): void => {
    process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  };
  const notes: string[] = [];
  const note = (line: string): void => {
    notes.push(line);
    log(`note: ${line}`);
  };

  const plan = makePlan(args);
  // Only the peers case runs parallel-ssh: other runs never install it.
  const wantsPssh = args.only.includes('peers') || args.only.includes('fanout');
  const pssh = ensurePssh({ install: !args.smoke && wantsPssh, log, note });
  const machine = describeMachine(pssh);
  if (machine.loadAvg1 > machine.cpus / 2) {
    note(
      `the machine was busy when the run started (1-min load ${machine.loadAvg1} on ${machine.cpus} CPUs)`,
    );
  }
  const count = fleetSize(plan, args.only);
  log(`starting ${count} sshd processes on 127.0.0.1`);
  const fleet = await startBenchFleet(count);
  log(`fleet up: ${count} hosts, logging in as ${fleet.user}`);
  const ctx: BenchContext = { args, plan, fleet, pssh, checkTargets: !args.smoke, log, note };

  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  try {
    for (const [name, out] of cases(args.only, plan)) {
      const result: CaseOutput = await out(ctx);
      rows.push(...result.rows);
      raw[name] = result.raw;
    }
  } finally {
    await fleet.stop();
  }

  const table = renderTable(rows);
  process.stdout.write(`\n${table}\n\n`);
  for (const n of notes) process.stdout.write(`- ${n}\n`);
  const misses = rows.filter((r) => r.verdict === 'miss');
  if (misses.length)
    process.stdout.write(`\n${misses.length} target(s) missed: ${misses.map((r) => r.metric).join('; ')}\n`);

  if (args.write) {
    const written = writeRecord({
      version: 1,
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((performance.now() - t0) / 1000),
      args,
      machine: { ...machine, loadAvg1AtEnd: loadAvg1() },
      setup: {
        pinned: PINNED,
        sshdConfig: BENCH_SSHD_CONFIG,
        loginUser: fleet.user,
        ourTransport: DEFAULT_SSH_OPTIONS,
        ourDriver:
          'library: Executor + Runner + Stage.forHosts + Job yielding remote(cmd), one worker process per run',
      },
      plan,
      rows,
      notes,
      raw,
    });
    log(`wrote ${written.join(', ')}`);
  }
  log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return 0;
}

type CaseFn = (ctx: BenchContext) => Promise<CaseOutput>;

/** The selected cases in a fixed order; fan-out and peers share their runs when both are selected. */
function cases(only: readonly CaseName[], plan: BenchPlan): [string, CaseFn][] {
  const has = (c: CaseName): boolean => only.includes(c);
  const out: [string, CaseFn][] = [];
  if (has('fanout') || has('peers')) {
    const points = plan.fanout.points
      .filter((p) => has('fanout') || p.peers)
      .map((p) => ({ ...p, peers: p.peers && has('peers') }));
    out.push(['fanout', (ctx) => fanoutCase(ctx, points)]);
  }
  if (has('latency')) out.push(['latency', latencyCase]);
  if (has('cpu')) out.push(['cpu', cpuCase]);
  if (has('memory')) out.push(['memory', memoryCase]);
  if (has('throughput')) out.push(['throughput', throughputCase]);
  if (has('handshakes')) out.push(['handshakes', handshakesCase]);
  if (has('scale')) out.push(['scale', scaleCase]);
  if (has('upload')) out.push(['upload', uploadCase]);
  if (has('network')) out.push(['network', networkCase]);
  return out;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
