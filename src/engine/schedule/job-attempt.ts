/**
 * Drives one attempt of a job: runs its generator, executes every subtask it yields through the
 * transport and sends the result back in; a failed subtask is thrown back in instead. Nested jobs
 * run inline with their own generator and host, sharing the attempt and its signal.
 */
import { CommandExitError, JobFailedError, TimeoutError, errorMessage } from '../../contract/errors.js';
import type { Transport, UploadRequest } from '../../contract/transport.js';
import { untilAborted } from '../../contract/abort.js';
import type { EventListener } from '../report/events.js';
import { CONTROLLER, type Host } from '../../contract/host.js';
import { isJob, type Job, type JobContext, type Subtask, type SubtaskResult } from '../model/job.js';
import { jobEnv } from '../model/job-env.js';
import { Ok, type Outcome } from '../model/result.js';
import type { ExecResult, Stream, UploadResult } from '../../contract/transport.js';
import { CAPTURE_MAX_BYTES, type CapturedResult, type ExecTask, type UploadTask } from '../model/subtask.js';
import { attemptSignal } from './run-signals.js';
import { addUpload, describeUpload, type UploadTotals } from '../report/upload-totals.js';
import { joinMoves, parseReleaseMove, type ReleaseMove } from '../report/release-move.js';

export interface AttemptScope {
  readonly transport: Transport;
  /** Aborted on timeout or cancellation of this attempt; its reason ends the attempt. */
  readonly signal: AbortSignal;
  readonly stage: string;
  readonly runner: string;
  readonly release: string;
  readonly attempt: number;
  readonly vars: Readonly<Record<string, string>>;
  /** BW_* names the engine adds to the job's own (see jobEnv). */
  readonly env?: Readonly<Record<string, string>>;
  readonly emit: EventListener;
  /** Every output line of the attempt, nested jobs included: feeds the top-level job's tail. */
  readonly onLine: (line: string) => void;
  /** Shared by the stage's uploads of the same source: it is read and packed once (see UploadRequest). */
  readonly uploadSnapshot?: string;
}

/** A thing the generator is resumed with: a value for `next`, or an error for `throw`. */
type Resume = { readonly value: SubtaskResult | undefined } | { readonly error: unknown };

export class JobAttempt {
  /** Exit code of the last command this attempt ran (null before any, or when it had none). */
  exitCode: number | null = null;
  /** What this attempt's uploads shipped, summed; null before any upload. */
  uploads: UploadTotals | null = null;
  /** The label of the step whose command or upload failed last (null once a later step starts). */
  failedStep: string | null = null;
  /** What this attempt's `reportsRelease` commands said they did to the live release; null before any. */
  release: ReleaseMove | null = null;
  #stepLabel: string | null = null;
  // A command on the controller may have changed what a later upload reads: that upload reads
  // its source afresh instead of sharing the stage's snapshot.
  #ranOnController = false;
  // After the attempt ended, a slow transport may still deliver lines; they belong to nobody.
  #open = true;

  constructor(private readonly scope: AttemptScope) {}

  /** Runs `job` to its Outcome; rejects with the attempt's failure (or the signal's reason). */
  async run(job: Job): Promise<Outcome> {
    try {
      return await this.#drive(job);
    } finally {
      this.#open = false;
    }
  }

