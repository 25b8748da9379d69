/**
 * What the engine asks of a transport, and what it gets back: the one interface between scheduling
 * (src/engine/) and running commands (src/transport/). Both import it; neither imports the other.
 */
import type { Readable } from 'node:stream';
import type { Host } from './host.js';

export type Stream = 'stdout' | 'stderr';

/**
 * Default shell for `run` / `local` steps. It gets the script as the file /dev/fd/4 (over
 * SSH it reads it inline, with the same behaviour: see docs/ssh.md); stdin is /dev/null.
 */
export const DEFAULT_SHELL: readonly string[] = Object.freeze([
  'bash',
  '--noprofile',
  '--norc',
  '-eo',
  'pipefail',
]);

/** A variable name: what `ExecRequest.env` keys, `vars:` keys and `${NAME}` references must match. */
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ExecRequest {
  /**
   * Script, run as `shell… /dev/fd/4` with stdin at /dev/null (a command reading stdin gets EOF); a
   * transport may run the default shell's script inline when that behaves the same (SSH does).
   */
  readonly script: string;
  /** Shell argv. */
  readonly shell: readonly string[];
  /** Variables: delivered as environment (local) or quoted `export` statements (ssh), never interpolated. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * What the command does, in a line, for a built-in command whose script is long and the same
   * every time (the `release:` steps): a dry run shows this instead of the script.
   */
  readonly summary?: string;
  /**
   * The script's standard input instead of /dev/null (uploads stream their archive this way); its
   * end is the end of input. On abort the transport stops reading it, ends the input and terminates
   * the command's process group as for any command.
   */
  readonly stdin?: Readable;
}

export interface ExecResult {
  /** Exit status; null when the command died of a signal or the session ended without status. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly durationMs: number;
}

export interface UploadRequest {
  readonly from: string;
  readonly to: string;
  /**
   * A directory on the host (normally the previous release): files whose content and mode equal
   * those of the same relative path there are hard-linked from it instead of sent.
   */
  readonly linkFrom?: string;
  /**
   * Compress the archive (zstd where both sides have it, else gzip): `auto` (the default) when a sample of the tree shrinks by 10 % or more,
   * `true`/`false` always/never. See docs/ssh.md, "Uploads".
   */
  readonly compress?: boolean | 'auto';
  /**
   * Uploads of the same `from` with the same token read the source once and share one archive
   * (the engine gives every stage its own token). Without one, every upload reads the source again.
   */
  readonly snapshot?: string;
}

export interface UploadResult {
  /** Regular files the upload placed at `to`, sent or linked. */
  readonly files: number;
  /** Their total size. */
  readonly bytes: number;
  /** Bytes that crossed to the host: the archive as sent (compressed when it was). Absent: `bytes`. */
  readonly bytesSent?: number;
  /** Files hard-linked from `linkFrom` on the host instead of sent. Absent: 0. */
  readonly filesLinked?: number;
  /** How the files travelled: `tar` (one exec channel), `sftp` (the fallback), `copy` (this machine). */
  readonly method?: 'tar' | 'sftp' | 'copy';
  /**
   * Whether the files travelled compressed, with what and why: `raw: a 1.0 MB sample shrank 0.3 %`,
   * `zstd: compress: true, level 9 for 2 of 20 MiB`, `raw: no gzip on the host`, `raw: over SFTP`.
   */
  readonly compression?: string;
  readonly durationMs: number;
}

export interface TransportCallContext {
  /**
   * Aborted on timeout or cancellation. The transport must terminate what it started (the remote
   * or local process tree) and reject with `signal.reason`.
   */
  readonly signal: AbortSignal;
  /** Called once per complete output line (without the trailing newline), as it arrives. */
  readonly onOutput: (stream: Stream, line: string) => void;
}

/**
 * Executes commands and uploads on hosts. Implementations: local (bash), ssh (pooled connections),
 * dry-run (records the plan). A non-zero exit is a normal result, not a rejection; a rejection is a
 * failure of the transport itself (connect, auth, host key, connection lost, timeout, cancel) and
 * should be one of the error classes in `errors.ts` beside this file.
 */
export interface Transport {
  exec(host: Host, req: ExecRequest, ctx: TransportCallContext): Promise<ExecResult>;
  upload(host: Host, req: UploadRequest, ctx: TransportCallContext): Promise<UploadResult>;
  /**
   * A hint, called when a stage starts: these hosts (in the order their jobs will start, the canary
   * first) are about to be used. A transport may open their connections ahead — while the canary
   * runs — but must run nothing on them, must not throw, and must keep every failure to itself: a
   * host it could not reach is tried again, and reported, when a step really uses it.
   */
  connectAhead?(hosts: readonly Host[], signal: AbortSignal): void;
  /** Close every connection and timer; after this the process can exit on its own. */
  close(): Promise<void>;
}
