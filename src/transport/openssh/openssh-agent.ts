/**
 * The per-run ssh-agent that holds a key given as text (the action's `ssh-private-key`): the key
 * goes to `ssh-add -` on its stdin and never touches the disk. The agent is a child of ours in the
 * foreground (`-D`), its socket in the run's private directory; stop() kills it, and the exit hook
 * does if the process ends first. An encrypted key's passphrase reaches ssh-add through an askpass
 * script that prints it from ssh-add's environment, never from a file or an argv.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuthError, ConnectError } from '../../contract/errors.js';
import { endOnExit } from './run-cleanup.js';

const PASSPHRASE_VAR = 'BW_SSH_ADD_PASSPHRASE';
const ASKPASS = `#!/bin/sh\nprintf '%s\\n' "$${PASSPHRASE_VAR}"\n`;

export interface Agent {
  readonly socket: string;
  /** Kills the agent; resolves once it has exited (so no process of the run is left behind). */
  stop(): Promise<void>;
}

/** Starts an agent in `dir` and adds `key` to it. */
export async function startAgent(
  binaries: { agent: string; add: string },
  dir: string,
  key: string,
  passphrase: string | undefined,
): Promise<Agent> {
  const socket = join(dir, 'agent');
  const child = spawn(binaries.agent, ['-D', '-a', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  endOnExit(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await agentReady(child);
    await addKey(binaries.add, dir, socket, key, passphrase);
    return { socket, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `-D` prints `SSH_AUTH_SOCK=…` once the socket listens. */
function agentReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('SSH_AUTH_SOCK=')) resolve();
    });
    child.stderr?.resume();
    child.once('error', (err) => reject(new ConnectError(`cannot start ssh-agent: ${err.message}`)));
    child.once('exit', (code) =>
      reject(new ConnectError(`ssh-agent exited (status ${code}) before it was ready`)),
    );
  });
}

async function addKey(
  ssh_add: string,
  dir: string,
  socket: string,
  key: string,
  passphrase: string | undefined,
): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, SSH_AUTH_SOCK: socket };
  if (passphrase) {
    const askpass = join(dir, 'askpass');
    await writeFile(askpass, ASKPASS, { mode: 0o700 });
    await chmod(askpass, 0o700);
    Object.assign(env, {
      SSH_ASKPASS: askpass,
      SSH_ASKPASS_REQUIRE: 'force',
      DISPLAY: env.DISPLAY ?? ':0',
      [PASSPHRASE_VAR]: passphrase,
    });
  }
  const child = spawn(ssh_add, ['-q', '-'], { env, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.on('error', () => {});
  child.stdin.end(key.endsWith('\n') ? key : `${key}\n`);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  // ssh-add's messages name neither the key nor the passphrase.
  if (code !== 0)
    throw new AuthError(
      `ssh-add could not load the private key given inline: ${stderr.trim() || `status ${code}`}`,
    );
}
