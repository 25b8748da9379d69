/**
 * Reads each upload source once per snapshot and packs each archive once, into a temp file that
 * every host's upload then streams from — while it is still being written, so the first host does
 * not wait for the packing. A compressed archive is made from that file in members of two levels
 * (compressed-members.ts). Memory stays bounded whatever the size (the archive lives on disk); close()
 * removes the temp files.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { writeArchive, type ArchiveSpec } from './archive.js';
import { sampledChoice, type CompressionChoice } from './compression.js';
import { encoderOf } from './codec.js';
import { CompressedMembers, type PlainArchive } from './compressed-members.js';
import { pullStream } from './pull-stream.js';
import { hashFiles, readSourceTree, type SourceTree } from './source-tree.js';

/** Bytes a reader asks for at once (and what it may hold in memory). */
const READ_CHUNK = 256 * 1024;

/** An archive any number of hosts read at once, each from the start. */
export interface Archive {
  /** A stream of the whole archive, following the packer until it is done (compressed: see CompressedMembers). */
  reader(onMember?: (level: number) => void): Readable;
  /** Marks it for removal once no reader uses it. */
  retire(): void;
  readonly failed: boolean;
}

/** One archive on disk (the plain tar), readable by any number of readers as it grows. */
export class ArchiveFile implements Archive, PlainArchive {
  #written = 0;
  #done = false;
  #error: Error | null = null;
  readonly #progress = new EventEmitter();
  #readers = 0;
  #obsolete = false;
  readonly finished: Promise<void>;

  constructor(
    readonly path: string,
    spec: ArchiveSpec,
    private readonly onDrop: (file: ArchiveFile) => void,
  ) {
    this.#progress.setMaxListeners(0);
    // Created now, so a reader that comes before the writer's first byte finds it.
    closeSync(openSync(path, 'w', 0o600));
    this.finished = this.#write(spec);
    this.finished.catch(() => {});
  }

  /** Bytes written so far (the whole archive once finished). */
  get size(): number {
    return this.#written;
  }

  get failed(): boolean {
    return this.#error !== null;
  }

