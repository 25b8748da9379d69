import type { EngineEvent } from '../engine/events.js';
import type { Tally } from './format.js';

/** Counts jobs of the current stage from events: what a progress line shows. */
export class StageProgress {
  #tally: Tally = { done: 0, failed: 0, running: 0, total: 0 };
  #running = new Set<string>();
  stage: string | null = null;

  get tally(): Tally {
    return { ...this.#tally, running: this.#running.size };
  }

  /** Returns true when the tally changed. */
  update(e: EngineEvent): boolean {
    switch (e.type) {
      case 'stage-start':
        this.stage = e.stage;
        this.#running.clear();
        this.#tally = { done: 0, failed: 0, running: 0, total: e.hosts.length };
        return true;
      case 'job-start':
        this.#running.add(e.host);
        return true;
      case 'job-end':
        this.#running.delete(e.job.host);
        this.#tally.done += 1;
        if (e.job.result === 'failure') this.#tally.failed += 1;
        return true;
      case 'stage-end':
        this.stage = null;
        this.#running.clear();
        return true;
      default:
        return false;
    }
  }
}
