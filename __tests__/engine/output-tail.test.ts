import { OutputTail } from '../../src/engine/output-tail.js';

describe('OutputTail', () => {
  it('keeps the last lines within the byte budget', () => {
    const tail = new OutputTail(10);
    for (const l of ['aaaa', 'bbbb', 'cccc']) tail.push(l);
    expect(tail.toString()).toBe('bbbb\ncccc');
  });

  it('cuts a line longer than the budget to its end, on a character boundary', () => {
    const tail = new OutputTail(8);
    tail.push('start-ééé-end');
    const text = tail.toString();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(8);
    expect(text.endsWith('-end')).toBe(true);
    expect(text).not.toContain('\uFFFD');
  });

  it('stays bounded over a million lines', () => {
    const tail = new OutputTail(1024);
    for (let i = 0; i < 1_000_000; i++) tail.push(String(i));
    const text = tail.toString();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024);
    expect(text.endsWith('999999')).toBe(true);
  });

  it('rejects a non-positive budget, quoting it', () => {
    expect(() => new OutputTail(0)).toThrow('outputTailBytes must be a positive integer, got 0');
  });
});
