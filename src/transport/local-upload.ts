import { cp, mkdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { UploadResult } from '../contract/transport.js';

/**
 * The local side of an upload, or an error that says which source is missing and where it was
 * looked for (relative sources are relative to the working directory), instead of a raw
 * `ENOENT: no such file or directory, stat 'build/'`.
 */
export async function statUploadSource(from: string): Promise<Stats> {
  try {
    return await stat(from);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const where = resolve(from) === from ? '' : ` (looked for ${resolve(from)})`;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new Error(`upload source ${from} not found${where}: nothing to upload`);
    }
    if (code === 'EACCES')
      throw new Error(`upload source ${from} is not readable (permission denied)${where}`);
    throw new Error(`upload source ${from}: cannot read it (${code ?? (err as Error).message})${where}`);
  }
}

/**
 * Upload semantics shared by every transport (documented in docs/config.md):
 * - `from` is a directory: its contents are copied into `to` (created with parents).
 * - `from` is a file: copied to `to`; when `to` ends with `/` it is the directory to copy into.
 * File modes are preserved.
 */
export async function copyLocal(from: string, to: string, signal: AbortSignal): Promise<UploadResult> {
  const started = Date.now();
  signal.throwIfAborted();
  const source = await statUploadSource(from);
  let files = 0;
  let bytes = 0;
  const count = async (src: string): Promise<boolean> => {
    signal.throwIfAborted();
    const s = await stat(src);
    if (s.isFile()) {
      files += 1;
      bytes += s.size;
    }
    return true;
  };
  if (source.isDirectory()) {
    await mkdir(to, { recursive: true });
    await cp(from, to, { recursive: true, preserveTimestamps: true, filter: (src) => count(src) });
  } else {
    const target = to.endsWith('/') ? join(to, basename(from)) : to;
    await mkdir(dirname(target), { recursive: true });
    await count(from);
    await cp(from, target, { preserveTimestamps: true });
  }
  return {
    files,
    bytes,
    bytesSent: bytes,
    filesLinked: 0,
    method: 'copy',
    compression: 'raw: a local copy',
    durationMs: Date.now() - started,
  };
}
