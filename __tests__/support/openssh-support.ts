/** Shared by the OpenSSH client's tests: a CA made by ssh-keygen, signing, and leftovers to look for. */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { generateKey, type GeneratedKey } from './sshd-keys.js';

const run = promisify(execFile);

export function makeCa(path: string): Promise<GeneratedKey> {
  return generateKey(path, { comment: 'bw-test-ca' });
}

/** Signs `publicPath` (writes `…-cert.pub` beside it) for `principals`; `host` for a host certificate. */
export async function sign(
  ca: string,
  publicPath: string,
  principals: string,
  opts: { host?: boolean } = {},
): Promise<string> {
  const args = ['-q', '-s', ca, '-I', 'bw-test', '-n', principals, '-V', '-5m:+1h'];
  if (opts.host) args.push('-h');
  await run('ssh-keygen', [...args, publicPath]);
  return publicPath.replace(/\.pub$/, '-cert.pub');
}

/** `ssh` processes whose parent is this process (masters and sessions of the transport). */
export function childSshProcesses(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && (comm === 'ssh' || comm === 'ssh-agent' || comm === 'ssh-add'))
        out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The transport's socket directories (`/tmp/bwc-XXXXXX`) that exist now, among `before`'s complement. */
export function socketDirs(): string[] {
  return readdirSync('/tmp').filter((name) => /^bwc-[A-Za-z0-9]{6}$/.test(name));
}

/** Processes anywhere whose command line holds `needle` (an ssh_config path, a socket directory). */
export function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Waits (bounded) until no socket directory is there that was not in `before`. Other test files
 * running in the other worker make and remove their own meanwhile: only one of ours that stays
 * fails this.
 */
export async function noNewSocketDirs(before: readonly string[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let left = socketDirs().filter((d) => !before.includes(d));
  while (left.length > 0) {
    if (Date.now() > deadline) throw new Error(`socket directories left behind: ${left.join(', ')}`);
    await new Promise((r) => setTimeout(r, 25));
    left = socketDirs().filter((d) => !before.includes(d));
  }
}

/** Waits (bounded) until no `ssh`, `ssh-agent` or `ssh-add` child of this process is left. */
export async function noChildSsh(timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (childSshProcesses().length > 0) {
    if (Date.now() > deadline)
      throw new Error(`ssh processes left: ${childSshProcesses().join(', ')} (after ${timeoutMs} ms)`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
