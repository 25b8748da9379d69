import { Readable } from 'node:stream';
import { coalesceChunks } from '../../../src/transport/upload/coalesce.js';

async function through(chunks: Buffer[], batch: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of Readable.from(chunks).pipe(coalesceChunks(batch))) out.push(c as Buffer);
  return out;
}

describe('coalesceChunks', () => {
  it('passes every byte in order, in batches of at least the batch size but the last', async () => {
    const chunks = Array.from({ length: 1000 }, (_, i) => Buffer.alloc(1 + (i % 700), i % 251));
    const out = await through(chunks, 4096);
    expect(Buffer.concat(out).equals(Buffer.concat(chunks))).toBe(true);
    expect(out.length).toBeLessThan(chunks.length / 5);
    for (const c of out.slice(0, -1)) expect(c.length).toBeGreaterThanOrEqual(4096);
  });

  it('passes a chunk larger than the batch as it is, and nothing for no input', async () => {
    const big = Buffer.alloc(10_000, 7);
    expect(await through([big], 4096)).toEqual([big]);
    expect(await through([], 4096)).toEqual([]);
  });
});
