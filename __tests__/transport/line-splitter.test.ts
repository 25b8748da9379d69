import { LineSplitter, MAX_LINE_CHARS } from '../../src/transport/line-splitter.js';
import { REDACTED, Redactor } from '../../src/pipeline/secrets.js';

const TOKEN = 'tok_9f86d081884c7d659a2feaa0c55ad015';

/** A minified-JSON-like line of `length` characters with TOKEN starting at each of `offsets`. */
function lineWithTokens(length: number, offsets: readonly number[]): string {
  const filler = '{"id":1,"name":"item","tags":["a","b"],"ok":true},';
  let line = filler.repeat(Math.ceil(length / filler.length)).slice(0, length);
  for (const at of offsets) line = line.slice(0, at) + TOKEN + line.slice(at + TOKEN.length);
  return line;
}

/** Every piece of `secret` at least `min` characters long that shows in `text`. */
function fragmentsIn(text: string, secret: string, min = 8): string[] {
  const found = new Set<string>();
  for (let i = 0; i + min <= secret.length; i++) {
    const part = secret.slice(i, i + min);
    if (text.includes(part)) found.add(part);
  }
  return [...found];
}

function split(chunks: readonly string[], redactor?: Redactor): string[] {
  const lines: string[] = [];
  const s = new LineSplitter('stdout', (_st, l) => lines.push(l), redactor ? { redactor } : {});
  for (const c of chunks) s.write(Buffer.from(c));
  s.end();
  return lines;
}

function chunked(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

describe('LineSplitter', () => {
  it('joins chunks split mid-line and mid-character, drops CR', () => {
    const lines: string[] = [];
    const s = new LineSplitter('stdout', (_st, l) => lines.push(l));
    const euro = Buffer.from('€');
    s.write(Buffer.concat([Buffer.from('a\r\nb'), euro.subarray(0, 1)]));
    s.write(Buffer.concat([euro.subarray(1), Buffer.from('c\nlast')]));
    s.end();
    expect(lines).toEqual(['a', 'b€c', 'last']);
  });

  it('bounds a line that never ends', () => {
    const lines: string[] = [];
    const s = new LineSplitter('stdout', (_st, l) => lines.push(l));
    for (let i = 0; i < 100; i++) s.write('x'.repeat(10_000));
    expect(lines.length).toBeGreaterThan(50);
    expect(Math.max(...lines.map((l) => l.length))).toBe(MAX_LINE_CHARS);
  });

  it('cuts a long line at a code-point boundary: an emoji at the cut stays whole', () => {
    const line = `${'x'.repeat(MAX_LINE_CHARS - 1)}😀${'y'.repeat(10)}`;
    // Once as a complete line, once as a line that never ends (the partial-line path).
    for (const pieces of [split([`${line}\n`]), split([line, 'z'.repeat(MAX_LINE_CHARS)])]) {
      expect(pieces.join('')).not.toContain('\ufffd');
      expect(pieces[0]).toBe('x'.repeat(MAX_LINE_CHARS - 1));
      expect(pieces[1]?.startsWith('😀y')).toBe(true);
      for (const p of pieces) expect(p.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
    }
  });

  // Offsets straddling the first and the second cut, and clear of both.
  const offsets = [40, MAX_LINE_CHARS - 14, 2 * MAX_LINE_CHARS - 24, 39_000];
  const line = lineWithTokens(40_000, offsets);

  it('without a redactor cuts a long line at the limit, so a secret can be cut in two', () => {
    const pieces = split([line]);
    expect(pieces.map((p) => p.length)).toEqual([
      MAX_LINE_CHARS,
      MAX_LINE_CHARS,
      40_000 - 2 * MAX_LINE_CHARS,
    ]);
    expect(pieces.join('')).toBe(line);
  });

  it.each([
    ['in one chunk', 40_000],
    ['in 1000-byte chunks', 1000],
    ['in 7-byte chunks', 7],
    ['in chunks that end inside the token', MAX_LINE_CHARS - 5],
  ])('with a redactor no piece of a long line holds a secret or a part of one: %s', (_how, size) => {
    const pieces = split([...chunked(line, size), '\nnext line\n'], new Redactor([TOKEN]));
    expect(pieces.slice(-1)).toEqual(['next line']);
    const long = pieces.slice(0, -1);
    for (const piece of long) {
      expect(piece.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
      expect(fragmentsIn(piece, TOKEN)).toEqual([]);
    }
    // Nothing else is lost or repeated: the pieces are the line with each secret replaced.
    expect(long.join('')).toBe(line.replaceAll(TOKEN, REDACTED));
    // Cut at the same places however the stream was chunked.
    const redactedLength = line.replaceAll(TOKEN, REDACTED).length;
    expect(long.map((p) => p.length)).toEqual([
      MAX_LINE_CHARS,
      MAX_LINE_CHARS,
      redactedLength - 2 * MAX_LINE_CHARS,
    ]);
  });

  it.each([
    ['with a redactor', new Redactor([TOKEN])],
    ['without one', undefined],
  ])(
    'cuts a complete long line that arrives with its newline in one chunk, as a partial one (%s)',
    (_how, redactor) => {
      const expected = redactor ? line.replaceAll(TOKEN, REDACTED) : line;
      const pieces = split([`${line}\nnext\n`], redactor);
      expect(pieces).toEqual([
        expected.slice(0, MAX_LINE_CHARS),
        expected.slice(MAX_LINE_CHARS, 2 * MAX_LINE_CHARS),
        expected.slice(2 * MAX_LINE_CHARS),
        'next',
      ]);
    },
  );

  it('redacts complete lines too, and a secret split across chunks of one line', () => {
    const lines = split(
      [`a ${TOKEN.slice(0, 10)}`, `${TOKEN.slice(10)} b\nc ${TOKEN}`],
      new Redactor([TOKEN]),
    );
    expect(lines).toEqual([`a ${REDACTED} b`, `c ${REDACTED}`]);
  });
});

describe('Redactor', () => {
  it('knows the length of its longest single-line secret', () => {
    expect(new Redactor([]).longest).toBe(0);
    expect(new Redactor(['abc', 'abcdefgh', 'line one\nline two!']).longest).toBe('line two!'.length);
  });
});
