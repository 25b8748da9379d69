import { parseArgs } from 'node:util';

export const CASES = [
  'fanout',
  'peers',
  'latency',
  'cpu',
  'memory',
  'throughput',
  'handshakes',
  'scale',
  'upload',
  'network',
] as const;
export type CaseName = (typeof CASES)[number];

/** A full run leaves the scale case out (it needs a fleet of 1,000 sshd): `--only scale` runs it. */
const DEFAULT_CASES: readonly CaseName[] = CASES.filter((c) => c !== 'scale');
/**
 * The smoke run leaves the network lab out: it needs root and takes ~45 s even tiny (two rates, a
 * fleet of its own); `--smoke --only network` runs it small.
 */
const SMOKE_CASES: readonly CaseName[] = CASES.filter((c) => c !== 'network');

export interface BenchArgs {
  /** A handful of hosts, one repetition, short sleeps; for CI, never asserts timings. */
  readonly smoke: boolean;
  /** Measured repetitions per case (after one warm-up). Default 5, smoke 1. */
  readonly reps: number;
  /** Cases to run. Default: all. */
  readonly only: readonly CaseName[];
  /** Run the peers at every fan-out point, not only at N = 100, P = 25. */
  readonly allPeers: boolean;
  /** Fleet sizes of the scale case. Default 300 and 1,000 (smoke: 6). */
  readonly scaleHosts: readonly number[] | undefined;
  /** Write bench/results/<date>.json and latest.json. Default: true, except in smoke runs. */
  readonly write: boolean;
  readonly help: boolean;
}

export const USAGE = `usage: npm run bench -- [--smoke] [--reps N] [--only CASE[,CASE…]] [--all-peers] [--scale-hosts N,…] [--no-write]

  --smoke           6 hosts, 1 repetition, short sleeps, no targets checked (CI); every case but network
  --reps N          measured repetitions per case, after one warm-up (default 5)
  --only LIST       comma-separated subset of: ${CASES.join(', ')}
                    (default: all but scale, which starts 1,000 sshd: run it with --only scale;
                    network needs root, ip and tc, and is skipped with a note without them)
  --all-peers       run parallel-ssh and xargs+ssh at every fan-out point (default: N=100, P=25 only)
  --scale-hosts L   fleet sizes of the scale case (default 300,1000)
  --no-write        do not write bench/results/*.json
`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      smoke: { type: 'boolean', default: false },
      reps: { type: 'string' },
      only: { type: 'string' },
      'all-peers': { type: 'boolean', default: false },
      'scale-hosts': { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const smoke = values.smoke ?? false;
  const reps = values.reps === undefined ? (smoke ? 1 : 5) : Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1 || reps > 100) {
    throw new TypeError(`--reps: expected an integer from 1 to 100, got ${JSON.stringify(values.reps)}`);
  }
  const only =
    values.only === undefined
      ? smoke
        ? [...SMOKE_CASES]
        : [...DEFAULT_CASES]
      : values.only.split(',').map((s) => s.trim());
  for (const name of only) {
    if (!(CASES as readonly string[]).includes(name)) {
      throw new TypeError(
        `--only: unknown case ${JSON.stringify(name)}; expected one of ${CASES.join(', ')}`,
      );
    }
  }
  const scaleHosts = values['scale-hosts']?.split(',').map((s) => Number(s.trim()));
  if (scaleHosts?.some((n) => !Number.isInteger(n) || n < 1 || n > 5000)) {
    throw new TypeError(
      `--scale-hosts: expected host counts from 1 to 5000, got ${JSON.stringify(values['scale-hosts'])}`,
    );
  }
  return {
    smoke,
    reps,
    only: only as CaseName[],
    allPeers: values['all-peers'] ?? false,
    scaleHosts,
    write: !(values['no-write'] ?? false) && !smoke,
    help: values.help ?? false,
  };
}
