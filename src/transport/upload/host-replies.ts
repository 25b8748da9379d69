/**
 * What the upload's host script says back, read as data from a host that may lie: `no-tar` and
 * `no-gzip`, `no-zstd` (only when asked for zstd, before `ready`), `have N` (only for a line of the manifest it was sent, each once, before `ready`),
 * `ready` (once), `error: …` (kept short). Anything outside the protocol is a violation: it ends
 * the upload, which fails naming it. Nothing a host says grows the controller's memory beyond the
 * manifest's own size.
 */
import { PROTOCOL_PREFIX } from './host-script.js';

/**
 * How long a host may say nothing before `ready`: each of its lines starts this again. Once it says
 * it is linking (`linking from hashes`: hashing a large `link-from` tree takes minutes, in silence)
 * only `READY_WITHIN_MS` bounds it. Past either the upload fails (docs/ssh.md).
 */
export const REPLY_SILENCE_MS = 60_000;
/** However much it says, a host must say `ready` this long after the upload started. */
export const READY_WITHIN_MS = 30 * 60_000;

/** What the deadlines before `ready` are (tests make them short). */
export interface ReplyDeadlines {
  readonly silenceMs: number;
  readonly readyWithinMs: number;
}

/** stderr lines kept for the error message when the host's side fails. */
const ERROR_LINES = 12;
/** Characters kept of the host's own error line (`bw-upload: error: …`) and of each stderr line. */
const ERROR_CHARS = 1000;

export class UploadReplies {
  /** Manifest lines (1-based) the host already has. */
  readonly have = new Set<number>();
  /** `no-tar` / `no-gzip`: the host cannot unpack this way. */
  fallback: 'no-tar' | 'no-gzip' | null = null;
  /** `no-zstd`: asked for zstd, the host takes gzip instead. */
  noZstd = false;
  /** Aborted on a violation: the upload stops there. */
  readonly stop = new AbortController();
  #violation: string | undefined;
  #hostError: string | null = null;
  #ready = false;
  readonly #errors: string[] = [];
  #silence: ReturnType<typeof setTimeout> | undefined;
  #overall: ReturnType<typeof setTimeout> | undefined;

  /**
   * `manifestLines`: the line count of the manifest sent before the command started (null: no
   * `link-from`, so no `have` is expected); `onReady`: sends the archive.
   */
  constructor(
    private readonly manifestLines: number | null,
    /** Whether the upload asked the host for zstd: only then may it say `no-zstd`. */
    private readonly askedZstd: boolean,
    private readonly onReady: () => void,
    private readonly deadlines: ReplyDeadlines = {
      silenceMs: REPLY_SILENCE_MS,
      readyWithinMs: READY_WITHIN_MS,
    },
  ) {
    this.#heard();
    this.#overall = setTimeout(
      () =>
        this.#timeUp(`did not say "ready" within ${seconds(deadlines.readyWithinMs)} of the upload's start`),
      deadlines.readyWithinMs,
    );
  }

  /** Clears the deadlines: call once the command ended. */
  dispose(): void {
    clearTimeout(this.#silence);
    clearTimeout(this.#overall);
  }

  /** A line from the host before `ready`: the silence deadline starts again. */
  #heard(): void {
    clearTimeout(this.#silence);
    this.#silence = setTimeout(
      () => this.#timeUp(`said nothing for ${seconds(this.deadlines.silenceMs)} before "ready"`),
      this.deadlines.silenceMs,
    );
  }

  #timeUp(why: string): void {
    if (this.#ready || this.#violation) return;
    this.#violation = why;
    this.dispose();
    this.stop.abort();
  }

  /** What was outside the protocol, if anything. */
  get violation(): string | undefined {
    return this.#violation;
  }

  readonly onOutput = (stream: 'stdout' | 'stderr', line: string): void => {
    if (line.startsWith(`${PROTOCOL_PREFIX}error: `)) {
      this.#hostError = cut(line.slice(PROTOCOL_PREFIX.length + 'error: '.length));
      return;
    }
    if (stream === 'stderr') {
      this.#errors.push(cut(line));
      if (this.#errors.length > ERROR_LINES) this.#errors.shift();
      return;
    }
    if (!line.startsWith(PROTOCOL_PREFIX) || this.#violation) return;
    const msg = line.slice(PROTOCOL_PREFIX.length);
    // Hashing and hard-linking happen between this line and the first `have`: no line for minutes.
    if (msg.startsWith('linking from ')) clearTimeout(this.#silence);
    else if (!this.#ready) this.#heard();
    if (msg === 'no-tar' || msg === 'no-gzip') this.fallback = msg;
    else if (msg === 'no-zstd') this.#violation = this.#noZstd();
    else if (msg.startsWith('have ')) this.#violation = this.#have(msg);
    else if (msg === 'ready') {
      if (this.#ready) this.#violation = 'said "ready" twice';
      else this.onReady();
      this.#ready = true;
      this.dispose();
    }
    if (this.#violation) this.stop.abort();
  };

  /** Why the host's side failed: its own error line, else its last stderr lines, else the exit code. */
  failure(exitCode: number | null): string {
    return this.#hostError ?? (this.#errors.join('; ') || `exit code ${exitCode}`);
  }

  #noZstd(): string | undefined {
    if (!this.askedZstd) return 'answered "no-zstd" to an upload that did not ask for zstd';
    if (this.#ready || this.noZstd) return `answered "no-zstd" ${this.#ready ? 'after "ready"' : 'twice'}`;
    this.noZstd = true;
    return undefined;
  }

  #have(msg: string): string | undefined {
    const said = `answered "${cut(msg, 40)}"`;
    if (this.manifestLines === null) return `${said} to an upload without link-from`;
    if (this.#ready) return `${said} after "ready"`;
    const n = /^have [1-9]\d{0,9}$/.test(msg) ? Number(msg.slice(5)) : NaN;
    if (!(n <= this.manifestLines))
      return `${said}: the manifest it was sent has ${this.manifestLines} lines`;
    if (this.have.has(n)) return `${said} twice`;
    this.have.add(n);
    return undefined;
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function cut(text: string, max = ERROR_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
