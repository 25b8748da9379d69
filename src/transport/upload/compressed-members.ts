/**
 * A compressed archive (gzip or zstd, codec.ts) for many hosts at once, in two encodings of the
 * same tar stream. Every MiB of the tar becomes a member (a gzip member, a zstd frame) at the
 * codec's fast level (gzip 3, zstd 3: a fast link is seldom kept waiting) and, as far as the hosts
 * leave time for it, a member at its small level (gzip 6, zstd 9). Both tools read concatenated
 * members as one stream, so each host takes, chunk by chunk, the small member when it is ready by
 * the time the host wants that chunk, and the fast one otherwise. A host behind a slow link gets
 * mostly the small level, a host on a fast one mostly the fast level: from one packing, for every
 * host its own mix, without measuring any link.
 *
 * Both encodings go to temp files beside the plain tar (memory stays bounded whatever the size);
 * the small-level encoder works on the chunks some host still needs, skipping those every host passed.
 */
import { EventEmitter, once } from 'node:events';
import { closeSync, openSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Encoder } from './codec.js';
import { pullStream } from './pull-stream.js';

/** Bytes of the tar in one member. */
export const MEMBER_BYTES = 1024 * 1024;
/** Small-level members made before the first host is ready for them (its script still starting). */
const HEAD_START_MEMBERS = 16;
/** Bytes a reader hands on at once. */
const SLICE_BYTES = 64 * 1024;
/** What a reader holds before it counts as held (its host behind): four slices unread. */
const READER_BUFFER = 4 * SLICE_BYTES;

/** The plain tar the members are made from, readable while it is still being written. */
export interface PlainArchive {
  readonly path: string;
  /**
   * Resolves once the archive holds `end` bytes or is complete, with how many of those it holds
   * (less than `end` only at its end); rejects when packing failed.
   */
  available(end: number): Promise<number>;
  /** Removes it (the members no longer need it). */
  retire(): void;
}

interface Member {
  readonly offset: number;
  readonly length: number;
}

/** One encoding's members, appended to a file as they are made; `members[k]` once chunk k is in. */
class MemberFile {
  readonly members: (Member | undefined)[] = [];
  #end = 0;
  readonly #handle: Promise<FileHandle>;

  constructor(readonly path: string) {
    closeSync(openSync(path, 'w', 0o600));
    this.#handle = open(path, 'r+');
    this.#handle.catch(() => {});
  }

  async append(k: number, data: Buffer): Promise<void> {
    const fh = await this.#handle;
    const offset = this.#end;
    this.#end += data.length;
    await fh.write(data, 0, data.length, offset);
    this.members[k] = { offset, length: data.length };
  }

  async close(): Promise<void> {
    await (await this.#handle.catch(() => null))?.close().catch(() => {});
  }
}

/**
 * Where one reader is: the chunk it wants next, and whether its host is behind, its buffer full
 * (`held`: what it takes next is then a chunk the small level has time for).
 */
interface ReaderPosition {
  next: number;
  held: boolean;
}

export class CompressedMembers {
  readonly #progress = new EventEmitter();
  readonly #fast: MemberFile;
  readonly #small: MemberFile;
  /** Chunks in all, once the plain archive is complete. */
  #count: number | null = null;
  #error: Error | null = null;
  readonly #positions = new Set<ReaderPosition>();
  #obsolete = false;
  #dropped = false;
  /** Whether any reader came yet: until one does, nobody waits for the packing. */
  #readerCame = false;
  /** Both encoders are done: every chunk they were going to make is made. */
  readonly settled: Promise<void>;

