import { StringDecoder } from 'node:string_decoder';
import type { Stream } from '../contract/transport.js';

/**
 * Longest line kept whole, in UTF-16 units; a longer line is emitted in pieces of this length (one
 * less where the cut would split an emoji), so memory stays bounded.
 */
export const MAX_LINE_CHARS = 16 * 1024;

/**
 * Where to cut `text` so the first piece holds at most MAX_LINE_CHARS UTF-16 units and ends on a
 * code-point boundary: a character outside the BMP (an emoji) is never split into two halves that
 * would each show as U+FFFD.
 */
function cutAt(text: string): number {
  const last = text.charCodeAt(MAX_LINE_CHARS - 1);
  return last >= 0xd800 && last <= 0xdbff ? MAX_LINE_CHARS - 1 : MAX_LINE_CHARS;
}

/** Removes secret values from output text (the Redactor in src/pipeline/secrets.ts). */
export interface OutputRedactor {
  /** Length of the longest secret it replaces: a cut needs that much text after it to be safe. */
  readonly longest: number;
  text(value: string): string;
}

export interface LineSplitterOptions {
  /** Removes secrets before anything is emitted (and before a long line is cut). */
  readonly redactor?: OutputRedactor;
  /**
   * Sees each complete line first, unredacted; returning true keeps it out of the output (a line
   * the transport's own wrapper wrote for it).
   */
  readonly control?: (line: string) => boolean;
}

/**
 * Turns a byte stream into complete lines (UTF-8 safe across chunk borders). Holds at most one
 * partial line of MAX_LINE_CHARS (plus the longest secret), however much is written.
 *
 * With a redactor, secrets are replaced before anything is emitted, and before a long line is cut:
 * a cut is made only once the text after it is at least as long as the longest secret, so every
 * secret that could straddle the cut is whole when the redactor sees it. Nothing after the cut
 * (the reporters, the output tail, GitHub's log masker, which all see one piece at a time) could
 * put the two halves of a secret back together.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #hold: number;
  readonly #redactor: OutputRedactor | undefined;
  readonly #control: ((line: string) => boolean) | undefined;
  #partial = '';

  constructor(
    private readonly stream: Stream,
    private readonly emit: (stream: Stream, line: string) => void,
    options: LineSplitterOptions = {},
  ) {
    this.#redactor = options.redactor;
    this.#control = options.control;
    this.#hold = this.#redactor ? Math.max(0, this.#redactor.longest - 1) : 0;
  }

  write(chunk: Buffer | string): void {
    const text = this.#partial + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      this.#emitLine(text.slice(start, nl));
      start = nl + 1;
    }
    let rest = text.slice(start);
    if (rest.length > MAX_LINE_CHARS + this.#hold) {
      // Redacted once here, then cut: every cut below leaves at least #hold characters after it.
      if (this.#redactor) rest = this.#redactor.text(rest);
      while (rest.length > MAX_LINE_CHARS + this.#hold) {
        const cut = cutAt(rest);
        this.emit(this.stream, rest.slice(0, cut));
        rest = rest.slice(cut);
      }
    }
    this.#partial = rest;
  }

  /** Emit what is left (a last line without newline). */
  end(): void {
    const rest = this.#partial + this.#decoder.end();
    this.#partial = '';
    if (rest.length > 0) this.#emitLine(rest);
  }

  #emitLine(line: string): void {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (this.#control?.(text)) return;
    let rest = this.#redactor ? this.#redactor.text(text) : text;
    // A complete line is cut where a partial one would have been, so the pieces do not depend
    // on how the stream happened to be chunked.
    while (rest.length > MAX_LINE_CHARS) {
      const cut = cutAt(rest);
      this.emit(this.stream, rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    this.emit(this.stream, rest);
  }
}
