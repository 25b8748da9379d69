/**
 * Whether an upload's archive is compressed (with zstd or gzip: codec.ts). `compress: auto` (the
 * default) deflates a sample of the tree's contents — a few MB in slices spread evenly over all its
 * bytes, so one big file or the first few files cannot decide alone — and compresses only when the
 * sample shrank by at least MIN_SHRINK. Already-compressed artefacts (images, jars, archives) then
 * go raw, so neither side burns a core on data that does not get smaller; text goes compressed,
 * which pays on any link slower than the host unpacks it. `true` and `false` force the choice. See
 * docs/ssh.md, "Uploads".
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { deflateRaw } from 'node:zlib';
import type { SourceTree, TreeEntry } from './source-tree.js';

/** What `upload.compress` may say. */
export type CompressSetting = boolean | 'auto';

/** Bytes of the tree's contents `auto` deflates (everything, when the tree holds less). */
export const SAMPLE_BYTES = 4 * 1024 * 1024;

/** How many slices the sample is made of (each SAMPLE_BYTES / SAMPLE_SLICES bytes). */
const SAMPLE_SLICES = 64;

/**
 * The slices are deflated in this many rounds, each a quarter of them spread over the whole tree
 * (slices k, k + ROUNDS, …). After a round, a shrink so far outside CLEAR_RAW…CLEAR_GZIP decides at
 * once: random bytes and source code are clear after 1 MiB, and deflating the other 3 MiB of random
 * bytes cost ~50 ms before every host's first byte. Only a tree near the threshold is sampled whole.
 */
const ROUNDS = 4;
const CLEAR_RAW = 0.03;
const CLEAR_GZIP = 0.3;

/** `auto` compresses when the sample shrank by at least this much. */
export const MIN_SHRINK = 0.1;

/** The level `auto` measures with: deflate's fastest (the archive is packed at two levels, compressed-members.ts). */
const SAMPLE_LEVEL = 1;

export interface CompressionChoice {
  readonly compress: boolean;
  /** Why, for the log and the report: `a 1.0 MB sample shrank 0.3 %`, `compress: false`. */
  readonly why: string;
}

/** The choice `true`/`false` force. */
export function forcedChoice(compress: boolean): CompressionChoice {
  return { compress, why: `compress: ${compress}` };
}

const deflate = promisify(deflateRaw);

/**
 * `auto`: deflates a sample of `tree` (level 1, a round's slices at once on the thread pool) and
 * decides from its ratio, as soon as the rounds so far make it clear. It is on the way to every
 * host's first byte, so it is kept short: for a source tree of small files ~30 ms, where reading
 * each file asynchronously and deflating the sample in one piece took ~90 ms.
 */
export async function sampledChoice(tree: SourceTree, signal: AbortSignal): Promise<CompressionChoice> {
  const sample = new Sample(tree);
  if (sample.ranges.length === 0) return { compress: false, why: 'no file content to sample' };
  let size = 0;
  let packed = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const slices = sample.ranges
      .filter((_, k) => k % ROUNDS === round)
      .map(([from, length]) => sample.read(from, length, signal));
    const deflated = await Promise.all(slices.map((slice) => deflate(slice, { level: SAMPLE_LEVEL })));
    size += slices.reduce((n, s) => n + s.length, 0);
    packed += deflated.reduce((n, p) => n + p.length, 0);
    const shrink = size === 0 ? 0 : 1 - packed / size;
    if (shrink < CLEAR_RAW || shrink > CLEAR_GZIP) break;
  }
  if (size === 0) return { compress: false, why: 'no file content to sample' };
  const shrink = 1 - packed / size;
  const how = shrink > 0 ? `shrank ${(shrink * 100).toFixed(1)} %` : 'did not shrink';
  return { compress: shrink >= MIN_SHRINK, why: `a ${formatSize(size)} sample ${how}` };
}

/**
 * Where the sample's slices lie: SAMPLE_SLICES ranges of the tree's file contents, centred on
 * evenly spaced offsets of their concatenation (files in archive order); a slice that reaches the
 * end of a file goes on into the next. A tree smaller than the sample is cut into slices whole. A
 * file that shrank or went since the tree was read gives what it still has: the sample only
 * advises. Read synchronously, as the packer reads small files (archive.ts): a few MB from the page
 * cache, where one trip to the thread pool per file would cost more than the reading.
 */
class Sample {
  readonly #files: readonly TreeEntry[];
  readonly #starts: number[] = [];
  /** [offset, length] of each slice in the concatenation. */
  readonly ranges: (readonly [number, number])[] = [];

  constructor(tree: SourceTree) {
    this.#files = tree.entries.filter((e) => e.type === 'file' && e.size > 0);
    let total = 0;
    for (const f of this.#files) {
      this.#starts.push(total);
      total += f.size;
    }
    const slice = SAMPLE_BYTES / SAMPLE_SLICES;
    if (total <= SAMPLE_BYTES) {
      for (let at = 0; at < total; at += slice) this.ranges.push([at, Math.min(slice, total - at)]);
      return;
    }
    for (let k = 0; k < SAMPLE_SLICES; k++) {
      const centre = Math.floor(((k + 0.5) * total) / SAMPLE_SLICES);
      this.ranges.push([Math.min(Math.max(0, centre - slice / 2), total - slice), slice]);
    }
  }

  read(from: number, length: number, signal: AbortSignal): Buffer {
    return readRange(this.#files, this.#starts, from, length, signal);
  }
}

/** `length` bytes of the files' concatenation from offset `from`. */
function readRange(
  files: readonly TreeEntry[],
  starts: readonly number[],
  from: number,
  length: number,
  signal: AbortSignal,
): Buffer {
  const out: Buffer[] = [];
  let i = fileAt(starts, from);
  let offset = from - (starts[i] ?? 0);
  let left = length;
  for (; left > 0 && i < files.length; i++, offset = 0) {
    signal.throwIfAborted();
    const file = files[i] as TreeEntry;
    const want = Math.min(left, file.size - offset);
    out.push(readPart(file.localPath, offset, want));
    left -= want;
  }
  return Buffer.concat(out);
}

/** `length` bytes of a file from `offset`; what it still has, or nothing when it is gone (the packing says why). */
function readPart(path: string, offset: number, length: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const buf = Buffer.allocUnsafe(length);
    const bytesRead = readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } catch {
    return Buffer.alloc(0);
  } finally {
    closeSync(fd);
  }
}

/** Index of the file holding byte `offset` of the concatenation (binary search over `starts`). */
function fileAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Decimal units as in the upload line: `4.2 MB`, `812 B`. */
function formatSize(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}
