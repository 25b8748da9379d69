/**
 * Upload over SFTP, the fallback for a host without `tar` (uploads go as a tar stream otherwise:
 * transport/upload/tar-upload.ts), with the same placement rules:
 * - `from` is a directory: its contents go into `to` (created with its parents);
 * - `from` is a file: it becomes `to`, or goes into `to` when `to` ends with `/`.
 * Modes (setuid/setgid/sticky bits included) and modification times are preserved; symlinks are
 * recreated as symlinks. A relative `to` (or `~/…`) is relative to the login user's home.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import type { UploadResult } from '../../contract/transport.js';
import { abortReason } from '../../contract/abort.js';
import { statUploadSource } from '../upload/upload-source.js';
import type { SshConnection } from './connection.js';
import type { TransportCallContext, UploadRequest } from '../../contract/transport.js';
import { UploadError } from '../../contract/errors.js';

export async function uploadOnConnection(
  conn: SshConnection,
  req: UploadRequest,
  ctx: TransportCallContext,
): Promise<UploadResult> {
  ctx.signal.throwIfAborted();
  const started = Date.now();
  const source = await statUploadSource(req.from);
  const sftp = await conn.sftp(ctx.signal);
  const to = remotePath(req.to);
  const counts = { files: 0, bytes: 0 };
  const ops = new SftpOps(sftp, conn.label);
  const copy = async (): Promise<void> => {
    if (source.isDirectory()) {
      await ops.mkdirp(to);
      await copyTree(ops, req.from, to, counts, ctx.signal);
      await ops.setAttrs(to, source.mode, source.atime, source.mtime);
    } else {
      const target = req.to.endsWith('/') ? posix.join(to, basename(req.from)) : to;
      await ops.mkdirp(posix.dirname(target));
      await ops.putFile(req.from, target, source.mode, source.atime, source.mtime);
      counts.files = 1;
      counts.bytes = source.size;
    }
  };
  // Ending the SFTP session stops the transfer, but ssh2 does not always call back the pending
  // fastPut then: the abort itself settles the upload, so it can never hang on a lost callback.
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = (): void => {
      sftp.end();
      reject(abortReason(ctx.signal));
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
  if (ctx.signal.aborted) onAbort(); // aborted while the SFTP session was opening
  const copying = copy();
  copying.catch(() => {}); // the loser of the race below must not become an unhandled rejection
  try {
    await Promise.race([copying, aborted]);
  } catch (err) {
    if (ctx.signal.aborted) throw abortReason(ctx.signal);
    // A dead connection makes every pending SFTP request fail; say that, not "cannot write x".
    if (conn.lostError) throw conn.lostError;
    throw err;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    sftp.end();
  }
  return {
    ...counts,
    bytesSent: counts.bytes,
    filesLinked: 0,
    method: 'sftp',
    compression: 'raw: over SFTP',
    durationMs: Date.now() - started,
  };
}

/** `~/x` → `x` (SFTP resolves relative paths against the home directory). */
export function remotePath(path: string): string {
  if (path === '~' || path === '~/') return '.';
  if (path.startsWith('~/')) return path.slice(2);
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

async function copyTree(
  ops: SftpOps,
  localDir: string,
  remoteDir: string,
  counts: { files: number; bytes: number },
  signal: AbortSignal,
): Promise<void> {
  const entries = await readdir(localDir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    signal.throwIfAborted();
    const local = join(localDir, entry.name);
    const remote = posix.join(remoteDir, entry.name);
    const st = await lstat(local);
    if (st.isSymbolicLink()) {
      await ops.symlink(await readlink(local), remote);
    } else if (st.isDirectory()) {
      await ops.mkdirp(remote);
      await copyTree(ops, local, remote, counts, signal);
      // After the contents: a read-only directory mode would have stopped us writing into it.
      await ops.setAttrs(remote, st.mode, st.atime, st.mtime);
    } else if (st.isFile()) {
      await ops.putFile(local, remote, st.mode, st.atime, st.mtime);
      counts.files += 1;
      counts.bytes += st.size;
    }
    // Sockets, FIFOs and devices are not uploadable; they are skipped like `cp -r` would fail to copy them.
  }
}

/** Promise wrappers that turn SFTP status errors into UploadErrors naming the host and path. */
class SftpOps {
  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly label: string,
  ) {}

  #call<T>(
    what: string,
    path: string,
    fn: (cb: (err: Error | null | undefined, v?: T) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      fn((err, v) => (err ? reject(this.#error(what, path, err)) : resolve(v as T)));
    });
  }

  #error(what: string, path: string, err: Error): UploadError {
    const code = (err as { code?: number | string }).code;
    const why = code === 2 ? 'no such file or directory' : code === 3 ? 'permission denied' : err.message;
    return new UploadError(`${this.label}: upload failed: cannot ${what} ${path}: ${why}`);
  }

  stat(path: string): Promise<Stats | null> {
    return new Promise((resolve) => this.sftp.stat(path, (err, st) => resolve(err ? null : st)));
  }

  /** `mkdir -p`, tolerating directories that exist or appear meanwhile. */
  async mkdirp(path: string): Promise<void> {
    const existing = await this.stat(path);
    if (existing?.isDirectory()) return;
    if (existing)
      throw new UploadError(`${this.label}: upload failed: ${path} exists and is not a directory`);
    const parent = posix.dirname(path);
    if (parent !== path && parent !== '.' && parent !== '/') await this.mkdirp(parent);
    try {
      await this.#call('create directory', path, (cb) => this.sftp.mkdir(path, cb));
    } catch (err) {
      if (!(await this.stat(path))?.isDirectory()) throw err;
    }
  }

  async putFile(local: string, remote: string, mode: number, atime: Date, mtime: Date): Promise<void> {
    await this.#call('write', remote, (cb) => this.sftp.fastPut(local, remote, cb));
    await this.setAttrs(remote, mode, atime, mtime);
  }

  /** The server's umask applied at creation; setting the mode afterwards makes it exact. */
  setAttrs(remote: string, mode: number, atime: Date, mtime: Date): Promise<void> {
    return this.#call('set mode of', remote, (cb) =>
      this.sftp.setstat(remote, { mode: mode & 0o7777, atime, mtime }, cb),
    );
  }

  async symlink(target: string, remote: string): Promise<void> {
    // lstat: an existing link is replaced even when it dangles.
    const existing = await new Promise<boolean>((resolve) => this.sftp.lstat(remote, (err) => resolve(!err)));
    if (existing) await this.#call('replace', remote, (cb) => this.sftp.unlink(remote, cb));
    await this.#call('create symlink', remote, (cb) => this.sftp.symlink(target, remote, cb));
  }
}
