/**
 * The resident memory of a whole process tree (a tool and every process it started), sampled from
 * Linux /proc: what a controller really holds when it forks one `ssh` per host. The kernel's own
 * peak (`ru_maxrss`) only knows the largest single process.
 */
import { readFileSync } from 'node:fs';

const PAGE = 4096;

/** Resident bytes of `root` and its descendants now (processes that end meanwhile are skipped). */
export function treeRssBytes(root: number): number {
  let total = 0;
  let frontier = [root];
  const seen = new Set<number>();
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const pid of frontier) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      try {
        const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
        total += Number(statm[1]) * PAGE;
        const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
        if (kids) next.push(...kids.split(' ').map(Number));
      } catch {
        // ended while we looked
      }
    }
    frontier = next;
  }
  return total;
}

/** Samples a tree's resident memory every `intervalMs` until stopped; keeps the peak. */
export class TreeRssSampler {
  #peak = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(root: number, intervalMs = 200) {
    const sample = (): void => {
      this.#peak = Math.max(this.#peak, treeRssBytes(root));
    };
    sample();
    this.#timer = setInterval(sample, intervalMs);
  }

  /** Peak in MB (10^6 bytes). */
  stop(): number {
    clearInterval(this.#timer);
    return this.#peak / 1e6;
  }
}
