/**
 * A gzipped archive in members of two levels: every reader gets a gzip stream that unpacks to the
 * plain tar; a reader whose host keeps up takes the level-1 members and costs no level-6 work; a
 * reader whose host is behind (held) gets level-6 members for what it has not taken yet.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  FAST_LEVEL,
  GzipMembers,
  MEMBER_BYTES,
  SMALL_LEVEL,
  type PlainArchive,
} from '../../../src/transport/upload/gzip-members.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'bw-gzip-members-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** Source-like text: words from a small vocabulary, deterministic, that level 6 packs smaller than level 1. */
function text(bytes: number): Buffer {
  const words = ['const', 'return', 'function', 'value', 'release', 'host', 'stage', '{', '}', ';', '\n'];
  let seed = 7;
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const w = `${words[seed % words.length] as string}${seed % 97} `;
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

it('a reader that keeps up gets level-1 members only, and their concatenation gunzips to the tar', async () => {
  const data = text(SIZE);
  const members = new GzipMembers(await plainFile('fast.tar', data), () => {});
  const levels: number[] = [];
  const out = await drain(members.reader((level) => levels.push(level)));
  expect(gunzipSync(out).equals(data)).toBe(true);
  expect(levels).toEqual(Array<number>(MEMBERS).fill(FAST_LEVEL));
  members.retire();
  await members.settled;
});

it('a reader held back by its host gets level-6 members for the rest: the same tar, fewer bytes', async () => {
  const data = text(SIZE);
  const members = new GzipMembers(await plainFile('held.tar', data), () => {});
  const levels: number[] = [];
  const held = members.reader((level) => levels.push(level));
  held.read(0); // fills its buffer, and nobody reads it: its host is behind
  await members.settled; // the level-6 encoder ran while it was held
  const out = await drain(held);
  expect(gunzipSync(out).equals(data)).toBe(true);
  // The first member was under way at level 1 when it was held; every later one is level 6.
  expect(levels).toEqual([FAST_LEVEL, ...Array<number>(MEMBERS - 1).fill(SMALL_LEVEL)]);
  // The same pieces, every one at the fast level: what a host that kept up got.
  let allFast = 0;
  for (let at = 0; at < data.length; at += MEMBER_BYTES) {
    allFast += gzipSync(data.subarray(at, at + MEMBER_BYTES), { level: FAST_LEVEL }).length;
  }
  expect(out.length).toBeLessThan(allFast * 0.97);
  members.retire();
});

it('before the first host is ready, level 6 makes a start: the first reader finds those members', async () => {
  const data = text(SIZE);
  const members = new GzipMembers(await plainFile('head-start.tar', data), () => {});
  await members.settled; // no reader yet: the level-6 encoder had time for every piece (fewer than 16)
  const levels: number[] = [];
  const out = await drain(members.reader((level) => levels.push(level)));
  expect(gunzipSync(out).equals(data)).toBe(true);
  expect(levels).toEqual(Array<number>(MEMBERS).fill(SMALL_LEVEL));
  members.retire();
});

it('a packing failure reaches every reader as its error', async () => {
  const failure = new Error('upload source build/app.js changed while it was being uploaded');
  const members = new GzipMembers(await plainFile('failed.tar', text(1000), failure), () => {});
  await expect(drain(members.reader())).rejects.toBe(failure);
  expect(members.failed).toBe(true);
});

it('once retired and read to the end, it removes its member files and retires the plain tar', async () => {
  const plain = await plainFile('retired.tar', text(2 * MEMBER_BYTES));
  let onDrop = (): void => {};
  const dropped = new Promise<void>((resolve) => (onDrop = resolve));
  const members = new GzipMembers(plain, onDrop);
  const reader = members.reader();
  members.retire(); // a reader still open: nothing goes yet
  expect(plain.retired).toBe(false);
  await drain(reader);
  await dropped;
  expect(plain.retired).toBe(true);
  const left = (await readdir(work)).filter((f) => f.startsWith('retired.tar.'));
  expect(left).toEqual([]);
  expect(existsSync(`${plain.path}.${FAST_LEVEL}.gz`)).toBe(false);
});
