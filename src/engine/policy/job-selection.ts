/** Which of a stage's jobs run: the hosts filter, then the limit. Pure, testable by value. */
import { CONTROLLER, type Host } from '../../contract/host.js';
import type { Job } from '../model/job.js';
import type { RunPart } from '../report/run-part.js';

export interface JobSelection {
  /** Host names of the hosts filter; controller jobs are always kept. */
  readonly hosts?: readonly string[] | undefined;
  /** Cap on jobs per stage, the canary included. */
  readonly limit?: number | undefined;
  /** The part of every stage this run is, when a release is spread over several machines. */
  readonly part?: RunPart | undefined;
  /**
   * In a shard: the run's hosts, in order, after the hosts filter and the limit (every host the
   * runner's stages name, when it says: `Runner` `hosts`), which decide each host's shard once for
   * every stage (policy/sharding.ts). Absent: each stage's own hosts decide.
   */
  readonly runHosts?: readonly string[] | undefined;
}

/** The run's hosts as a shard splits them: `hosts` without the controller, then the filter and the limit. */
export function runHostsOf(hosts: readonly Host[], selection: JobSelection): string[] {
  const wanted = selection.hosts ? new Set(selection.hosts) : null;
  const names = [...new Set(hosts.filter((h) => !isController(h)).map((h) => h.name))];
  const kept = wanted ? names.filter((n) => wanted.has(n)) : names;
  return selection.limit === undefined ? kept : kept.slice(0, selection.limit);
}

/** The jobs that will run, in order: the hosts filter first, then the limit. The rest are not reported. */
export function selectJobs(jobs: readonly Job[], selection: JobSelection): Job[] {
  const wanted = selection.hosts ? new Set(selection.hosts) : null;
  const kept = wanted ? jobs.filter((j) => isControllerJob(j) || wanted.has(j.host.name)) : [...jobs];
  return selection.limit === undefined ? kept : kept.slice(0, selection.limit);
}

/** A job on the controller itself (a stage that names no hosts): kept by every hosts filter. */
export function isControllerJob(job: Job): boolean {
  return isController(job.host);
}

function isController(host: Host): boolean {
  return host === CONTROLLER || (host.local && host.name === CONTROLLER.name);
}
