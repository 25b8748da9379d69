import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { resolve } from 'node:path';

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
