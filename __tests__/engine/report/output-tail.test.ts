import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OutputTail } from '../../../src/engine/report/output-tail.js';
import { REPO } from '../../support/cli.js';

/**
 * What a million pushed lines of ~100 bytes (~130 MB as strings) leave on the heap of a fresh node
 * after a full GC, in MB: a tail that keeps only its budget leaves next to nothing, one that keeps
 * the lines it dropped keeps them all. (The built module: GC needs --expose-gc, so its own process.)
 */
async function heapKeptMb(budget: number): Promise<number> {
  const code = `
    import { OutputTail } from ${JSON.stringify(join(REPO, 'lib/engine/report/output-tail.js'))};
    gc();
    const before = process.memoryUsage().heapUsed;
    const tail = new OutputTail(${budget});
    const pad = 'x'.repeat(90);
    for (let i = 0; i < 1_000_000; i++) tail.push(pad + i);
    gc();
    const after = process.memoryUsage().heapUsed;
    if (!tail.toString().endsWith(pad + 999999)) throw new Error('the last line is not kept');
    console.log((after - before) / 1e6);
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--input-type=module', '-e', code],
    { timeout: 60_000 },
  );
  return Number(stdout.trim());
}

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

  it('retains only its budget: a million lines of 100 bytes leave under 8 MB on the heap, not ~130 MB', async () => {
    expect(await heapKeptMb(64 * 1024)).toBeLessThan(8);
  }, 60_000);

  it('rejects a non-positive budget, quoting it', () => {
    expect(() => new OutputTail(0)).toThrow('outputTailBytes must be a positive integer, got 0');
  });
});
