/**
 * parallel-ssh is optional: CI does not install it, so the smoke run skips it with a note. A full
 * run says clearly when it is missing and, as root with apt-get, installs Debian's `pssh` itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findPssh } from './peers.js';

export function ensurePssh(opts: {
  install: boolean;
  log: (line: string) => void;
  note: (line: string) => void;
}): string | null {
  const found = findPssh();
  if (found) return found;
  if (opts.install && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    opts.log('parallel-ssh is missing: apt-get install -y pssh');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const r = spawnSync('apt-get', ['install', '-y', '-qq', 'pssh'], {
      stdio: 'inherit',
      env,
      timeout: 300_000,
    });
    const now = findPssh();
    if (r.status === 0 && now) return now;
  }
  opts.note(
    'parallel-ssh (Debian package pssh) is not installed, so it is not compared: ' +
      'install it with `sudo apt-get install pssh` and run the bench again',
  );
  return null;
}
