/** Key material for the sshd harness, made by the real `ssh-keygen` so formats are what users have. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type KeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface KeyOptions {
  type?: KeyType;
  /** `PEM` writes the legacy PEM format (ecdsa/rsa); default the OpenSSH format. */
  format?: 'openssh' | 'PEM';
  passphrase?: string;
  comment?: string;
}

export interface GeneratedKey {
  privatePath: string;
  publicPath: string;
  /** `ssh-ed25519 AAAA… comment` */
  publicLine: string;
}

/** Writes `path` and `path.pub`. RSA keys are 2048 bits: the tests need the format, not the strength. */
export async function generateKey(path: string, opts: KeyOptions = {}): Promise<GeneratedKey> {
  const type = opts.type ?? 'ed25519';
  const args = [
    '-q',
    '-t',
    type,
    '-N',
    opts.passphrase ?? '',
    '-C',
    opts.comment ?? `bw-test-${type}`,
    '-f',
    path,
  ];
  if (type === 'rsa') args.push('-b', '2048');
  // Few KDF rounds: decrypting with the default 16 costs ~1 s in JS, and tests need the format, not the work factor.
  if (opts.passphrase) args.push('-a', '2');
  if (opts.format === 'PEM') args.push('-m', 'PEM');
  await run('ssh-keygen', args);
  const publicLine = (await readFile(`${path}.pub`, 'utf8')).trim();
  return { privatePath: path, publicPath: `${path}.pub`, publicLine };
}

export interface HostKeyFile {
  type: KeyType;
  /** `ssh-rsa AAAA… h0` */
  publicLine: string;
  publicPath: string;
  privatePath: string;
}

/** The host key types a fleet's hosts get (`SshdFleetOptions.hostKeyTypes` / `hostKeyType`). */
export function fleetHostKeyTypes(opts: {
  hostKeyType?: KeyType;
  hostKeyTypes?: readonly KeyType[];
}): readonly KeyType[] {
  return opts.hostKeyTypes?.length ? opts.hostKeyTypes : [opts.hostKeyType ?? 'ed25519'];
}

/** Generates one host key per type in `dir` (`host_key`, then `host_key_rsa`, …). */
export async function generateHostKeys(
  dir: string,
  types: readonly KeyType[],
  comment: string,
): Promise<HostKeyFile[]> {
  const keys: HostKeyFile[] = [];
  for (const [i, type] of types.entries()) {
    const key = await generateKey(join(dir, i === 0 ? 'host_key' : `host_key_${type}`), { type, comment });
    keys.push({ type, ...key });
  }
  return keys;
}

/** `SHA256:…` fingerprint of a public key file, as OpenSSH prints it. */
export async function fingerprint(publicPath: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicPath]);
  const match = /SHA256:\S+/.exec(stdout);
  if (!match) throw new Error(`no fingerprint in ssh-keygen output: ${stdout}`);
  return match[0];
}

/** Rewrites a known_hosts file with hashed host names (`|1|salt|hash`), as `HashKnownHosts yes` does. */
export async function hashKnownHosts(path: string): Promise<void> {
  await run('ssh-keygen', ['-H', '-f', path]);
}
