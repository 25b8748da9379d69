/**
 * What a user would run instead of our upload, on the same hosts: `tar -c | ssh host tar -x` to
 * every host at once (a shell loop with `&`), the same with gzip, and `rsync -a` (what Deployer
 * uses; `-az` compresses) to every host at once. OpenSSH's client with the bench's options (pinned algorithms).
 */
import { spawn } from 'node:child_process';
import type { BenchFleet, FleetHost } from './fleet.js';
import { sshClientOptions } from './peers.js';
import { shellQuote } from '../src/transport/remote/remote-command.js';

export type UploadPeer = 'tar+ssh' | 'tar -z+ssh' | 'rsync -a' | 'rsync -az';

/** Wall time in ms of `peer` shipping `from` to `to` (`{host}` → the host's name) on every host. */
export function runUploadPeer(
  peer: UploadPeer,
  fleet: BenchFleet,
  hosts: readonly FleetHost[],
  from: string,
  to: string,
): Promise<number> {
  const ssh = ['ssh', '-F', '/dev/null', ...sshClientOptions(fleet).flatMap((o) => ['-o', o])]
    .map(shellQuote)
    .join(' ');
  const lines = hosts.map((h) => {
    const target = to.replaceAll('{host}', h.name);
    const login = `${fleet.user}@${h.address}`;
    if (peer === 'rsync -a' || peer === 'rsync -az') {
      return `${peer} --mkpath -e ${shellQuote(`${ssh} -p ${h.port}`)} ${shellQuote(`${from}/`)} ${shellQuote(`${login}:${target}/`)} &`;
    }
    const z = peer === 'tar -z+ssh' ? 'z' : '';
    const remote = `mkdir -p ${shellQuote(target)} && tar -x${z}f - -C ${shellQuote(target)}`;
    return `tar -c${z}f - -C ${shellQuote(from)} . | ${ssh} -p ${h.port} ${shellQuote(login)} ${shellQuote(remote)} &`;
  });
  // Every background job's status checked: `wait PID` one by one.
  const script = `set -e\npids=\n${lines.map((l) => `${l}\npids="$pids $!"`).join('\n')}\nfor p in $pids; do wait "$p"; done\n`;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`${peer} failed (exit ${code}): ${stderr.slice(-2000)}`));
    });
  });
}
