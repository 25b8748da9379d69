/**
 * The controller's side of an upload, read once: every entry of `from` (a directory tree or one
 * file) with what the archive needs, and a signature that changes when any of it does. Hashes of
 * the files (for `link-from`) are computed on demand, once per tree.
 */
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { statUploadSource } from './upload-source.js';

export interface TreeEntry {
  /** Inside the archive: `.` for the root of a directory upload, else `a/b` (no `./`, no `..`). */
  readonly path: string;
  readonly type: 'directory' | 'file' | 'symlink';
  /** Full st_mode; the archive keeps the permission bits (setuid/setgid/sticky included). */
  readonly mode: number;
  /** Bytes (files only). */
  readonly size: number;
  readonly mtime: Date;
  /** Symlinks: where the link points, kept as written. */
  readonly linkTarget?: string;
  /** Where to read it on this machine. */
  readonly localPath: string;
}

export interface SourceTree {
  /** `from` resolved against the working directory. */
  readonly root: string;
  readonly kind: 'directory' | 'file';
  /** Parents before their contents; a directory's entries in byte order of their names. */
  readonly entries: readonly TreeEntry[];
  readonly files: number;
  readonly bytes: number;
  /** Changes when any entry's name, type, mode, size, times, inode or link target does. */
  readonly signature: string;
}

/** Entries read between two turns of the event loop: keeps other jobs' output flowing. */
const ENTRIES_PER_TURN = 256;

/** Files up to this size are read whole (one syscall); larger ones are streamed. */
export const WHOLE_FILE_BYTES = 1024 * 1024;

export async function readSourceTree(from: string): Promise<SourceTree> {
  const top = await statUploadSource(from);
  const root = resolve(from);
  const sig = createHash('sha256');
  const entries: TreeEntry[] = [];
  let files = 0;
  let bytes = 0;
  const add = (path: string, localPath: string, st: Stats): void => {
    const entry = toEntry(path, localPath, st);
    if (!entry) return; // sockets, FIFOs, devices: not uploadable, skipped as `cp -r` would fail on them
    entries.push(entry);
    if (entry.type === 'file') {
      files += 1;
      bytes += entry.size;
    }
    sig.update(`${entry.type} ${st.mode} ${st.size} ${st.mtimeMs} ${st.ctimeMs} ${st.ino} ${path}\0`);
    sig.update(`${entry.linkTarget ?? ''}\0`);
  };
  if (!top.isDirectory()) {
    add(basename(root), root, top);
    if (entries.length === 0) throw new Error(`upload source ${from} is not a regular file or directory`);
    return { root, kind: 'file', entries, files, bytes, signature: sig.digest('hex') };
  }
  add('.', root, top);
  // Depth first, parents before children, without recursion (deep trees).
  const pending: string[] = ['.'];
  let sinceYield = 0;
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    const localDir = dir === '.' ? root : join(root, dir);
    const names = readdirSync(localDir, { encoding: 'buffer' }).sort(Buffer.compare);
    const subdirs: string[] = [];
    for (const raw of names) {
      const name = raw.toString('utf8');
      if (!Buffer.from(name, 'utf8').equals(raw)) {
        throw new Error(
          `upload source ${from}: ${join(dir, name)} has a name that is not valid UTF-8, which the archive cannot carry: rename it`,
        );
      }
      const path = dir === '.' ? name : `${dir}/${name}`;
      const localPath = join(localDir, name);
      const st = lstatSync(localPath);
      add(path, localPath, st);
      if (st.isDirectory()) subdirs.push(path);
      if (++sinceYield >= ENTRIES_PER_TURN) {
        sinceYield = 0;
        await yieldToLoop();
      }
    }
    // Reversed onto the stack so the first subdirectory is walked first.
    for (let i = subdirs.length - 1; i >= 0; i--) pending.push(subdirs[i] as string);
  }
  // Walking depth first with a stack lists a directory's files before its subdirectories' contents,
  // which is all the archive needs: every parent comes before what it holds.
  return { root, kind: 'directory', entries, files, bytes, signature: sig.digest('hex') };
}

function toEntry(path: string, localPath: string, st: Stats): TreeEntry | null {
  const base = { path, mode: st.mode, mtime: st.mtime, localPath };
  if (st.isDirectory()) return { ...base, type: 'directory', size: 0 };
  if (st.isFile()) return { ...base, type: 'file', size: st.size };
  if (st.isSymbolicLink()) return { ...base, type: 'symlink', size: 0, linkTarget: readlinkSync(localPath) };
  return null;
}

/**
 * SHA-256 (hex) of every file entry, by entry index; other entries are `undefined`. Throws when a
 * file no longer has the size it had when the tree was read.
 */
export async function hashFiles(tree: SourceTree, signal: AbortSignal): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = new Array<string | undefined>(tree.entries.length);
  let sinceYield = 0;
  for (let i = 0; i < tree.entries.length; i++) {
    const entry = tree.entries[i] as TreeEntry;
    if (entry.type !== 'file') continue;
    signal.throwIfAborted();
    if (entry.size <= WHOLE_FILE_BYTES) {
      const data = readFileSync(entry.localPath);
      if (data.length !== entry.size) throw changedWhileReading(tree, entry);
      out[i] = createHash('sha256').update(data).digest('hex');
      if (++sinceYield >= ENTRIES_PER_TURN / 4) {
        sinceYield = 0;
        await yieldToLoop();
      }
    } else {
      out[i] = await hashStream(tree, entry, signal);
    }
  }
  return out;
}

async function hashStream(tree: SourceTree, entry: TreeEntry, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(entry.localPath, { signal })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  if (size !== entry.size) throw changedWhileReading(tree, entry);
  return hash.digest('hex');
}

/**
 * Throws `changedWhileReading` unless `tree.root` still reads as `tree` did: same entries with the
 * same type, mode, size, times, inode and link target. Called once everything was read from it:
 * as every write changes a file's ctime, an unchanged signature proves that what was read is what
 * the tree held from the first look to the last — one consistent state, not a mix of two.
 */
export async function assertUnchanged(tree: SourceTree): Promise<void> {
  const now = await readSourceTree(tree.root).catch(() => null);
  if (now?.signature === tree.signature) return;
  const before = new Map(tree.entries.map((e) => [e.path, e]));
  const same = (a: TreeEntry, b: TreeEntry | undefined): boolean =>
    b !== undefined &&
    a.type === b.type &&
    a.mode === b.mode &&
    a.size === b.size &&
    a.mtime.getTime() === b.mtime.getTime() &&
    a.linkTarget === b.linkTarget;
  const still = new Set(now?.entries.map((e) => e.path));
  const changed =
    now?.entries.find((e) => !same(e, before.get(e.path))) ??
    tree.entries.find((e) => !still.has(e.path)) ??
    tree.entries[0];
  throw changedWhileReading(tree, changed as TreeEntry);
}

export function changedWhileReading(tree: SourceTree, entry: TreeEntry): Error {
  const where = tree.kind === 'file' ? tree.root : join(tree.root, entry.path);
  return new Error(`upload source ${where} changed while it was being uploaded: upload it again`);
}