  async available(end: number): Promise<number> {
    for (;;) {
      if (this.#error) throw this.#error;
      if (this.#done || this.#written >= end) return Math.min(end, this.#written);
      await once(this.#progress, 'progress');
    }
  }

  async #write(spec: ArchiveSpec): Promise<void> {
    const fh = await open(this.path, 'r+');
    try {
      await writeArchive(spec, this.#sink(fh), new AbortController().signal);
      this.#done = true;
    } catch (err) {
      this.#error = err as Error;
      throw err;
    } finally {
      await fh.close().catch(() => {});
      this.#progress.emit('progress');
    }
  }

  #sink(fh: FileHandle): Writable {
    // The packer hands over many small pieces (512-byte headers, small files): while one write is
    // on its way, the next ones gather, and go to the file together.
    const append = (chunks: readonly Buffer[], cb: (err?: Error | null) => void): void => {
      fh.writev(chunks, this.#written).then(({ bytesWritten }) => {
        this.#written += bytesWritten;
        this.#progress.emit('progress');
        cb();
      }, cb);
    };
    return new Writable({
      highWaterMark: 4 * READ_CHUNK,
      write: (chunk: Buffer, _enc, cb) => append([chunk], cb),
      writev: (chunks, cb) =>
        append(
          chunks.map((c) => c.chunk as Buffer),
          cb,
        ),
    });
  }

  /** A stream of the whole archive, following the writer until it is done. */
  reader(): Readable {
    this.#readers += 1;
    let fh: FileHandle | null = null;
    let position = 0;
    return pullStream({
      highWaterMark: READ_CHUNK,
      next: async () => {
        fh ??= await open(this.path, 'r');
        // Whole chunks while the writer is still at it: fewer, fuller reads and SSH packets.
        const end = await this.available(position + READ_CHUNK);
        if (end <= position) return null;
        const buf = Buffer.allocUnsafe(end - position);
        const { bytesRead } = await fh.read(buf, 0, buf.length, position);
        position += bytesRead;
        return buf.subarray(0, bytesRead);
      },
      release: () => {
        void fh?.close().catch(() => {});
        this.#readers -= 1;
        if (this.#obsolete && this.#readers === 0) this.onDrop(this);
      },
    });
  }

  /** Marks the file for removal once no reader uses it. */
  retire(): void {
    this.#obsolete = true;
    if (this.#readers === 0) this.onDrop(this);
  }
}

export class ArchiveCache {
  #dir: string | null = null;
  readonly #trees = new Map<string, Promise<SourceTree>>();
  readonly #hashes = new WeakMap<SourceTree, Promise<(string | undefined)[]>>();
  readonly #compression = new WeakMap<SourceTree, Promise<CompressionChoice>>();
  /** By `root`, then by archive key. */
  readonly #archives = new Map<string, Map<string, Archive>>();

  /** The source tree of `from`: read once per snapshot token (every call without one reads it). */
  tree(from: string, snapshot: string | undefined): Promise<SourceTree> {
    if (snapshot === undefined) return readSourceTree(from);
    const key = `${snapshot}\0${resolve(from)}`;
    let tree = this.#trees.get(key);
    if (!tree) {
      tree = readSourceTree(from);
      this.#trees.set(key, tree);
      // A failed read is not kept: the next job's upload says what is wrong itself.
      tree.catch(() => this.#trees.delete(key));
    }
    return tree;
  }

  /** SHA-256 of each file of `tree`, computed once. */
  hashes(tree: SourceTree, signal: AbortSignal): Promise<(string | undefined)[]> {
    let hashes = this.#hashes.get(tree);
    if (!hashes) {
      // Not tied to one job's signal: other hosts wait for the same hashes.
      hashes = hashFiles(tree, new AbortController().signal);
      this.#hashes.set(tree, hashes);
      hashes.catch(() => this.#hashes.delete(tree));
    }
    return signal.aborted ? Promise.reject(signal.reason) : hashes;
  }

  /**
   * `compress: auto`'s choice for `tree`, sampled once: a snapshot's tree is read once, so every
   * host of the stage gets the same choice from one sample.
   */
  compression(tree: SourceTree, signal: AbortSignal): Promise<CompressionChoice> {
    let choice = this.#compression.get(tree);
    if (!choice) {
      choice = sampledChoice(tree, new AbortController().signal);
      this.#compression.set(tree, choice);
      choice.catch(() => this.#compression.delete(tree));
    }
    return signal.aborted ? Promise.reject(signal.reason) : choice;
  }

  /** The archive for `spec`, packed once (`key` names everything but the tree). */
  archive(spec: ArchiveSpec, key: string): Archive {
    const byKey = this.#archives.get(spec.tree.root) ?? new Map<string, Archive>();
    this.#archives.set(spec.tree.root, byKey);
    const fullKey = `${spec.tree.signature}|${key}`;
    const existing = byKey.get(fullKey);
    if (existing && !existing.failed) return existing;
    // Archives of an older state of the same source are of no more use once their readers finish.
    for (const [k, file] of byKey) {
      if (!k.startsWith(`${spec.tree.signature}|`) || file.failed) {
        byKey.delete(k);
        file.retire();
      }
    }
    const path = join(this.#tempDir(), `${randomBytes(8).toString('hex')}.tar`);
    const plain = new ArchiveFile(path, spec, (f) => rmSync(f.path, { force: true }));
    const archive =
      spec.codec === 'none' ? plain : new CompressedMembers(plain, encoderOf(spec.codec), () => {});
    byKey.set(fullKey, archive);
    return archive;
  }

  /** Removes every temp file (readers still open see their stream fail). */
  close(): void {
    this.#trees.clear();
    for (const byKey of this.#archives.values()) for (const archive of byKey.values()) archive.retire();
    this.#archives.clear();
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = null;
  }

  #tempDir(): string {
    this.#dir ??= mkdtempSync(join(tmpdir(), 'boerewors-upload-'));
    return this.#dir;
  }
}
