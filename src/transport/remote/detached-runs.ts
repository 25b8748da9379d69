import type { ExecChannel } from './exec.js';

/**
 * Commands a connection runs for the transport's own sake (ending a timed-out step's process
 * group), each on a channel of its own: nothing waits for them and their output is dropped, but the
 * connection lets them finish (within its close wait) before it ends, so a release that ends right
 * after still delivers them.
 */
export class DetachedRuns {
  readonly #runs = new Set<Promise<void>>();

  /** Opens a channel with `open` and lets the command on it run to its end. */
  start(open: () => Promise<ExecChannel>): void {
    const run = open().then(
      (channel) =>
        new Promise<void>((resolve) => {
          channel.on('error', () => {});
          channel.once('close', () => resolve());
          channel.resume();
          channel.stderr.resume();
          channel.end();
        }),
      () => {
        // The connection is gone: nothing can reach the host any more.
      },
    );
    this.#runs.add(run);
    void run.finally(() => this.#runs.delete(run));
  }

  /** The runs still going. */
  get pending(): Promise<void>[] {
    return [...this.#runs];
  }
}
