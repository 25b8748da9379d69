/**
 * Where a warm step's time goes: the same `true`, run on a second, raw ssh2 connection to the same
 * host (no engine, no pool) at three depths of what our transport adds. The latency task
 * interleaves these with the engine's steps, one of each per round, so machine noise hits all
 * alike. Diagnostic only: the fleet is our own loopback sshd, so the host key is not checked.
 *   bare     exec `true` through the login shell: the floor (sshd session + one shell)
 *   bash     exec `bash --noprofile --norc -eo pipefail`, script on stdin, stdin ended
 *   wrapper  our transport's remote command (src/transport/remote/remote-command.ts) with its payload and lifeline
 */
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { DEFAULT_SHELL } from '../../src/contract/transport.js';
import { buildRemoteCommand } from '../../src/transport/remote/remote-command.js';
import type { FleetHost } from '../fleet.js';
import type { Variant, WorkerFleet } from './protocol.js';

export const VARIANTS: readonly Variant[] = ['bare', 'bash', 'wrapper'];

export class RawExecProbe {
  readonly #wrapped: ReturnType<typeof buildRemoteCommand>;

  private constructor(private readonly client: ssh2.Client) {
    this.#wrapped = buildRemoteCommand('true', DEFAULT_SHELL, { BW_HOST: 'h', BW_STAGE: 'latency' });
  }

  static async open(fleet: WorkerFleet, host: FleetHost): Promise<RawExecProbe> {
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
    return new RawExecProbe(client);
  }

  /** One `true` at the given depth; resolves with its wall time in ms. */
  async time(variant: Variant): Promise<number> {
    const started = performance.now();
    if (variant === 'bare') await exec(this.client, 'true', null);
    else if (variant === 'bash') await exec(this.client, DEFAULT_SHELL.join(' '), Buffer.from('true\n'));
    else await exec(this.client, this.#wrapped.command, this.#wrapped.stdin, false);
    return performance.now() - started;
  }

  close(): void {
    this.client.end();
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
