/**
 * OpenSSH's own `ssh` client, to state its verdict next to ours on the same known_hosts file:
 * the host-key tests compare the two. Plain functions, no Jest.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { SshdFleet, SshdHost } from './sshd.js';

export const SSH_PATHS = ['/usr/bin/ssh', '/usr/local/bin/ssh'];

export function findSsh(): string | undefined {
  return SSH_PATHS.find((p) => existsSync(p));
}

export interface OpensshVerdict {
  verdict: 'connects' | 'refuses';
  /** ssh's stderr (its host-key messages). */
  stderr: string;
}

/** `StrictHostKeyChecking` values; `no` is the nearest to our `off`. */
export type OpensshChecking = 'yes' | 'accept-new' | 'no';

/**
 * Runs `ssh … echo ran` against `host` with only `knownHostsFile` (no global file, no config, no
 * agent, BatchMode). "refuses" only for a host-key refusal; anything else is thrown, so a broken
 * login can never pass for a verdict.
 */
export function opensshVerdict(
  fleet: SshdFleet,
  host: Pick<SshdHost, 'address' | 'port'>,
  knownHostsFile: string,
  checking: OpensshChecking,
): Promise<OpensshVerdict> {
  const ssh = findSsh();
  if (!ssh) throw new Error(`OpenSSH's ssh client not found (looked in ${SSH_PATHS.join(', ')})`);
  const args = [
    '-F',
    '/dev/null',
    '-p',
    String(host.port),
    '-i',
    fleet.keyPath,
    ...['IdentitiesOnly=yes', 'IdentityAgent=none', 'BatchMode=yes', 'ConnectTimeout=10']
      .concat([`UserKnownHostsFile=${knownHostsFile}`, 'GlobalKnownHostsFile=/dev/null'])
      .concat([`StrictHostKeyChecking=${checking}`, 'LogLevel=ERROR'])
      .flatMap((o) => ['-o', o]),
    `${fleet.user}@${host.address}`,
    'echo ran',
  ];
  return new Promise((resolve, reject) => {
    execFile(ssh, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      if (!err && stdout.trim() === 'ran') return resolve({ verdict: 'connects', stderr });
      if (/Host key verification failed/.test(stderr)) return resolve({ verdict: 'refuses', stderr });
      reject(new Error(`ssh neither connected nor refused the host key: ${err?.message}\n${stderr}`));
    });
  });
}
