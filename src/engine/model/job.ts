import type { Host } from '../../contract/host.js';
import type { Outcome } from './result.js';
import type { ExecResult, UploadResult } from '../../contract/transport.js';
import type { ExecTask, UploadTask } from './subtask.js';

/** What a job yields: a command, an upload, or a job to run inline on its host. */
export type Subtask = ExecTask | UploadTask | Job;

/** What `yield` hands back to a job: the subtask's result (a nested job hands back its Outcome). */
export type SubtaskResult = ExecResult | UploadResult | Outcome;

/** The job body: yields subtasks, receives their results, ends with an Outcome (or nothing = Ok). */
export type JobBody = AsyncGenerator<Subtask, Outcome | void, SubtaskResult>;

export interface JobContext {
  readonly host: Host;
  readonly stage: string;
  readonly runner: string;
  readonly release: string;
  /** 1-based attempt number. */
  readonly attempt: number;
  /**
   * Every var plus BW_HOST, BW_HOST_ADDRESS, BW_STAGE, BW_RUNNER, BW_RELEASE, BW_ATTEMPT, and the run
   * so far: BW_RESULT, BW_FAILED_STAGE, BW_FAILED_HOSTS (a gate's job also gets BW_WAVE, BW_WAVE_HOSTS).
   */
  readonly env: Readonly<Record<string, string>>;
  /** Aborted on timeout or cancellation of this attempt. */
  readonly signal: AbortSignal;
}

/**
 * A unit of work on one host, as in boerewors: subclass and implement `run` as an async generator.
 *
 * ```ts
 * class Fetch extends Job {
 *   async *run(ctx) {
 *     yield remote('curl -fsS "$URL" -o /tmp/app.tgz');
 *     const r = yield remote('test -s /tmp/app.tgz', { allowFailure: true });
 *     if ((r as ExecResult).exitCode !== 0) return Err('empty download');
 *     return Ok();
 *   }
 * }
 * ```
 * A failing subtask throws `CommandExitError` inside the generator (catch it to recover) unless it
 * was built with `allowFailure`. A yielded Job runs inline on the same host; its failure throws
 * `JobFailedError` into the parent. `retries` re-runs `run` from the start.
 */
export abstract class Job {
  constructor(
    readonly host: Host,
    /** Shown in dry-run plans; defaults to the class name. */
    readonly name: string = new.target.name,
  ) {}

  abstract run(ctx: JobContext): JobBody;

  /** Build a job from an async generator function, without a subclass. */
  static of(host: Host, body: (ctx: JobContext) => JobBody, name = 'job'): Job {
    return new (class extends Job {
      run(ctx: JobContext): JobBody {
        return body(ctx);
      }
    })(host, name);
  }
}

export function isJob(value: unknown): value is Job {
  return (
    value instanceof Job || (typeof value === 'object' && value !== null && 'run' in value && 'host' in value)
  );
}
