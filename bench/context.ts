import type { BenchArgs } from './args.js';
import type { BenchFleet } from './fleet.js';
import type { BenchPlan } from './plan.js';
import type { Row } from './rows.js';
import type { WorkerFleet } from './worker/protocol.js';

/** What every case gets. */
export interface BenchContext {
  readonly args: BenchArgs;
  readonly plan: BenchPlan;
  readonly fleet: BenchFleet;
  /** Path of parallel-ssh, or null when it is not installed (its rows are skipped). */
  readonly pssh: string | null;
  /** Targets are judged in full runs only; smoke runs are too small to mean anything. */
  readonly checkTargets: boolean;
  /** Progress, on stderr. */
  log(line: string): void;
  /** A remark that belongs in the results (printed and written to the JSON). */
  note(line: string): void;
}

export interface CaseOutput {
  readonly rows: Row[];
  /** Every measurement, per repetition, for the JSON file. */
  readonly raw: unknown;
}

/** The first `count` hosts of the fleet, in the form a worker needs. */
export function workerFleet(fleet: BenchFleet, count: number): WorkerFleet {
  if (count > fleet.hosts.length) throw new Error(`need ${count} hosts, the fleet has ${fleet.hosts.length}`);
  return {
    hosts: fleet.hosts.slice(0, count),
    user: fleet.user,
    keyPath: fleet.keyPath,
    knownHostsPath: fleet.knownHostsPath,
  };
}
