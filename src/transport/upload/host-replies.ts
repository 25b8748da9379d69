/**
 * What the upload's host script says back, read as data from a host that may lie: `no-tar` and
 * `no-gzip`, `have N` (only for a line of the manifest it was sent, each once, before `ready`),
 * `ready` (once), `error: …` (kept short). Anything outside the protocol is a violation: it ends
 * the upload, which fails naming it. Nothing a host says grows the controller's memory beyond the
 * manifest's own size.
 */
import { PROTOCOL_PREFIX } from './host-script.js';

/** stderr lines kept for the error message when the host's side fails. */
const ERROR_LINES = 12;
/** Characters kept of the host's own error line (`bw-upload: error: …`) and of each stderr line. */
const ERROR_CHARS = 1000;

export class UploadReplies {
  /** Manifest lines (1-based) the host already has. */
  readonly have = new Set<number>();
  /** `no-tar` / `no-gzip`: the host cannot unpack this way. */
  fallback: 'no-tar' | 'no-gzip' | null = null;
  /** Aborted on a violation: the upload stops there. */
  readonly stop = new AbortController();
  #violation: string | undefined;
  #hostError: string | null = null;
  #ready = false;
  readonly #errors: string[] = [];

  /**
   * `manifestLines`: the line count of the manifest sent before the command started (null: no
   * `link-from`, so no `have` is expected); `onReady`: sends the archive.
   */
  constructor(
    private readonly manifestLines: number | null,
    private readonly onReady: () => void,
  ) {}

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
    if (msg === 'no-tar' || msg === 'no-gzip') this.fallback = msg;
    else if (msg.startsWith('have ')) this.#violation = this.#have(msg);
    else if (msg === 'ready') {
      if (this.#ready) this.#violation = 'said "ready" twice';
      else this.onReady();
      this.#ready = true;
    }
    if (this.#violation) this.stop.abort();
  };

  /** Why the host's side failed: its own error line, else its last stderr lines, else the exit code. */
  failure(exitCode: number | null): string {
    return this.#hostError ?? (this.#errors.join('; ') || `exit code ${exitCode}`);
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

function cut(text: string, max = ERROR_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
