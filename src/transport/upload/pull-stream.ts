/**
 * A Readable that pulls its chunks: each `read()` awaits `next()` for one (null: the end) and
 * pushes it; a failure destroys the stream with it. `release` runs once, when the stream ends or
 * is destroyed. `reading` hears each read; `pushed` whether the buffer still had room after a push
 * (false: whoever consumes the stream is behind).
 */
import { Readable } from 'node:stream';

export interface PullSource {
  readonly highWaterMark: number;
  next(): Promise<Buffer | null>;
  release(): void;
  reading?(): void;
  pushed?(room: boolean): void;
}

export function pullStream(source: PullSource): Readable {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    source.release();
  };
  const stream: Readable = new Readable({
    highWaterMark: source.highWaterMark,
    read: (): void => {
      source.reading?.();
      source.next().then(
        (chunk) => {
          if (chunk === null) {
            stream.push(null);
            return;
          }
          // Pushed first: `pushed?.(stream.push(…))` would skip the push itself when no one listens.
          const room = stream.push(chunk);
          source.pushed?.(room);
        },
        (err: unknown) => stream.destroy(err as Error),
      );
    },
    destroy: (err, cb): void => {
      release();
      cb(err);
    },
  });
  return stream.on('end', release);
}
