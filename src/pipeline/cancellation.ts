import { CancelledError } from '../contract/errors.js';
import { DEFAULT_CANCEL_BUDGET_MS } from '../engine/schedule/executor.js';

/**
 * After a cancel, the stages on the way out (`when: cancelled | always`) run for at most this long,
 * counted from the signal; then the engine cancels them too.
 */
export const CANCEL_BUDGET_MS = DEFAULT_CANCEL_BUDGET_MS;

/**
 * Time the engine gets to return after a cancel, before we report without it: the budget of the
 * stages on the way out, and a second for the commands it cut short to stop. With GitHub's SIGINT
 * this keeps the whole action (report, summary and outputs written) well inside 5 s.
 */
export const CANCEL_GRACE_MS = CANCEL_BUDGET_MS + 1000;

/**
 * SIGINT/SIGTERM handling for the action and the CLI. GitHub sends SIGINT when a run is cancelled,
 * SIGTERM 7.5 s later, then kills; a user presses Ctrl-C, often twice. The first signal aborts the
 * release; the engine then has `graceMs` to return (its commands terminated), and a second signal
 * ends that wait at once. Either way the caller still reports: from the engine's report, or from
 * the events so far (see PartialReport).
 */
export class Cancellation {
  readonly #controller = new AbortController();
  readonly #graceMs: number;
  #hurry: (() => void) | undefined;
  readonly #hurried: Promise<void>;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  #abandoned = false;
  #cancelledAt: number | undefined;

  constructor(
    graceMs = CANCEL_GRACE_MS,
    private readonly onCancel: (message: string) => void = () => {},
  ) {
    this.#graceMs = graceMs;
    this.#hurried = new Promise((resolve) => (this.#hurry = resolve));
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /**
   * True when `race` gave up on the work (a cancelled run that did not stop within the grace
   * period): its commands and connections may still be open, so only a hard exit ends the process.
   */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  /**
   * Of `budgetMs` counted from the first signal, what is left (never below 0); Infinity when there
   * was no cancel. For the work after the run that must still fit the cancel's time limit.
   */
  timeLeft(budgetMs: number): number {
    if (this.#cancelledAt === undefined) return Infinity;
    return Math.max(0, this.#cancelledAt + budgetMs - performance.now());
  }

  /** Registers the signal handlers; returns their removal. */
  listen(): () => void {
    const handler = (name: NodeJS.Signals): void => this.cancel(`cancelled by ${name}`);
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  }

  cancel(message: string): void {
    if (this.#controller.signal.aborted) {
      this.#hurry?.();
      return;
    }
    this.#cancelledAt = performance.now();
    this.onCancel(message);
    this.#controller.abort(new CancelledError(message));
    // Not unref'd: when the engine hangs on a promise with nothing else pending, this timer is what
    // keeps the process alive to report (an empty event loop would end it with exit code 13).
    // `race` clears it.
    this.#graceTimer = setTimeout(() => this.#hurry?.(), this.#graceMs);
  }

  /**
   * Settles with `work`'s value, or with undefined when the run was cancelled and `work` has not
   * finished within the grace period (or a second signal came).
   */
  async race<T>(work: Promise<T>): Promise<T | undefined> {
    // When the grace period wins, a late rejection of `work` must not become an unhandled one.
    work.catch(() => undefined);
    try {
      return await Promise.race([
        work,
        this.#hurried.then(() => {
          this.#abandoned = true;
          return undefined;
        }),
      ]);
    } finally {
      if (this.#graceTimer !== undefined) clearTimeout(this.#graceTimer);
    }
  }
}
