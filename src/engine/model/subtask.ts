/**
 * Subtasks (commands and uploads) are plain values a job yields, as are nested jobs (see `Subtask`
 * in job.ts); the engine executes them and sends the result back
 * into the generator. Building them does no I/O, so plans and dry runs are pure data.
 */
import { DEFAULT_SHELL, type ExecResult } from '../../contract/transport.js';

export interface ExecTask {
  readonly kind: 'exec';
  /** `host`: on the job's host (ssh or local bash); `controller`: on this machine. */
  readonly target: 'host' | 'controller';
  /** Script text, run by the shell as a file (/dev/fd/4, or inline for the default shell over SSH). Never interpolated with variables. */
  readonly script: string;
  /** Shell argv, e.g. `['bash','--noprofile','--norc','-eo','pipefail']`. */
  readonly shell: readonly string[];
  /** Extra environment for this command (merged over the job's env by the engine). */
  readonly env?: Readonly<Record<string, string>>;
  /** Short label for logs and dry-run (`run`, `local`, or a step name). */
  readonly label?: string;
  /** When true a non-zero exit is sent back as a result instead of thrown into the job. */
  readonly allowFailure?: boolean;
  /** One line a dry run shows instead of the script (see ExecRequest.summary). */
  readonly summary?: string;
  /**
   * The command prints a `bw-release: ACTION BEFORE AFTER` line (report/release-move.ts): the engine keeps
   * it out of the log and reports it as the job's `release`.
   */
  readonly reportsRelease?: boolean;
  /**
   * Hand the command's stdout back to the job (`CapturedResult`), at most `CAPTURE_MAX_BYTES`
   * (the lines are still shown): for a command whose answer the job reads. What a host prints is
   * data: parse it with a schema.
   */
  readonly capture?: boolean;
  /** This command's own deadline, ms, inside the attempt's `timeout`: past it the step fails with a TimeoutError. */
  readonly timeoutMs?: number;
}

/** Captured stdout is cut after this many bytes (`CapturedResult.stdoutTruncated`). */
export const CAPTURE_MAX_BYTES = 64 * 1024;

/** What `yield` hands back for an ExecTask with `capture`. */
export interface CapturedResult extends ExecResult {
  /** The stdout lines, joined with `\n`: at most `CAPTURE_MAX_BYTES`, whole lines only. */
  readonly stdout: string;
  /** More was printed than was kept. */
  readonly stdoutTruncated: boolean;
}

export interface UploadTask {
  readonly kind: 'upload';
  /** Local path (file or directory). */
  readonly from: string;
  /** Remote path. A directory `from` is copied to `to` (created). */
  readonly to: string;
  /** A directory on the host whose unchanged files are hard-linked instead of sent (`link-from`). */
  readonly linkFrom?: string;
  /** Compress the archive on the way (zstd or gzip): `auto` (the default), `true`, `false` (see UploadRequest.compress). */
  readonly compress?: boolean | 'auto';
  readonly label?: string;
}

export interface ExecOptions {
  shell?: readonly string[];
  env?: Record<string, string>;
  label?: string;
  allowFailure?: boolean;
  summary?: string;
  reportsRelease?: boolean;
  capture?: boolean;
  timeoutMs?: number;
}

/** A command on the job's host. */
export function remote(script: string, opts: ExecOptions = {}): ExecTask {
  return { kind: 'exec', target: 'host', script, shell: opts.shell ?? DEFAULT_SHELL, ...rest(opts) };
}

/** A command on the controller (this machine), once per job. */
export function local(script: string, opts: ExecOptions = {}): ExecTask {
  return { kind: 'exec', target: 'controller', script, shell: opts.shell ?? DEFAULT_SHELL, ...rest(opts) };
}

export interface UploadOptions {
  /** Hard-link files unchanged since this directory on the host (normally the previous release). */
  linkFrom?: string;
  compress?: boolean | 'auto';
  label?: string;
}

/** Ships `from` (a file or directory on the controller) to `to` on the job's host. */
export function upload(from: string, to: string, opts: UploadOptions | string = {}): UploadTask {
  const o = typeof opts === 'string' ? { label: opts } : opts;
  return {
    kind: 'upload',
    from,
    to,
    ...(o.linkFrom ? { linkFrom: o.linkFrom } : {}),
    ...(o.compress !== undefined ? { compress: o.compress } : {}),
    ...(o.label ? { label: o.label } : {}),
  };
}

/** The options an ExecTask carries as they are, without the ones left unset or false. */
function rest(opts: ExecOptions): Omit<ExecOptions, 'shell'> {
  const out: Omit<ExecOptions, 'shell'> = {};
  if (opts.env) out.env = opts.env;
  if (opts.label) out.label = opts.label;
  if (opts.allowFailure) out.allowFailure = true;
  if (opts.summary) out.summary = opts.summary;
  if (opts.reportsRelease) out.reportsRelease = true;
  if (opts.capture) out.capture = true;
  if (opts.timeoutMs !== undefined) out.timeoutMs = opts.timeoutMs;
  return out;
}