  async #drive(job: Job): Promise<Outcome> {
    const { signal } = this.scope;
    signal.throwIfAborted();
    const body = job.run(this.#context(job.host));
    if (typeof body?.next !== 'function') {
      throw new TypeError(`${job.name}.run() must return an async generator (declare it \`async *run\`)`);
    }
    let resume: Resume = { value: undefined };
    try {
      for (;;) {
        // Promise.resolve: a plain `function*` from a JavaScript config works too.
        const step: IteratorResult<Subtask, Outcome | void> = await untilAborted(
          Promise.resolve(
            'error' in resume ? body.throw(resume.error) : body.next(resume.value as SubtaskResult),
          ),
          signal,
        );
        if (step.done) return toOutcome(step.value);
        try {
          resume = { value: await this.#execute(step.value, job.host) };
        } catch (error) {
          // An aborted attempt is over: the job gets no chance to swallow its own timeout.
          if (signal.aborted) throw signal.reason;
          this.failedStep = this.#stepLabel;
          resume = { error };
        }
      }
    } catch (error) {
      if (signal.aborted) {
        // Let `finally` blocks of the job run; anything they yield is ignored. The generator may
        // still be busy (that is why we stopped waiting), so this must not be awaited.
        Promise.resolve()
          .then(() => body.return(undefined))
          .catch(() => {});
        throw signal.reason;
      }
      throw error;
    }
  }

  #context(host: Host): JobContext {
    const { stage, runner, release, attempt, vars, signal, env } = this.scope;
    return {
      host,
      stage,
      runner,
      release,
      attempt,
      signal,
      env: jobEnv({ vars, host, stage, runner, release, attempt, ...(env ? { extra: env } : {}) }),
    };
  }

