/**
 * The files an SSH run reads — the private key and the known_hosts files — checked up front, so a
 * missing or unreadable one is reported before the first stage runs rather than when the first SSH
 * stage connects. The transport itself stays lenient (it reads the same files when it connects).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NO_KEY_NO_AGENT, privateKeyProblem } from './keys.js';
import { DEFAULT_SSH_OPTIONS, type SshOptions } from '../../contract/ssh-options.js';
import { expandHome } from '../remote/paths.js';

export interface SshFileProblem {
  /** What the problem is about: the key (file or text), auth as a whole, or one known_hosts file. */
  readonly field: 'private-key' | 'auth' | 'known-hosts';
  /** The key file or known_hosts path as configured (absent for a key given inline, and for `auth`). */
  readonly path?: string;
  /** Names the file and what is wrong; never contains key material. */
  readonly message: string;
  /** What is wrong, without naming the file: `not found (/root/.ssh/id_ed25519)`. */
  readonly detail: string;
}

export interface SshFileCheck {
  /** Also require some way to log in (a key, or an ssh-agent). Default true. */
  readonly requireAuth?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** Every problem with the key and known_hosts files `options` name; [] when they are usable. */
export async function checkSshFiles(
  options: SshOptions,
  check: SshFileCheck = {},
): Promise<SshFileProblem[]> {
  const env = check.env ?? process.env;
  const problems: SshFileProblem[] = [];
  const inline = options.privateKey?.trim() ? options.privateKey : undefined;
  if (inline !== undefined) {
    const problem = privateKeyProblem(inline, options.passphrase);
    if (problem) {
      problems.push({
        field: 'private-key',
        message: `private key given inline: ${problem}`,
        detail: problem,
      });
    }
  } else if (options.privateKeyPath) {
    const path = options.privateKeyPath;
    const read = await readText(path);
    const problem = 'error' in read ? read.error : privateKeyProblem(read.text, options.passphrase);
    if (problem) {
      problems.push({
        field: 'private-key',
        path,
        message: `private key file ${path}: ${problem}`,
        detail: problem,
      });
    }
  } else if ((check.requireAuth ?? true) && !env.SSH_AUTH_SOCK) {
    problems.push({ field: 'auth', message: NO_KEY_NO_AGENT, detail: NO_KEY_NO_AGENT });
  }
  for (const path of options.knownHostsPaths) {
    const read = await readText(path);
    if (!('error' in read)) continue;
    // The default file may be missing: hosts are then unknown (accept-new, or the action's input).
    // With accept-new the first file is where new hosts are recorded: it is created on first use.
    const recordsNewHosts = options.hostKeyChecking === 'accept-new' && path === options.knownHostsPaths[0];
    if (read.missing && (DEFAULT_SSH_OPTIONS.knownHostsPaths.includes(path) || recordsNewHosts)) continue;
    problems.push({
      field: 'known-hosts',
      path,
      message: `known_hosts file ${path}: ${read.error}`,
      detail: read.error,
    });
  }
  return problems;
}

async function readText(path: string): Promise<{ text: string } | { error: string; missing: boolean }> {
  const full = resolve(expandHome(path));
  try {
    return { text: await readFile(full, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return { error: full === path ? 'not found' : `not found (${full})`, missing: true };
    if (code === 'EACCES' || code === 'EPERM')
      return { error: 'not readable (permission denied)', missing: false };
    if (code === 'EISDIR') return { error: 'is a directory, not a file', missing: false };
    return { error: `cannot read it (${code ?? 'error'})`, missing: false };
  }
}
