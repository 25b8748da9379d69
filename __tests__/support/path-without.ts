/**
 * A directory to use as PATH that offers every program of this machine except the named ones
 * (symlinks into /usr/local/bin, /usr/bin, /bin): a host without `tar`, a controller without
 * `gzip`. The caller removes `dir` (it lives wherever the caller puts it). No Jest APIs here.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';

export async function pathWithout(dir: string, missing: readonly string[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const bin of ['/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin', '/sbin']) {
    for (const name of existsSync(bin) ? readdirSync(bin) : []) {
      if (missing.includes(name) || existsSync(join(dir, name))) continue;
      await symlink(join(bin, name), join(dir, name));
    }
  }
  return dir;
}
