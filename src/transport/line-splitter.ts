import { StringDecoder } from 'node:string_decoder';
import type { Stream } from '../engine/subtask.js';

/** Longest line kept whole; a longer run without newline is emitted in pieces so memory stays bounded. */
export const MAX_LINE_CHARS = 16 * 1024;

/**
 * Turns a byte stream into complete lines (UTF-8 safe across chunk borders). Holds at most one
 * partial line of MAX_LINE_CHARS, however much is written.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  #partial = '';

  constructor(
    private readonly stream: Stream,
    private readonly emit: (stream: Stream, line: string) => void,
  ) {}

  write(chunk: Buffer | string): void {
    const text = this.#partial + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      this.#emitLine(text.slice(start, nl));
      start = nl + 1;
    }
    let rest = text.slice(start);
    while (rest.length > MAX_LINE_CHARS) {
      this.emit(this.stream, rest.slice(0, MAX_LINE_CHARS));
      rest = rest.slice(MAX_LINE_CHARS);
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
    this.emit(this.stream, line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}
