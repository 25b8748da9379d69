/**
 * The upload case's sources, generated on this machine: a PHP-like tree (many small text files of
 * log-normal sizes in nested package directories, compressing ~4× like real source), the same tree
 * with a share of its files changed (the re-release), and one big incompressible file.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const WORDS =
  'public function return array string int self static this new class namespace use if else foreach as throw Exception value key data result config request response handler'.split(
    ' ',
  );

export interface GeneratedTree {
  readonly dir: string;
  readonly files: number;
  readonly bytes: number;
}

/** `files` files of ~`bytes` in all, deterministic (a fixed-seed generator). */
export function makeTree(dir: string, files: number, bytes: number): GeneratedTree {
  let seed = 1;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  // Sizes e^(U·7): a few large files, most small; then scaled so they add up to `bytes`.
  const raw = Array.from({ length: files }, () => Math.exp(random() * 7));
  const scale = bytes / raw.reduce((a, b) => a + b, 0);
  let total = 0;
  for (let i = 0; i < files; i++) {
    const sub = join(dir, 'vendor', `pkg${i % 60}`, 'src', `sub${i % 9}`);
    mkdirSync(sub, { recursive: true });
    const size = Math.max(1, Math.round((raw[i] as number) * scale));
    let text = '<?php\n';
    while (text.length < size) {
      let line = '    ';
      for (let w = 0; w < 8; w++) {
        line += WORDS[Math.floor(random() * WORDS.length)] as string;
        line += random() < 0.2 ? `_${Math.floor(random() * 1000)} ` : ' ';
      }
      text += `${line};\n`;
    }
    writeFileSync(join(sub, `File${i}.php`), text.slice(0, size));
    total += size;
  }
  return { dir, files, bytes: total };
}

/** A copy of `tree` in `dir` with every 1/`share`-th file changed (a line appended). */
export function changedCopy(
  tree: GeneratedTree,
  dir: string,
  share: number,
): { dir: string; changed: number } {
  cpSync(tree.dir, dir, { recursive: true, preserveTimestamps: true });
  const every = Math.max(1, Math.round(1 / share));
  let changed = 0;
  for (let i = 0; i < tree.files; i += every) {
    const path = join(dir, 'vendor', `pkg${i % 60}`, 'src', `sub${i % 9}`, `File${i}.php`);
    writeFileSync(path, `${readFileSync(path, 'utf8')}// changed\n`);
    changed++;
  }
  return { dir, changed };
}

/** One file of `bytes` random bytes (nothing to compress), written in 8 MiB chunks. */
export function makeBigFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  try {
    const chunk = randomBytes(8 * 2 ** 20);
    for (let left = bytes; left > 0; left -= chunk.length)
      writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  } finally {
    closeSync(fd);
  }
}

/** `files` files of random bytes (nothing to compress: built artefacts, images), ~`bytes` in all. */
export function makeRandomTree(dir: string, files: number, bytes: number): GeneratedTree {
  const each = Math.max(1, Math.round(bytes / files));
  for (let i = 0; i < files; i++) {
    const sub = join(dir, 'assets', `dir${i % 20}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `blob${i}.bin`), randomBytes(each));
  }
  return { dir, files, bytes: each * files };
}

/** rsync, installed with apt-get as root in a full run when missing; null when it is not there. */
export function ensureRsync(opts: { install: boolean; log: (line: string) => void }): string | null {
  const found = ['/usr/bin/rsync', '/usr/local/bin/rsync'].find((p) => existsSync(p));
  if (found || !opts.install || process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get'))
    return found ?? null;
  opts.log('rsync is missing: apt-get install -y rsync');
  spawnSync('apt-get', ['install', '-y', '-qq', 'rsync'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 300_000,
  });
  return existsSync('/usr/bin/rsync') ? '/usr/bin/rsync' : null;
}
