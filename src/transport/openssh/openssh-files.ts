/**
 * The run's private files for the OpenSSH client: a 0700 directory (under RUNNER_TEMP when set)
 * holding what was given as text — the ssh_config, the certificate, extra known_hosts lines —
 * each 0600, and a short 0700 directory under /tmp for the sockets (a Unix socket path must stay
 * under ~100 bytes). Both are removed by `remove()`, or at process exit if that never comes.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SshOptions } from '../../contract/ssh-options.js';
import { expandHome } from '../remote/paths.js';
import type { OpensshFiles } from './openssh-args.js';
import { forgetDir, removeOnExit } from './run-cleanup.js';
import { setsGlobalKnownHosts } from './ssh-config-hosts.js';

export interface RunFiles {
  readonly files: OpensshFiles;
  /** The ssh_config's text ('' without one). */
  readonly configText: string;
  readonly configPath?: string;
  readonly socketDir: string;
  readonly fileDir: string;
  remove(): Promise<void>;
}

async function privateDir(parent: string, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(parent, prefix));
  await chmod(dir, 0o700);
  removeOnExit(dir);
  return dir;
}

async function writePrivate(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600 });
  return path;
}

/** Creates the directories and writes the files `options` give as text. */
export async function createRunFiles(options: SshOptions, env: NodeJS.ProcessEnv): Promise<RunFiles> {
  const fileDir = await privateDir(env.RUNNER_TEMP || tmpdir(), 'bw-ssh-');
  const socketDir = await privateDir(existsSync('/tmp') ? '/tmp' : tmpdir(), 'bwc-');
  const remove = async (): Promise<void> => {
    await Promise.all([fileDir, socketDir].map((d) => rm(d, { recursive: true, force: true })));
    forgetDir(fileDir);
    forgetDir(socketDir);
  };
  try {
    const configPath = options.configText
      ? await writePrivate(fileDir, 'ssh_config', options.configText)
      : options.configFile && resolve(expandHome(options.configFile));
    const configText = configPath ? await readFile(configPath, 'utf8') : '';
    const certificate = options.certificateText
      ? await writePrivate(fileDir, 'certificate-cert.pub', options.certificateText)
      : options.certificateFile && resolve(expandHome(options.certificateFile));
    const knownHosts = await knownHostsFiles(options, fileDir, configPath !== undefined);
    const files: OpensshFiles = {
      ...(configPath
        ? { config: configPath, configSetsGlobalKnownHosts: setsGlobalKnownHosts(configText) }
        : {}),
      ...(certificate ? { certificate } : {}),
      ...(knownHosts ? { knownHosts } : {}),
      ...(options.privateKeyPath && !options.privateKey
        ? { identity: resolve(expandHome(options.privateKeyPath)) }
        : {}),
    };
    return { files, configText, ...(configPath ? { configPath } : {}), socketDir, fileDir, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/**
 * UserKnownHostsFile: the configured files and the inline lines. With the default file and an
 * ssh_config, nothing: the ssh_config's own UserKnownHostsFile (Teleport's, say) then applies.
 */
async function knownHostsFiles(
  options: SshOptions,
  dir: string,
  hasConfig: boolean,
): Promise<string[] | undefined> {
  const paths = options.knownHostsPaths.map((p) => resolve(expandHome(p)));
  const isDefault =
    options.knownHostsPaths.length === 1 && options.knownHostsPaths[0] === '~/.ssh/known_hosts';
  const inline = options.knownHosts?.trim()
    ? [await writePrivate(dir, 'known_hosts', options.knownHosts)]
    : [];
  if (isDefault && hasConfig) return inline.length > 0 ? inline : undefined;
  return [...paths, ...inline];
}