  #execute(task: Subtask, host: Host): Promise<SubtaskResult> {
    if (isJob(task)) return this.#nested(task, host);
    if (task?.kind === 'exec') return this.#exec(task, host);
    if (task?.kind === 'upload') return this.#upload(task, host);
    return Promise.reject(new TypeError(`a job yielded something that is not a subtask: ${describe(task)}`));
  }

  async #exec(task: ExecTask, host: Host): Promise<ExecResult | CapturedResult> {
    const { transport } = this.scope;
    const label = task.label ?? defaultLabel(task);
    this.#stepStart(host, label);
    // A label that is only the kind of step (a config's unnamed `run:`) names no step: its command does.
    if (label === 'run' || label === 'local') this.#stepLabel = defaultLabel(task);
    const env = { ...this.#context(host).env, ...task.env };
    const target = task.target === 'controller' ? CONTROLLER : host;
    if (task.target === 'controller') this.#ranOnController = true;
    // A host's answer that cannot be right stops the command at once: nothing more is read.
    const stop = new AbortController();
    const refuse = (why: string): void => {
      if (!stop.signal.aborted) stop.abort(new JobFailedError(`${label} on ${host.name}: ${why}`));
    };
    const capture = task.capture ? new StdoutCapture() : undefined;
    const consume = (line: string): boolean => {
      if (capture && !capture.add(line)) refuse(`printed more than ${CAPTURE_MAX_BYTES} bytes: stopped`);
      if (!task.reportsRelease) return false;
      const move = parseReleaseMove(line);
      if (move && 'problem' in move) refuse(move.problem);
      else if (move) this.release = joinMoves(this.release, move);
      return move !== null;
    };
    // The command's own deadline (`timeoutMs`), inside the attempt's: a host that goes silent
    // fails this step, not the whole run.
    const deadline = attemptSignal(this.scope.signal, task.timeoutMs);
    const signal = AbortSignal.any([deadline.signal, stop.signal]);
    try {
      const context = {
        ...this.#callContext(host, capture || task.reportsRelease ? consume : undefined),
        signal,
      };
      const call = transport.exec(
        target,
        { script: task.script, shell: task.shell, env, ...(task.summary ? { summary: task.summary } : {}) },
        context,
      );
      const result = await untilAborted(call, signal);
      this.exitCode = result.exitCode;
      if (result.exitCode !== 0 && !task.allowFailure) {
        throw new CommandExitError(describeExit(result), result.exitCode, result.signal);
      }
      if (stop.signal.aborted) throw stop.signal.reason;
      return capture ? { ...result, stdout: capture.text(), stdoutTruncated: capture.truncated } : result;
    } catch (error) {
      if (!this.scope.signal.aborted && signal.aborted && signal.reason instanceof TimeoutError) {
        throw new TimeoutError(`${label} on ${host.name} ${signal.reason.message} (its deadline)`);
      }
      throw error;
    } finally {
      deadline.dispose();
    }
  }

  async #upload(task: UploadTask, host: Host): Promise<UploadResult> {
    this.#stepStart(host, task.label ?? `upload ${task.from} → ${task.to}`);
    const snapshot = this.#ranOnController ? undefined : this.scope.uploadSnapshot;
    const req: UploadRequest = {
      from: task.from,
      to: task.to,
      ...(task.linkFrom ? { linkFrom: task.linkFrom } : {}),
      ...(task.compress !== undefined ? { compress: task.compress } : {}),
      ...(snapshot ? { snapshot } : {}),
    };
    const context = this.#callContext(host);
    const result = await untilAborted(this.scope.transport.upload(host, req, context), this.scope.signal);
    this.uploads = addUpload(this.uploads, result);
    context.onOutput('stdout', describeUpload(result));
    return result;
  }

  /** A yielded job: its Outcome is sent back; Err or an exception becomes a JobFailedError. */
  async #nested(job: Job, parentHost: Host): Promise<Outcome> {
    this.#stepStart(parentHost, `${job.name} on ${job.host.name}`);
    let outcome: Outcome;
    try {
      outcome = await this.#drive(job);
    } catch (error) {
      if (this.scope.signal.aborted) throw error;
      // `cause` keeps the original class, so an auth failure deep inside stays non-retryable.
      throw new JobFailedError(`${job.name} on ${job.host.name} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    if (outcome.kind === 'err')
      throw new JobFailedError(`${job.name} on ${job.host.name} failed: ${outcome.reason}`);
    return outcome;
  }

  #stepStart(host: Host, label: string): void {
    this.scope.signal.throwIfAborted();
    this.#stepLabel = label;
    this.failedStep = null;
    this.scope.emit({ type: 'step-start', stage: this.scope.stage, host: host.name, label });
  }

  #callContext(
    host: Host,
    consume?: (line: string) => boolean,
  ): { signal: AbortSignal; onOutput: (stream: Stream, line: string) => void } {
    return {
      signal: this.scope.signal,
      onOutput: (stream, line) => {
        if (!this.#open) return;
        // A `bw-release:` line is recorded, not shown; a captured line is still shown.
        if (consume && stream === 'stdout' && consume(line)) return;
        this.scope.onLine(line);
        this.scope.emit({ type: 'output', stage: this.scope.stage, host: host.name, stream, line });
      },
    };
  }
}

/** The stdout lines of one command, up to `CAPTURE_MAX_BYTES`: a flood costs no memory. */
class StdoutCapture {
  readonly #lines: string[] = [];
  #bytes = 0;
  truncated = false;

  /** Keeps `line`; false once the lines are over the limit (this one is not kept). */
  add(line: string): boolean {
    if (this.truncated) return false;
    const bytes = Buffer.byteLength(line) + 1;
    if (this.#bytes + bytes > CAPTURE_MAX_BYTES) {
      this.truncated = true;
      return false;
    }
    this.#bytes += bytes;
    this.#lines.push(line);
    return true;
  }

  text(): string {
    return this.#lines.join('\n');
  }
}

/** `exit code 3`, `killed by SIGTERM`, `ended without an exit status`. */
export function describeExit(result: Pick<ExecResult, 'exitCode' | 'signal'>): string {
  if (result.signal) return `killed by ${result.signal}`;
  if (result.exitCode === null) return 'ended without an exit status';
  return `exit code ${result.exitCode}`;
}

function toOutcome(value: Outcome | void): Outcome {
  if (value === undefined) return Ok();
  if (typeof value === 'object' && value !== null && ['ok', 'err', 'skip'].includes(value.kind)) return value;
  throw new TypeError(`a job must return Ok(), Err(reason), Skip(reason) or nothing, got ${describe(value)}`);
}

/** The first line of the script, shortened: what the log shows for a step without a label. */
function defaultLabel(task: ExecTask): string {
  const first = task.script.trim().split('\n', 1)[0] ?? '';
  const short = first.length > 80 ? `${first.slice(0, 79)}…` : first;
  return `${task.target === 'controller' ? 'local' : 'run'}: ${short}`;
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
