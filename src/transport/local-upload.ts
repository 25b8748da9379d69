import { cp, mkdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { UploadResult } from '../contract/transport.js';
import { statUploadSource } from './upload/upload-source.js';

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
