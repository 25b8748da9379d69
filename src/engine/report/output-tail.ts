/**
 * The last lines a job printed, capped at a byte budget. Output is streamed to events as it
 * arrives; this tail is all the engine keeps, so memory per job stays bounded however much a
 * command prints.
 */
export const DEFAULT_OUTPUT_TAIL_BYTES = 64 * 1024;

export class OutputTail {
  // Lines live in `#lines[#head..]`; dropping from the front only moves `#head`, and the array is
  // compacted once the dead prefix is as long as the live part, so appends stay amortised O(1).
  #lines: string[] = [];
  #head = 0;
  #bytes = 0;

  constructor(readonly maxBytes: number = DEFAULT_OUTPUT_TAIL_BYTES) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) {
      throw new TypeError(`outputTailBytes must be a positive integer, got ${String(maxBytes)}`);
    }
  }

  push(line: string): void {
    let text = line;
    // +1 for the newline that joins it to the next line.
    let size = Buffer.byteLength(text) + 1;
    if (size > this.maxBytes) {
      text = lastBytes(text, this.maxBytes - 1);
      size = Buffer.byteLength(text) + 1;
    }
    this.#lines.push(text);
    this.#bytes += size;
    while (this.#bytes > this.maxBytes && this.#head < this.#lines.length) {
      this.#bytes -= Buffer.byteLength(this.#lines[this.#head] as string) + 1;
      this.#head += 1;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#lines.length) {
      this.#lines = this.#lines.slice(this.#head);
      this.#head = 0;
    }
  }

  toString(): string {
    return this.#lines.slice(this.#head).join('\n');
  }
}

/** The end of `text` in at most `max` UTF-8 bytes, never starting inside a character. */
function lastBytes(text: string, max: number): string {
  const bytes = Buffer.from(text);
  let start = bytes.length - max;
  // Skip UTF-8 continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (start < bytes.length && ((bytes[start] as number) & 0xc0) === 0x80) start += 1;
  return bytes.subarray(start).toString();
}
