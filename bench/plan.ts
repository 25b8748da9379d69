/** What each case runs, for a full run and for the CI smoke run (tiny, fast, same code paths). */
import type { BenchArgs, CaseName } from './args.js';
import type { ScaleRunner } from './scale/config.js';

export interface FanoutPoint {
  readonly hosts: number;
  readonly pool: number;
  /** Also run the peers (and ours without canary) here. */
  readonly peers: boolean;
}

export interface BenchPlan {
  readonly fanout: {
    readonly points: readonly FanoutPoint[];
    readonly stages: number;
    /** The step every host runs in every stage, and how long it takes by itself. */
    readonly command: string;
    readonly stepSeconds: number;
  };
  readonly latency: { readonly steps: number };
  readonly cpu: { readonly hosts: number; readonly sleepSeconds: number };
  readonly memory: { readonly hosts: number; readonly pool: number };
  readonly throughput: { readonly bytes: number; readonly lineBytes: number };
  readonly handshakes: { readonly hosts: number };
  readonly scale: {
    readonly sizes: readonly number[];
    readonly pool: number;
    readonly runners: readonly ScaleRunner[];
  };
  readonly upload: {
    readonly hosts: number;
    /** The tree: this many files of ~`bytes / files` each (PHP-like text). */
    readonly files: number;
    readonly bytes: number;
    /** Share of the files changed for the re-release. */
    readonly changed: number;
    /** The single big file (to one host). */
    readonly bigBytes: number;
  };
  readonly network: NetworkPlan;
}

/** The network lab (bench/network/): rates, trees, the delay proxy, the fan-out through it. */
export interface NetworkPlan {
  /** Measured repetitions (no warm-up; the tools' order rotates): at most 3 of `--reps`. */
  readonly reps: number;
  /** Upload targets; each tree (text, incompressible) has `files` files, ~`bytes` in all. */
  readonly hosts: number;
  readonly files: number;
  readonly bytes: number;
  /** The delay proxy: this much each way, so a round trip is twice it. */
  readonly delayMs: number;
  /** Timed warm steps per repetition (ours and OpenSSH's). */
  readonly steps: number;
  readonly fanout: {
    readonly hosts: number;
    readonly stages: number;
    readonly command: string;
    readonly stepSeconds: number;
  };
}

const GiB = 2 ** 30;
const MiB = 2 ** 20;

export function makePlan(args: BenchArgs): BenchPlan {
  if (args.smoke) {
    return {
      fanout: {
        points: [{ hosts: 4, pool: 2, peers: true }],
        stages: 2,
        command: 'sleep 0.2',
        stepSeconds: 0.2,
      },
      latency: { steps: 20 },
      cpu: { hosts: 4, sleepSeconds: 1 },
      memory: { hosts: 4, pool: 4 },
      throughput: { bytes: 8 * MiB, lineBytes: 128 },
      handshakes: { hosts: 4 },
      scale: {
        sizes: args.scaleHosts ?? [6],
        pool: 3,
        runners: [
          { name: 'true', command: 'true' },
          { name: 'sleep', command: 'sleep 0.2' },
        ],
      },
      upload: { hosts: 2, files: 200, bytes: 2 * MiB, changed: 0.01, bigBytes: 16 * MiB },
      network: {
        reps: 1,
        hosts: 2,
        files: 50,
        bytes: 1e6,
        delayMs: 25,
        steps: 5,
        fanout: { hosts: 3, stages: 1, command: 'sleep 0.2', stepSeconds: 0.2 },
      },
    };
  }
  const points: FanoutPoint[] = [];
  for (const hosts of [10, 50, 100]) {
    for (const pool of [10, 25])
      points.push({ hosts, pool, peers: args.allPeers || (hosts === 100 && pool === 25) });
  }
  return {
    fanout: { points, stages: 3, command: 'sleep 1', stepSeconds: 1 },
    latency: { steps: 200 },
    cpu: { hosts: 50, sleepSeconds: 10 },
    memory: { hosts: 200, pool: 50 },
    throughput: { bytes: GiB, lineBytes: 128 },
    handshakes: { hosts: 100 },
    scale: {
      sizes: args.scaleHosts ?? [300, 1000],
      pool: 50,
      runners: [
        { name: 'true', command: 'true' },
        { name: 'sleep', command: 'sleep 1' },
      ],
    },
    upload: { hosts: 10, files: 5000, bytes: 57 * 1e6, changed: 0.01, bigBytes: GiB },
    network: {
      reps: Math.min(args.reps, 3),
      hosts: 5,
      files: 2000,
      bytes: 20e6,
      delayMs: 25,
      steps: 30,
      fanout: { hosts: 30, stages: 3, command: 'sleep 1', stepSeconds: 1 },
    },
  };
}

/** Hosts the fleet needs for the selected cases. */
export function fleetSize(plan: BenchPlan, only: readonly CaseName[]): number {
  const need: Record<CaseName, number> = {
    fanout: Math.max(...plan.fanout.points.map((p) => p.hosts)),
    peers: Math.max(...plan.fanout.points.filter((p) => p.peers).map((p) => p.hosts)),
    latency: 1,
    cpu: plan.cpu.hosts,
    memory: plan.memory.hosts,
    throughput: 1,
    handshakes: plan.handshakes.hosts,
    scale: Math.max(...plan.scale.sizes),
    upload: plan.upload.hosts,
    // The lab starts its own fleet inside its network namespace; the outer one is not used.
    network: 1,
  };
  return Math.max(...only.map((c) => need[c]));
}

/** stages × (1 + ⌈(N−1)/P⌉) × step: the canary alone, then full waves of P. */
export function idealSeconds(
  hosts: number,
  pool: number,
  stages: number,
  stepSeconds: number,
  canary = true,
): number {
  const waves = canary ? 1 + Math.ceil((hosts - 1) / pool) : Math.ceil(hosts / pool);
  return stages * waves * stepSeconds;
}
