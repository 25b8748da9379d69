import type { EngineEvent } from '../engine/report/events.js';
import { progressStatus, type Tally } from './vocabulary.js';

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

/** What the console and GitHub log reporters take, besides where they write. */
export interface LogReporterOptions {
  /** The run uses the dry-run transport: the header and the final line say DRY RUN. Default false. */
  dryRun?: boolean;
  /** Without a live status line, a progress line is printed this often while a stage runs. Default 10 s. */
  progressIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * A log without a live status line (the GitHub log, piped output) prints the running stage's
 * progress every interval instead, so a stage whose commands print nothing still shows it is alive.
 */
export class ProgressTicker {
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #intervalMs: number;
  readonly #now: () => number;

  constructor(
    private readonly progress: StageProgress,
    private readonly print: (line: string) => void,
    options: Pick<LogReporterOptions, 'progressIntervalMs' | 'now'>,
  ) {
    this.#intervalMs = options.progressIntervalMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** (Re)starts the ticks; the elapsed time counts from now. */
  start(): void {
    this.stop();
    const startedAt = this.#now();
    this.#timer = setInterval(() => {
      if (this.progress.stage === null) return;
      this.print(progressStatus(this.progress.stage, this.progress.tally, this.#now() - startedAt));
    }, this.#intervalMs);
    // A progress line must never keep the process alive.
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
