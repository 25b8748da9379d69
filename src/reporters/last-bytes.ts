import { utf8Bytes } from './github-escape.js';

/** The last `max` bytes of `text`, cut at a line start. */
export function lastBytes(text: string, max: number): { text: string; linesLeftOut: number } {
  if (utf8Bytes(text) <= max) return { text, linesLeftOut: 0 };
  const lines = text.split('\n');
  let size = 0;
  let first = lines.length;
  while (first > 0) {
    const next = utf8Bytes(lines[first - 1] ?? '') + (first < lines.length ? 1 : 0);
    if (size + next > max) break;
    size += next;
    first -= 1;
  }
  if (first === lines.length) {
    // One line longer than the whole budget: keep its end (a character cut in half is dropped).
    const last = Buffer.from(lines[lines.length - 1] ?? '', 'utf8');
    const end = last
      .subarray(Math.max(0, last.length - (max - 3)))
      .toString('utf8')
      .replace(/^\uFFFD+/, '');
    return { text: `…${end}`, linesLeftOut: lines.length - 1 };
  }
  return { text: lines.slice(first).join('\n'), linesLeftOut: first };
}
