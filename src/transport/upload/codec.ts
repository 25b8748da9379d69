/**
 * How an upload's archive travels: the plain tar, or compressed as a series of frames (members)
 * that the host's `gzip -d` or `zstd -d` reads as one stream. zstd packs ~3x faster than gzip at a
 * slightly better ratio and unpacks ~3x faster, so a compressed upload asks for it whenever this
 * Node can make it (`zlib.zstdCompress`: Node 22.15 and later, so the action's node24); the host
 * script falls back to gzip when the host has no `zstd` (and says `no-zstd`).
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

export type Codec = 'none' | 'gzip' | 'zstd';
export type CompressedCodec = Exclude<Codec, 'none'>;

/** One compressed codec: its levels (see compressed-members.ts) and how to make one frame. */
export interface Encoder {
  readonly codec: CompressedCodec;
  /** The level every piece is made at: fast enough for a fast link. */
  readonly fastLevel: number;
  /** The level made for hosts whose link holds them back: smaller, slower to make. */
  readonly smallLevel: number;
  compress(data: Buffer, level: number): Promise<Buffer>;
  /** The suffix of its temp files. */
  readonly suffix: string;
}

const gzip = promisify(zlib.gzip) as (data: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>;

export const GZIP: Encoder = {
  codec: 'gzip',
  // Level 3, not 1: ~10 % fewer bytes for ~1.5x the work; probe runs of the network lab's upload,
  // in bench/, were faster with it at both 100 Mbit/s and 1 Gbit/s.
  fastLevel: 3,
  smallLevel: 6,
  compress: (data, level) => gzip(data, { level }),
  suffix: 'gz',
};

type ZstdCompress = (
  data: Buffer,
  options: { params: Record<number, number> },
  callback: (err: Error | null, out: Buffer) => void,
) => void;
const zstdCompress = (zlib as unknown as { zstdCompress?: ZstdCompress }).zstdCompress;
const ZSTD_LEVEL = (zlib.constants as unknown as Record<string, number | undefined>).ZSTD_c_compressionLevel;
const ZSTD_CHECKSUM = (zlib.constants as unknown as Record<string, number | undefined>).ZSTD_c_checksumFlag;

/** zstd, when this Node has it; null on older ones (Node 20), whose uploads use gzip. */
export const ZSTD: Encoder | null =
  zstdCompress && ZSTD_LEVEL !== undefined && ZSTD_CHECKSUM !== undefined
    ? {
        codec: 'zstd',
        // Level 3 packs ~200 MB/s of source on one core here, smaller than gzip's level 3; level 9
        // ~40 MB/s, a few per cent smaller again (bench/README.md, "Network lab").
        fastLevel: 3,
        smallLevel: 9,
        // With a checksum per frame, as gzip has its CRC per member.
        compress: (data, level) =>
          new Promise((resolve, reject) =>
            zstdCompress(data, { params: { [ZSTD_LEVEL]: level, [ZSTD_CHECKSUM]: 1 } }, (err, out) =>
              err ? reject(err) : resolve(out),
            ),
          ),
        suffix: 'zst',
      }
    : null;

/** The codec a compressed upload asks the host for: zstd when this Node can make it. */
export function compressedCodec(): CompressedCodec {
  return ZSTD ? 'zstd' : 'gzip';
}

export function encoderOf(codec: CompressedCodec): Encoder {
  if (codec === 'zstd') {
    if (!ZSTD) throw new Error('zstd is not available in this Node.js');
    return ZSTD;
  }
  return GZIP;
}
