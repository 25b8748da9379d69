/**
 * Packs a SourceTree as a tar stream (tar-stream writes the headers: ustar, PAX for long or
 * non-ASCII names); compressed-members.ts compresses it. Directories and symlinks always go in; files only when
 * selected (the others are hard-linked on the host). The last entry is the completion marker,
 * added only once the source is known not to have changed since it was first read.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable, type Writable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { pack as tarPack, type Pack } from 'tar-stream';
import type { Codec } from './codec.js';
import { FILE_ENTRY } from './host-script.js';
import {
  assertUnchanged,
  changedWhileReading,
  WHOLE_FILE_BYTES,
  type SourceTree,
  type TreeEntry,
} from './source-tree.js';

export interface ArchiveSpec {
  readonly tree: SourceTree;
  /** Entry indexes of files to leave out (the host links them); null: every file goes in. */
  readonly omit: ReadonlySet<number> | null;
  /** Name and content of the last entry (see host-script.ts). */
  readonly marker: { readonly name: string; readonly content: Buffer };
  /** How hosts get it (archive-cache.ts); this writes the plain tar either way. */
  readonly codec: Codec;
}

/** Writes the archive of `spec` into `sink`, ending it. Rejects on a read error or a changed source. */
export async function writeArchive(spec: ArchiveSpec, sink: Writable, signal: AbortSignal): Promise<void> {
  const pack = tarPack();
  // Through Node's own stream machinery: `pack` is a streamx stream.
  const source = Readable.from(pack, { objectMode: false });
  const piping = pipeline(source, sink, { signal });
  piping.catch(() => {}); // awaited below; an early failure must not go unhandled meanwhile
  try {
    await fill(pack, spec, signal);
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    await piping.catch(() => {});
    throw err;
  }
  await piping;
}

async function fill(pack: Pack, spec: ArchiveSpec, signal: AbortSignal): Promise<void> {
  const { tree } = spec;
  let sinceYield = 0;
  for (let i = 0; i < tree.entries.length; i++) {
    const entry = tree.entries[i] as TreeEntry;
    signal.throwIfAborted();
    const name = tree.kind === 'file' ? FILE_ENTRY : entry.path;
    const base = { name, mode: entry.mode, mtime: entry.mtime, uid: 0, gid: 0 };
    if (entry.type === 'directory') {
      await add(pack, { ...base, type: 'directory' });
    } else if (entry.type === 'symlink') {
      await add(pack, { ...base, type: 'symlink', linkname: entry.linkTarget ?? '' });
    } else if (!spec.omit?.has(i)) {
      if (entry.size <= WHOLE_FILE_BYTES) {
        const data = readFileSync(entry.localPath);
        if (data.length !== entry.size) throw changedWhileReading(tree, entry);
        await add(pack, { ...base, type: 'file', size: entry.size }, data);
      } else {
        await addStreamed(pack, { ...base, type: 'file', size: entry.size }, tree, entry, signal);
      }
    }
    // Reading is synchronous (page cache, small files): let other work run now and then.
    if (++sinceYield >= 64) {
      sinceYield = 0;
      await yieldToLoop();
    }
  }
  // Without the marker the host moves nothing: a source that changed while it was read (a build
  // still writing, say) fails the upload instead of shipping a mix of two states.
  await assertUnchanged(tree);
  await add(
    pack,
    {
      name: spec.marker.name,
      type: 'file',
      mode: 0o600,
      mtime: new Date(),
      size: spec.marker.content.length,
    },
    spec.marker.content,
  );
}

type Header = Parameters<Pack['entry']>[0];

/** One entry; resolves when the pack took it (backpressure: it waits while the reader is behind). */
function add(pack: Pack, header: Header, data?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (data) pack.entry(header, data, done);
    else pack.entry(header, done);
  });
}

function addStreamed(
  pack: Pack,
  header: Header,
  tree: SourceTree,
  entry: TreeEntry,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(header, (err) => {
      if (!err) return resolve();
      reject(err.message === 'Size mismatch' ? changedWhileReading(tree, entry) : err);
    });
    const file = createReadStream(entry.localPath, { signal, highWaterMark: 256 * 1024 });
    file.on('error', (err) => {
      sink.destroy(err);
      reject(err);
    });
    file.pipe(sink as unknown as Writable);
  });
}
