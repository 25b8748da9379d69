/**
 * The SFTP subset the fallback server needs for our uploads (open/write/close, stat, mkdir,
 * setstat, symlink, unlink), served from the local file system as the current user.
 */
import {
  closeSync,
  fstatSync,
  futimesSync,
  lstatSync,
  mkdirSync,
  openSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { chmodSync, fchmodSync, unlinkSync, utimesSync, writeSync, type Stats } from 'node:fs';
import ssh2, { type Attributes, type SFTPWrapper } from 'ssh2';

const { STATUS_CODE, flagsToString } = ssh2.utils.sftp;

function attrsOf(st: Stats): Attributes {
  return {
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    atime: Math.floor(st.atimeMs / 1000),
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

function statusOf(err: unknown): number {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return STATUS_CODE.NO_SUCH_FILE;
  if (code === 'EACCES' || code === 'EPERM') return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

export function serveSftp(sftp: SFTPWrapper): void {
  const handles = new Map<string, number>();
  let next = 0;
  const fdOf = (handle: Buffer): number | undefined => handles.get(handle.toString('hex'));
  /** Runs `fn`; answers OK (or what `fn` answered itself) or the errno as an SFTP status. */
  const reply = (reqId: number, fn: () => boolean | void): void => {
    try {
      if (fn() !== true) sftp.status(reqId, STATUS_CODE.OK);
    } catch (err) {
      sftp.status(reqId, statusOf(err));
    }
  };
  const setAttrs = (target: string | number, attrs: Attributes): void => {
    const byFd = typeof target === 'number';
    if (attrs.mode !== undefined) {
      if (byFd) fchmodSync(target, attrs.mode & 0o7777);
      else chmodSync(target, attrs.mode & 0o7777);
    }
    if (attrs.atime !== undefined && attrs.mtime !== undefined) {
      if (byFd) futimesSync(target, attrs.atime, attrs.mtime);
      else utimesSync(target, attrs.atime, attrs.mtime);
    }
  };

  sftp.on('OPEN', (reqId, filename, flags, attrs) =>
    reply(reqId, () => {
      const fd = openSync(filename, flagsToString(flags) ?? 'r', attrs.mode ?? 0o644);
      const handle = Buffer.alloc(4);
      handle.writeUInt32BE(next++);
      handles.set(handle.toString('hex'), fd);
      sftp.handle(reqId, handle);
      return true;
    }),
  );
  sftp.on('WRITE', (reqId, handle, offset, data) =>
    reply(reqId, () => void writeSync(fdOf(handle) ?? -1, data, 0, data.length, offset)),
  );
  sftp.on('CLOSE', (reqId, handle) =>
    reply(reqId, () => {
      closeSync(fdOf(handle) ?? -1);
      handles.delete(handle.toString('hex'));
    }),
  );
  sftp.on('FSTAT', (reqId, handle) =>
    reply(reqId, () => {
      sftp.attrs(reqId, attrsOf(fstatSync(fdOf(handle) ?? -1)));
      return true;
    }),
  );
  for (const op of ['STAT', 'LSTAT'] as const) {
    sftp.on(op, (reqId: number, path: string) =>
      reply(reqId, () => {
        sftp.attrs(reqId, attrsOf(op === 'STAT' ? statSync(path) : lstatSync(path)));
        return true;
      }),
    );
  }
  sftp.on('MKDIR', (reqId, path, attrs) => reply(reqId, () => mkdirSync(path, attrs.mode ?? 0o755)));
  sftp.on('SETSTAT', (reqId, path, attrs) => reply(reqId, () => setAttrs(path, attrs)));
  sftp.on('FSETSTAT', (reqId, handle, attrs) => reply(reqId, () => setAttrs(fdOf(handle) ?? -1, attrs)));
  sftp.on('SYMLINK', (reqId, linkPath, targetPath) => reply(reqId, () => symlinkSync(targetPath, linkPath)));
  sftp.on('REMOVE', (reqId, path) => reply(reqId, () => unlinkSync(path)));
  sftp.on('REALPATH', (reqId, path) =>
    reply(reqId, () => {
      sftp.name(reqId, [{ filename: path, longname: path, attrs: {} as Attributes }]);
      return true;
    }),
  );
  for (const op of ['READ', 'OPENDIR', 'READDIR', 'RMDIR', 'RENAME', 'READLINK'] as const) {
    sftp.on(op, (reqId: number) => sftp.status(reqId, STATUS_CODE.OP_UNSUPPORTED));
  }
  sftp.on('close', () => {
    for (const fd of handles.values()) closeSync(fd);
    handles.clear();
  });
}
