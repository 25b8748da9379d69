import type { EventListener } from './events.js';
import type { RunReport } from './report.js';
import type { Runner } from './runner.js';
import type { Transport } from '../transport/transport.js';

export interface ExecutorOptions {
  /** Executes subtasks; route `local:` hosts and controller commands inside it (see RoutingTransport). */
  transport: Transport;
  /** Cap on jobs per stage, the canary included. Default: no cap. */
  limit?: number;
  /** Only jobs whose host name is in this list run (controller jobs always run). Default: all. */
  hosts?: readonly string[];
  /** Aborting it cancels the run: no new job starts, running ones are aborted, results `cancelled`. */
  signal?: AbortSignal;
  /** Variables for every job (already merged: config < --var). */
  vars?: Readonly<Record<string, string>>;
  /** Release id (BW_RELEASE). Default: UTC timestamp `YYYYMMDDTHHMMSSZ`. */
  release?: string;
  /** Receives every engine event, synchronously, in order. */
  onEvent?: EventListener;
  /** Bytes of output kept per job for the report. Default 64 KiB. */
  outputTailBytes?: number;
}

/** Runs one runner. */
export class Executor {
  constructor(readonly options: ExecutorOptions) {}

  run(_runner: Runner): Promise<RunReport> {
    throw new Error('not implemented yet');
  }
}
