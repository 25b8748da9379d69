/**
 * A compressed archive in members of two levels, for each codec this Node can make (gzip always,
 * zstd from Node 22.15: the suite's Node 24 pass runs both): every reader gets a stream that
 * unpacks to the plain tar; a reader whose host keeps up takes the fast members and costs no
 * small-level work; a reader whose host is behind (held) gets small-level members for what it has
 * not taken yet.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { GZIP, ZSTD, compressedCodec, type Encoder } from '../../../src/transport/upload/codec.js';
import {
  CompressedMembers,
  MEMBER_BYTES,
  type PlainArchive,
} from '../../../src/transport/upload/compressed-members.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'bw-members-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/**
 * Source-like text: words from a small vocabulary, deterministic, that the small level packs
 * smaller than the fast one. (xorshift32 in 32-bit integers: an LCG in doubles loses its low bits
 * and repeats after a few hundred words, which zstd, unlike gzip's 32 KiB window, sees whole.)
 */
function text(bytes: number): Buffer {
  const words = ['const', 'return', 'function', 'value', 'release', 'host', 'stage', '{', '}', ';', '\n'];
  let seed = 7;
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    const r = seed >>> 0;
    const w = `${words[r % words.length] as string}${r % 97} `;
    parts.push(w);
    size += w.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

/** A plain archive that is already complete on disk (or that failed). */
async function plainFile(
  name: string,
  data: Buffer,
  failure?: Error,
): Promise<PlainArchive & { retired: boolean }> {
  const path = join(work, name);
  await writeFile(path, data);
  const plain = {
    path,
    retired: false,
    available: (end: number) =>
      failure ? Promise.reject(failure) : Promise.resolve(Math.min(end, data.length)),
    retire: () => {
      plain.retired = true;
    },
  };
  return plain;
}

async function drain(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const SIZE = 5 * MEMBER_BYTES + 12_345;
const MEMBERS = 6;

/** What the host's `gzip -d` / `zstd -d` does with the concatenated members. */
function unpack(encoder: Encoder, data: Buffer): Buffer {
  if (encoder.codec === 'gzip') return zlib.gunzipSync(data);
  const decompress = (zlib as unknown as { zstdDecompressSync: (b: Buffer) => Buffer }).zstdDecompressSync;
  return decompress(data);
}

it('a compressed upload asks for zstd exactly when this Node can make it', () => {
  const canZstd = typeof (zlib as unknown as { zstdCompress?: unknown }).zstdCompress === 'function';
  expect(compressedCodec()).toBe(canZstd ? 'zstd' : 'gzip');
  expect(ZSTD === null).toBe(!canZstd);
});

describe.each([GZIP, ...(ZSTD ? [ZSTD] : [])])('$codec members', (encoder) => {
  const { fastLevel, smallLevel } = encoder;
  const make = async (name: string, data: Buffer, failure?: Error) =>
    new CompressedMembers(await plainFile(`${encoder.codec}-${name}`, data, failure), encoder, () => {});

  it('a reader that keeps up gets fast members only, and their concatenation unpacks to the tar', async () => {
    const data = text(SIZE);
    const members = await make('fast.tar', data);
    const levels: number[] = [];
    const out = await drain(members.reader((level) => levels.push(level)));
    expect(unpack(encoder, out).equals(data)).toBe(true);
    expect(levels).toEqual(Array<number>(MEMBERS).fill(fastLevel));
    members.retire();
    await members.settled;
  });

  it('a reader held back by its host gets small-level members for the rest: the same tar, fewer bytes', async () => {
    const data = text(SIZE);
    const members = await make('held.tar', data);
    const levels: number[] = [];
    const held = members.reader((level) => levels.push(level));
    held.read(0); // fills its buffer, and nobody reads it: its host is behind
    await members.settled; // the small-level encoder ran while it was held
    const out = await drain(held);
    expect(unpack(encoder, out).equals(data)).toBe(true);
    // The first member was under way at the fast level when it was held; every later one is small.
    expect(levels).toEqual([fastLevel, ...Array<number>(MEMBERS - 1).fill(smallLevel)]);
    // The same pieces, every one at the fast level: what a host that kept up got.
    let allFast = 0;
    for (let at = 0; at < data.length; at += MEMBER_BYTES) {
      allFast += (await encoder.compress(data.subarray(at, at + MEMBER_BYTES), fastLevel)).length;
    }
    expect(out.length).toBeLessThan(allFast * 0.99);
    members.retire();
  });

  it('before the first host is ready, the small level makes a start: the first reader finds those members', async () => {
    const data = text(SIZE);
    const members = await make('head-start.tar', data);
    await members.settled; // no reader yet: the small-level encoder had time for every piece (fewer than 16)
    const levels: number[] = [];
    const out = await drain(members.reader((level) => levels.push(level)));
    expect(unpack(encoder, out).equals(data)).toBe(true);
    expect(levels).toEqual(Array<number>(MEMBERS).fill(smallLevel));
    members.retire();
  });

  it('once every reader has read to the end, both encoders are done, without a retire', async () => {
    const data = text(SIZE);
    const members = await make('read-out.tar', data);
    const out = await drain(members.reader());
    expect(unpack(encoder, out).equals(data)).toBe(true);
    // Before, the small-level encoder kept waiting for a reader to be held, and this never settled.
    await members.settled;
    members.retire();
  });

  it('a packing failure reaches every reader as its error', async () => {
    const failure = new Error('upload source build/app.js changed while it was being uploaded');
    const members = await make('failed.tar', text(1000), failure);
    await expect(drain(members.reader())).rejects.toBe(failure);
    expect(members.failed).toBe(true);
  });

  it('once retired and read to the end, it removes its member files and retires the plain tar', async () => {
    const plain = await plainFile(`${encoder.codec}-retired.tar`, text(2 * MEMBER_BYTES));
    let onDrop = (): void => {};
    const dropped = new Promise<void>((resolve) => (onDrop = resolve));
    const members = new CompressedMembers(plain, encoder, onDrop);
    const reader = members.reader();
    members.retire(); // a reader still open: nothing goes yet
    expect(plain.retired).toBe(false);
    await drain(reader);
    await dropped;
    expect(plain.retired).toBe(true);
    const left = (await readdir(work)).filter((f) => f.startsWith(`${encoder.codec}-retired.tar.`));
    expect(left).toEqual([]);
    expect(existsSync(`${plain.path}.${fastLevel}.${encoder.suffix}`)).toBe(false);
  });
});
