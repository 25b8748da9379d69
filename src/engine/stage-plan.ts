/**
 * Pure scheduling arithmetic for one stage: which jobs run, in which waves, with how many
 * failures allowed. No I/O and no timing, so every rule here is testable by value.
 */
import { CONTROLLER, type Host } from '../contract/host.js';
import type { Job } from './job.js';
import type { Amount, StageSettings } from './stage.js';

export interface JobSelection {
  /** Host names from `--hosts`; controller jobs are always kept. */
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

/**
 * Whether the stage has a canary. A canary gates the *other* jobs, so a stage of one job has none:
 * that job is simply the stage, and `can-fail` applies to it as to any other failure.
 */
export function hasCanary(settings: Pick<StageSettings, 'canary'>, jobCount: number): boolean {
  return settings.canary && jobCount > 1;
}

/** A count, or a share of `total` rounded up; never below 1. */
export function waveSize(amount: Amount, total: number): number {
  const n = typeof amount === 'number' ? amount : Math.ceil((amount.percent * total) / 100);
  return Math.max(1, n);
}

/**
 * Sizes of the waves the stage's jobs run in, summing to `jobCount`. The canary is a wave of one;
 * `batch` sizes follow (the last one repeats); without `batch` the remaining jobs are one wave and
 * only the pool limits them.
 */
export function planWaves(settings: Pick<StageSettings, 'canary' | 'batch'>, jobCount: number): number[] {
  const waves: number[] = [];
  let left = jobCount;
  if (hasCanary(settings, jobCount)) {
    waves.push(1);
    left -= 1;
  }
  if (settings.batch.length === 0) {
    if (left > 0) waves.push(left);
    return waves;
  }
  for (let i = 0; left > 0; i++) {
    const amount = settings.batch[Math.min(i, settings.batch.length - 1)] as Amount;
    const size = Math.min(left, waveSize(amount, jobCount));
    waves.push(size);
    left -= size;
  }
  return waves;
}

/** Failures the stage tolerates: a count, or a share of its jobs rounded down. */
export function failureAllowance(maxFailures: Amount, jobCount: number): number {
  return typeof maxFailures === 'number' ? maxFailures : Math.floor((maxFailures.percent * jobCount) / 100);
}

/** `2`, `25%`: how an Amount reads in the config, for messages. */
export function formatAmount(amount: Amount): string {
  return typeof amount === 'number' ? String(amount) : `${amount.percent}%`;
}