  constructor(
    private readonly plain: PlainArchive,
    private readonly encoder: Encoder,
    private readonly onDrop: (members: CompressedMembers) => void,
  ) {
    this.#progress.setMaxListeners(0);
    this.#fast = new MemberFile(`${plain.path}.${encoder.fastLevel}.${encoder.suffix}`);
    this.#small = new MemberFile(`${plain.path}.${encoder.smallLevel}.${encoder.suffix}`);
    this.settled = Promise.all([this.#encodeFast(), this.#encodeSmall()]).then(() => {});
  }

  get failed(): boolean {
    return this.#error !== null;
  }

  /**
   * The compressed stream, member by member, each the smallest ready when this reader wants it;
   * `onMember` hears the level of each member as it starts.
   */
  reader(onMember?: (level: number) => void): Readable {
    const position: ReaderPosition = { next: 0, held: false };
    this.#positions.add(position);
    this.#readerCame = true;
    const files = new Map<MemberFile, Promise<FileHandle>>();
    const handle = (file: MemberFile): Promise<FileHandle> => {
      let fh = files.get(file);
      if (!fh) {
        fh = open(file.path, 'r');
        files.set(file, fh);
      }
      return fh;
    };
    let current: { file: MemberFile; offset: number; left: number } | null = null;
    return pullStream({
      highWaterMark: READER_BUFFER,
      reading: () => (position.held = false),
      next: async () => {
        if (!current) {
          current = await this.#nextMember(position);
          if (!current) return null;
          onMember?.(current.file === this.#small ? this.encoder.smallLevel : this.encoder.fastLevel);
        }
        const want = Math.min(SLICE_BYTES, current.left);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await (await handle(current.file)).read(buf, 0, want, current.offset);
        if (bytesRead !== want) throw new Error(`${current.file.path}: ended early`);
        current.offset += want;
        current.left -= want;
        if (current.left === 0) {
          current = null;
          position.next += 1;
        }
        return buf;
      },
      pushed: (room) => {
        if (room) return;
        position.held = true;
        this.#progress.emit('held');
      },
      release: () => {
        for (const fh of files.values()) void fh.then((h) => h.close()).catch(() => {});
        this.#positions.delete(position);
        // The small-level encoder may be waiting for a reader to be held: with this one gone, it
        // looks again whether any chunk is still wanted (else it is done, and `settled` resolves).
        this.#progress.emit('held');
        this.#dropIfDone();
      },
    });
  }

  /** Marks the files for removal once no reader uses them. */
  retire(): void {
    this.#obsolete = true;
    this.#dropIfDone();
  }

  /** The member for the reader's next chunk: the small level when ready, else the fast one (waits for one). */
  async #nextMember(
    position: ReaderPosition,
  ): Promise<{ file: MemberFile; offset: number; left: number } | null> {
    for (;;) {
      if (this.#error) throw this.#error;
      const k = position.next;
      if (this.#count !== null && k >= this.#count) return null;
      for (const file of [this.#small, this.#fast]) {
        const m = file.members[k];
        if (m) return { file, offset: m.offset, left: m.length };
      }
      await once(this.#progress, 'progress');
    }
  }

  async #encodeFast(): Promise<void> {
    const fh = await open(this.plain.path, 'r');
    try {
      for (let k = 0; !this.#dropped; k++) {
        const chunk = await this.#chunk(fh, k);
        if (!chunk) {
          this.#count = k;
          break;
        }
        await this.#fast.append(k, await this.encoder.compress(chunk, this.encoder.fastLevel));
        this.#progress.emit('progress');
      }
    } catch (err) {
      if (!this.#dropped) this.#error = err as Error;
    } finally {
      await fh.close().catch(() => {});
      this.#progress.emit('progress');
    }
  }

  /**
   * The small level, only while some host is behind (its reader held: the link, not the packing,
   * is what it waits for), and only for the chunks such a host still wants: on links faster than
   * it, it costs next to nothing (what it made before the first host was ready). Its failure is no
   * one's: the hosts get the fast level.
   */
  async #encodeSmall(): Promise<void> {
    const fh = await open(this.plain.path, 'r').catch(() => null);
    if (!fh) return;
    try {
      for (let k = 0; !this.#dropped; k++) {
        let first = this.#firstHeld(k);
        while (first === null && !this.#dropped && !this.#finished()) {
          await once(this.#progress, 'held');
          first = this.#firstHeld(k);
        }
        if (first === null) break;
        k = Math.max(k, first);
        if (this.#count !== null && k >= this.#count) break;
        const chunk = await this.#chunk(fh, k);
        if (!chunk) break;
        await this.#small.append(k, await this.encoder.compress(chunk, this.encoder.smallLevel));
        this.#progress.emit('progress');
      }
    } catch {
      // The fast-level members are enough.
    } finally {
      await fh.close().catch(() => {});
    }
  }

  /**
   * The first chunk a held reader will ask for, or null when no reader is held. Before the first
   * reader comes (the host script is still starting: a few round trips), the small level makes a start.
   */
  #firstHeld(k: number): number | null {
    if (!this.#readerCame) return k < HEAD_START_MEMBERS ? k : null;
    let first: number | null = null;
    for (const p of this.#positions) if (p.held && (first === null || p.next < first)) first = p.next;
    return first;
  }

  /** Every reader is gone and none can come (retired), or every chunk is taken by every reader. */
  #finished(): boolean {
    if (this.#obsolete && this.#positions.size === 0) return true;
    return this.#count !== null && [...this.#positions].every((p) => p.next >= (this.#count as number));
  }

  /** Chunk k of the plain tar (waiting for the packer), or null past its end. */
  async #chunk(fh: FileHandle, k: number): Promise<Buffer | null> {
    const from = k * MEMBER_BYTES;
    const end = await this.plain.available(from + MEMBER_BYTES);
    if (end <= from) return null;
    const buf = Buffer.allocUnsafe(end - from);
    const { bytesRead } = await fh.read(buf, 0, buf.length, from);
    if (bytesRead !== buf.length) throw new Error(`${this.plain.path}: ended early`);
    return buf;
  }

  #dropIfDone(): void {
    if (!this.#obsolete || this.#positions.size > 0 || this.#dropped) return;
    this.#dropped = true;
    this.#progress.emit('held');
    this.plain.retire();
    void Promise.all([this.#fast.close(), this.#small.close()]).then(() => {
      for (const f of [this.#fast, this.#small]) rmSync(f.path, { force: true });
      this.onDrop(this);
    });
  }
}
