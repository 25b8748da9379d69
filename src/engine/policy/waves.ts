/**
 * The waves a stage's jobs run in: the canary alone, then `batch` sizes (or one wave that only the
 * pool limits). Pure arithmetic, no I/O and no timing, so every rule is testable by value.
 */
import type { Amount, StageSettings } from '../model/stage.js';

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
export function waveSizes(settings: Pick<StageSettings, 'canary' | 'batch'>, jobCount: number): number[] {
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
