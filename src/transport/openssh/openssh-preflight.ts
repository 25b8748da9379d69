/**
 * What the OpenSSH client needs before a run starts: its programs on PATH, and the ssh_config and
 * certificate files the config names, readable. Each problem names the `ssh:` key it is about.
 */
import { access, constants, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errorMessage } from '../../contract/errors.js';
import type { SshOptions } from '../../contract/ssh-options.js';
import { expandHome } from '../remote/paths.js';
import { findOpenssh } from './openssh-binaries.js';

export interface OpensshProblem {
  readonly key: 'client' | 'config' | 'certificate';
  readonly message: string;
}

async function unreadable(path: string): Promise<string | undefined> {
  const full = resolve(expandHome(path));
  try {
    if ((await stat(full)).isDirectory()) return 'is a directory, not a file';
    await access(full, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return full === path ? 'not found' : `not found (${full})`;
    if (code === 'EACCES' || code === 'EPERM') return 'not readable (permission denied)';
    return `cannot read it (${code ?? 'error'})`;
  }
}

export async function opensshFileProblems(
  ssh: SshOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<OpensshProblem[]> {
  const problems: OpensshProblem[] = [];
  try {
    findOpenssh(env);
  } catch (err) {
    problems.push({ key: 'client', message: errorMessage(err) });
  }
  if (ssh.configFile && !ssh.configText) {
    const why = await unreadable(ssh.configFile);
    if (why) problems.push({ key: 'config', message: `ssh_config file ${ssh.configFile}: ${why}` });
  }
  if (ssh.certificateFile && !ssh.certificateText) {
    const why = await unreadable(ssh.certificateFile);
    if (why)
      problems.push({ key: 'certificate', message: `certificate file ${ssh.certificateFile}: ${why}` });
  }
  return problems;
}
