/**
 * One release spread over several machines (a GitHub job matrix): which of a stage's selected jobs
 * this process runs. Pure, and the same on every machine that loads the same config with the same
 * hosts filter and limit, which is what lets the parts add up to the whole release.
 *
 * - The canary part runs each stage's canary, alone.
 * - Shard K of N runs, of each stage, the jobs of the hosts in block K, with no canary of its own:
 *   the canary part already ran it. A host's block is decided once for the run, so every stage of
 *   a shard acts on the same hosts (a host that failed in shard 1's Distribute is never switched
 *   by shard 2): the run's hosts (every host its stages name, in order, after the hosts filter and
 *   the limit: `JobSelection.runHosts`) are split into N contiguous blocks, the canaries included.
 *   A host the run's list does not name (a library runner that gives none) is placed among the
 *   stage's other such hosts, the same way.
 * - Controller jobs (a stage that names no hosts, or a `local` step's own job) run in every part:
 *   every part is its own machine, and a build stage whose output later stages ship must run on each.
 */
import type { Job } from '../model/job.js';
import { isControllerJob } from './job-selection.js';
import { partLabel, type RunPart } from '../report/run-part.js';
import { hasCanary } from './waves.js';

export interface StageSlice {
  /** The jobs this part runs, in stage order. */
  readonly jobs: Job[];
  /** The job that runs first and alone here, or null. */
  readonly canary: Job | null;
  /** In a shard: the stage's canary, which the canary part runs instead. */
  readonly canaryLeftOut: string | null;
  /** Why this part runs none of the stage's jobs although the stage has some. */
  readonly emptyBecause: string | null;
  /**
   * In a shard: the hosts of every shard of the stage (shard K's at index K-1), so a merge can name
   * the hosts of a shard whose report is missing.
   */
  readonly shards?: string[][];
}

/**
 * The part of a stage's selected jobs (after the hosts filter and the limit) that `part` runs.
 * Without a part, every job runs, the first as the canary when the stage has one.
 */
export function sliceStage(
  selected: readonly Job[],
  canaryOn: boolean,
  part?: RunPart,
  runHosts?: readonly string[],
): StageSlice {
  const first = selected[0];
  const canary = first && hasCanary({ canary: canaryOn }, selected.length) ? first : null;
  if (!part) return { jobs: [...selected], canary, canaryLeftOut: null, emptyBecause: null };
  const everywhere = (j: Job): boolean => isControllerJob(j);
  if (part.kind === 'canary') {
    // The canary stays a canary even alone here: its failure stops the run, whatever can-fail says.
    const jobs = selected.filter((j) => j === canary || everywhere(j));
    const why = canary || jobs.length > 0 ? null : 'it has no canary: all of its hosts run in the shards';
    return { jobs, canary, canaryLeftOut: null, emptyBecause: selected.length > 0 ? why : null };
  }
  const onHosts = selected.filter((j) => !everywhere(j));
  const shardOf = shardsOf(onHosts, part.count, runHosts);
  const spread = onHosts.filter((j) => j !== canary);
  const jobs = selected.filter((j) => everywhere(j) || (j !== canary && shardOf(j) === part.index));
  const why =
    jobs.length > 0 || selected.length === 0
      ? null
      : `${partLabel(part)} has none of its hosts (${spread.length} besides the canary, in ${part.count} shards)`;
  const leftOut = canary && !everywhere(canary) ? canary.host.name : null;
  const shards = Array.from({ length: part.count }, (_, k) =>
    spread.filter((j) => shardOf(j) === k + 1).map((j) => j.host.name),
  );
  return { jobs, canary: null, canaryLeftOut: leftOut, emptyBecause: why, shards };
}

/**
 * In the canary part, which runs before every shard: a stage whose canary an earlier stage left to
 * the shards (that stage had no canary, or another one) would give the canary this stage before
 * that one. Returns why such a stage must not run, or null; then notes which of this stage's hosts
 * it leaves to the shards (`leftToShards`: host → the first stage that left it), for the stages
 * after it.
 */
export function canaryAheadOfItsShard(
  stage: string,
  selected: readonly Job[],
  canary: Job | null,
  leftToShards: Map<string, string>,
): string | null {
  const earlier = canary && leftToShards.get(canary.host.name);
  if (canary && earlier) {
    const host = canary.host.name;
    return (
      `its canary ${host} runs in the canary part, but ${host}'s jobs of stage "${earlier}" run in ` +
      `a shard, after this part: ${host} would get "${stage}" before "${earlier}". Give "${earlier}" ` +
      `the same canary, or release in one part`
    );
  }
  for (const job of selected) {
    if (job !== canary && !isControllerJob(job) && !leftToShards.has(job.host.name))
      leftToShards.set(job.host.name, stage);
  }
  return null;
}

/**
 * The shard (1-based) of each of a stage's jobs on hosts: its host's block in `runHosts`, or, for a
 * host that list does not name, its block among the stage's hosts it does not name.
 */
function shardsOf(
  onHosts: readonly Job[],
  count: number,
  runHosts?: readonly string[],
): (job: Job) => number {
  const listed = new Map((runHosts ?? []).map((name, i) => [name, i]));
  const unlisted = new Map(onHosts.filter((j) => !listed.has(j.host.name)).map((j, i) => [j, i]));
  return (job) => {
    const at = listed.get(job.host.name);
    return at === undefined
      ? blockOf(unlisted.get(job) ?? -1, unlisted.size, count)
      : blockOf(at, listed.size, count);
  };
}

/** The block (1-based) that holds item `i` of `total` split as `shardBlock` splits them. */
export function blockOf(i: number, total: number, count: number): number {
  const base = Math.floor(total / count);
  const extra = total % count;
  const big = extra * (base + 1);
  return i < big ? Math.floor(i / (base + 1)) + 1 : extra + Math.floor((i - big) / base) + 1;
}

/**
 * Block `index` (1-based) of `total` items split into `count` contiguous blocks as `[from, to)`:
 * the first `total % count` blocks hold one item more than the others.
 */
export function shardBlock(total: number, index: number, count: number): [number, number] {
  const base = Math.floor(total / count);
  const extra = total % count;
  const from = (index - 1) * base + Math.min(index - 1, extra);
  return [from, from + base + (index <= extra ? 1 : 0)];
}
