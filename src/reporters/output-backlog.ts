/**
 * Host output is written to the log as it arrives, and a log is a pipe: when a host prints faster
 * than the reader of that pipe (GitHub's runner, a terminal, `| less`) takes it, Node buffers the
 * rest in memory without limit. A host printing 100 MB without pause would take the controller's
 * memory with it. So while more than BACKLOG_BYTES wait to be written, host output lines are
 * counted instead of written, and once the log has caught up a line says how many were left out
 * (the job's output tail, in the summary and the report, is kept either way).
 */

/** Bytes waiting in the log's pipe above which host output is left out. */
export const BACKLOG_BYTES = 8 * 1024 * 1024;

export class OutputBacklog {
  readonly #skipped = new Map<string, number>();

  /** `pending`: bytes waiting to be written (undefined: unknown, never skip). */
  constructor(private readonly pending: () => number | undefined) {}

  /** Whether this output line of `host` is to be left out (and counted). */
  skip(host: string): boolean {
    if ((this.pending() ?? 0) <= BACKLOG_BYTES) return false;
    this.#skipped.set(host, (this.#skipped.get(host) ?? 0) + 1);
    return true;
  }

  /** Hosts with lines left out since the last call, and how many: each reported once. */
  take(host?: string): [string, number][] {
    const hosts = host === undefined ? [...this.#skipped.keys()] : [host];
    const out: [string, number][] = [];
    for (const h of hosts) {
      const n = this.#skipped.get(h);
      if (n === undefined) continue;
      this.#skipped.delete(h);
      out.push([h, n]);
    }
    return out;
  }
}

export function backlogNote(lines: number): string {
  return `… ${lines} output ${lines === 1 ? 'line' : 'lines'} left out: the log could not keep up (the last ones are in the summary and the report)`;
}
