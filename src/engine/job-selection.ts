/** Which of a stage's jobs run: the hosts filter, then the limit. Pure, testable by value. */
import { CONTROLLER, type Host } from '../contract/host.js';
import type { Job } from './job.js';

export interface JobSelection {
  /** Host names of the hosts filter; controller jobs are always kept. */
  readonly hosts?: readonly string[] | undefined;
  /** Cap on jobs per stage, the canary included. */
  readonly limit?: number | undefined;
}

/** The jobs that will run, in order: the hosts filter first, then the limit. The rest are not reported. */
export function selectJobs(jobs: readonly Job[], selection: JobSelection): Job[] {
  const wanted = selection.hosts ? new Set(selection.hosts) : null;
  const kept = wanted ? jobs.filter((j) => isController(j.host) || wanted.has(j.host.name)) : [...jobs];
  return selection.limit === undefined ? kept : kept.slice(0, selection.limit);
}

function isController(host: Host): boolean {
  return host === CONTROLLER || (host.local && host.name === CONTROLLER.name);
}
