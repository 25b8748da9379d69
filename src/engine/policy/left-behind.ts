/**
 * Hosts left behind: a host whose job failed in a stage on the success path that tolerated it
 * (within `max-failures`, a failed verify included) takes no part in the later stages on the
 * success path. Pure rules over a stage's slice of jobs; schedule/run-stages.ts keeps the list.
 */
import { CONTROLLER } from '../../contract/host.js';
import type { Job } from '../model/job.js';
import { isControllerJob } from './job-selection.js';
import { unfinishedJob, type JobReport, type LeftBehind, type StageReport } from '../report/report.js';
import type { RunPart } from '../report/run-part.js';
import type { StageSlice } from './sharding.js';
import { hasCanary } from './waves.js';

export type { LeftBehind };

/** `failed at stage "Distribute"`: the error of a left-behind host's job in a later stage. */
export function leftBehindError(stage: string): string {
  return `failed at stage "${stage}"`;
}

/**
 * The hosts a stage leaves behind, once it ran on the success path without stopping the run:
 * those whose job failed in it. Not for a `can-fail` stage (its failures are ignored, the hosts go
 * on) nor for the controller (it is no release target).
 */
export function hostsLeftBehind(report: StageReport): LeftBehind[] {
  return report.jobs
    .filter((j) => j.result === 'failure' && j.host !== CONTROLLER.name)
    .map((j) => ({ host: j.host, stage: report.name, error: j.error ?? 'failed' }));
}

export interface LeftOut {
  /** The slice without the left-behind hosts' jobs; the canary moves to the first job kept. */
  readonly slice: StageSlice;
  /** The jobs left out, in stage order, each with its `skipped` report. */
  readonly skipped: ReadonlyMap<Job, JobReport>;
}

/**
 * Takes the left-behind hosts' jobs out of a part's slice, after the hosts filter, the limit and
 * the shard's block: a host nobody selected never takes the place of one left behind.
 */
export function leaveBehind(
  slice: StageSlice,
  left: ReadonlyMap<string, LeftBehind> | undefined,
  canaryOn: boolean,
  part?: RunPart,
): LeftOut {
  const skipped = new Map<Job, JobReport>();
  if (!left || left.size === 0) return { slice, skipped };
  for (const job of slice.jobs) {
    const why = isControllerJob(job) ? undefined : left.get(job.host.name);
    if (why) skipped.set(job, unfinishedJob(job.host.name, 'skipped', leftBehindError(why.stage)));
  }
  if (skipped.size === 0) return { slice, skipped };
  const jobs = slice.jobs.filter((j) => !skipped.has(j));
  return { slice: { ...slice, jobs, canary: canaryOf(slice.canary, jobs, canaryOn, part) }, skipped };
}

/**
 * The canary once hosts were left out. A part keeps its own (the canary-only part loses it when it
 * was left behind); a whole stage makes its first job kept the canary, as sliceStage would have.
 */
function canaryOf(was: Job | null, jobs: readonly Job[], canaryOn: boolean, part?: RunPart): Job | null {
  if (part) return was && jobs.includes(was) ? was : null;
  const first = jobs[0];
  return first && hasCanary({ canary: canaryOn }, jobs.length) ? first : null;
}

/** The reports of the jobs that ran and of those left out, in stage order. */
export function inStageOrder(all: readonly Job[], ran: readonly JobReport[], out: LeftOut): JobReport[] {
  let next = 0;
  return all.map((job) => out.skipped.get(job) ?? (ran[next++] as JobReport));
}
