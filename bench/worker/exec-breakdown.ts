/**
 * Where a warm step's time goes: the same sequential `true`, measured on one raw ssh2 connection
 * (no engine, no pool) at three depths of what our transport adds, so a latency miss can be
 * attributed. Diagnostic only: the fleet is our own loopback sshd, so the host key is not checked.
 *   bare     exec `true` through the login shell: the floor (sshd session + one shell)
 *   bash     exec `bash --noprofile --norc -eo pipefail`, script on stdin, stdin ended
 *   wrapper  our transport's remote command (ssh-remote-command.ts) with its payload and lifeline
 */
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { DEFAULT_SHELL } from '../../src/engine/subtask.js';
import { buildRemoteCommand } from '../../src/transport/ssh-remote-command.js';
import type { WorkerFleet } from './protocol.js';

export type Variant = 'bare' | 'bash' | 'wrapper';
export const VARIANTS: readonly Variant[] = ['bare', 'bash', 'wrapper'];

export async function execBreakdown(fleet: WorkerFleet, steps: number): Promise<Record<Variant, number[]>> {
  const host = fleet.hosts[0];
  if (!host) throw new Error('exec breakdown needs one host');
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve).once('error', reject);
    client.connect({
      host: host.address,
      port: host.port,
      username: fleet.user,
      privateKey: readFileSync(fleet.keyPath),
      hostVerifier: () => true,
    });
  });
  client.setNoDelay(true); // as our transport does; without it Nagle + delayed ACK add ~40 ms per step
  try {
    const env = { BW_HOST: host.name, BW_STAGE: 'latency' };
    const wrapped = buildRemoteCommand('true', DEFAULT_SHELL, env);
    const out = {} as Record<Variant, number[]>;
    for (const v of VARIANTS) {
      const once = (): Promise<void> =>
        v === 'bare'
          ? exec(client, 'true', null)
          : v === 'bash'
            ? exec(client, DEFAULT_SHELL.join(' '), Buffer.from('true\n'))
            : exec(client, wrapped.command, wrapped.stdin, false);
      await once();
      out[v] = [];
      for (let i = 0; i < steps; i++) {
        const started = performance.now();
        await once();
        out[v].push(performance.now() - started);
      }
    }
    return out;
  } finally {
    client.end();
  }
}

/** Resolves when the channel closed with exit status 0. `endStdin: false` keeps stdin open (the lifeline). */
function exec(client: ssh2.Client, command: string, stdin: Buffer | null, endStdin = true): Promise<void> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, ch) => {
      if (err) return reject(err);
      let code: number | null = null;
      ch.on('exit', (c: number | null) => (code = c));
      ch.on('data', () => {});
      ch.stderr.on('data', () => {});
      ch.once('close', () =>
        code === 0 ? resolve() : reject(new Error(`${command.slice(0, 40)}… exited ${code}`)),
      );
      if (stdin) ch.write(stdin);
      if (endStdin) ch.end();
    });
  });
}
