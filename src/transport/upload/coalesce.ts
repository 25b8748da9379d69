/**
 * Gathers small chunks into larger ones. tar-stream hands out a 512-byte header, the file's bytes
 * and its padding for every entry: a source tree of small files reaches zlib as thousands of tiny
 * writes, and each is a trip to libuv's thread pool. Gathered into BATCH_BYTES first, gzip packed
 * a tree of 864 small files (8.4 MB) in 185 ms instead of 350–540 ms.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Bytes gathered before they go on. */
export const BATCH_BYTES = 256 * 1024;

export function coalesceChunks(batchBytes = BATCH_BYTES): Transform {
  let held: Buffer[] = [];
  let size = 0;
  const pass = (stream: Transform): void => {
    stream.push(held.length === 1 ? held[0] : Buffer.concat(held, size));
    held = [];
    size = 0;
  };
  return new Transform({
    transform(this: Transform, chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      held.push(chunk);
      size += chunk.length;
      if (size >= batchBytes) pass(this);
      done();
    },
    flush(this: Transform, done: TransformCallback) {
      if (size > 0) pass(this);
      done();
    },
  });
}
