/**
 * In-process `ssh2` servers standing in for OpenSSH where `sshd` is not installed. They behave
 * like sshd where our transport can tell (publickey auth against authorized_keys, `sh -c` exec
 * with stdin EOF passed on, exit status, MaxSessions, SetEnv, direct-tcpip, the SFTP subset we use) and
 * emulate faults as far as one process can: "freeze" stops reading the sockets, "kill sessions"
 * destroys them. Commands run as the current user.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import ssh2, { type AuthContext, type Connection, type ServerChannel } from 'ssh2';
import { serveSftp } from './sshd-fallback-sftp.js';
import { fleetHostKeyTypes, generateHostKeys, type GeneratedKey, type KeyType } from './sshd-keys.js';
import type { SshdFleet, SshdFleetOptions, SshdHost } from './sshd.js';

export interface FallbackFleetOptions extends SshdFleetOptions {
  dir: string;
  scratchDir: string;
  client: GeneratedKey;
  authorizedKeysPath: string;
}

export async function startFallbackFleet(opts: FallbackFleetOptions): Promise<SshdFleet> {
  const { username: user, uid } = userInfo();
  const hosts: SshdHost[] = [];
  for (let i = 0; i < opts.count; i++) {
    const config = { ...opts.config, ...opts.hostConfig?.(i) };
    const maxSessions = Number(config.MaxSessions ?? 10);
    hosts.push(
      await startFallbackHost(
        `h${i}`,
        join(opts.dir, `h${i}`),
        fleetHostKeyTypes(opts),
        opts.authorizedKeysPath,
        maxSessions,
        String(config.SetEnv ?? ''),
      ),
    );
  }
  const knownHostsPath = join(opts.dir, 'known_hosts');
  await writeFile(knownHostsPath, hosts.map((h) => `[${h.address}]:${h.port} ${h.hostPublicKey}\n`).join(''));
  return {
    kind: 'ssh2-fallback',
    hosts,
    keyPath: opts.client.privatePath,
    knownHostsPath,
    user,
    uid,
    dir: opts.dir,
    scratchDir: opts.scratchDir,
    authorize: (line) => writeFile(opts.authorizedKeysPath, `${line}\n`, { flag: 'a' }),
    stop: async () => {
      await Promise.all(hosts.map((h) => h.stop()));
      await rm(opts.dir, { recursive: true, force: true });
    },
  };
}

/** Whether `ctx` proves possession of a key listed in authorized_keys (re-read each time, like sshd). */
function authorized(ctx: AuthContext, authorizedKeysPath: string): boolean {
  if (ctx.method !== 'publickey') return false;
  const listed = readFileSync(authorizedKeysPath, 'utf8')
    .split('\n')
    .map((line) => ssh2.utils.parseKey(line))
    .filter((k): k is ssh2.ParsedKey => !(k instanceof Error) && !Array.isArray(k));
  const match = listed.find((k) => k.type === ctx.key.algo && k.getPublicSSH().equals(ctx.key.data));
  if (!match) return false;
  // Without a signature the client only asks whether the key would do; it must then sign.
  if (!ctx.signature || !ctx.blob) return true;
  return match.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true;
}

async function startFallbackHost(
  name: string,
  dir: string,
  keyTypes: readonly KeyType[],
  authorizedKeysPath: string,
  maxSessions: number,
  setEnv: string,
): Promise<SshdHost> {
  await mkdir(dir);
  const hostKeys = await generateHostKeys(dir, keyTypes, name);
  const hostKey = hostKeys[0]!;
  const sockets = new Set<Socket>();
  const children = new Set<ChildProcess>();
  let logins = 0;
  let connections = 0;
  const serverKeys = hostKeys.map((k) => readFileSync(k.privatePath));
  const server = new ssh2.Server({ hostKeys: serverKeys }, (client: Connection) => {
    connections += 1;
    const sock = (client as unknown as { _sock: Socket })._sock;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      if (!authorized(ctx, authorizedKeysPath)) return ctx.reject(['publickey']);
      if (ctx.method === 'publickey' && ctx.signature) logins += 1;
      ctx.accept();
    });
    let sessions = 0;
    client.on('session', (accept, reject) => {
      if (sessions >= maxSessions) return reject();
      sessions += 1;
      const session = accept();
      session.on('close', () => (sessions -= 1));
      session.on('exec', (acceptExec, _rejectExec, info) =>
        runExec(acceptExec(), info.command, children, setEnv),
      );
      session.on('sftp', (acceptSftp) => serveSftp(acceptSftp()));
    });
    client.on('tcpip', (accept, reject, info) => {
      const upstream = connect(info.destPort, info.destIP);
      upstream.once('error', () => reject());
      upstream.once('connect', () => {
        const channel = accept();
        channel.pipe(upstream).pipe(channel);
        upstream.on('error', () => channel.destroy());
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  process.stderr.write(`sshd harness: ${name} is an in-process ssh2 server on 127.0.0.1:${port}\n`);
  return {
    name,
    address: '127.0.0.1',
    port,
    pid: process.pid,
    hostPublicKey: hostKey.publicLine,
    hostPublicKeyPath: hostKey.publicPath,
    hostKeys,
    log: async () => '',
    logins: async () => logins,
    connections: async () => connections,
    killSessions: () => sockets.forEach((s) => s.destroy()),
    freeze: () => sockets.forEach((s) => s.pause()),
    thaw: () => sockets.forEach((s) => s.resume()),
    stop: async () => {
      sockets.forEach((s) => s.destroy());
      children.forEach((c) => c.kill('SIGKILL'));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Like sshd without a pty: new session, stdin EOF and channel close reach the command's stdin, nothing is signalled. */
function runExec(channel: ServerChannel, command: string, children: Set<ChildProcess>, setEnv: string): void {
  // sshd_config's `SetEnv NAME=value` (one variable), e.g. a PATH without tar.
  const eq = setEnv.indexOf('=');
  const env = eq > 0 ? { ...process.env, [setEnv.slice(0, eq)]: setEnv.slice(eq + 1) } : process.env;
  // detached: a new session, as sshd gives every command (our wrapper relies on owning its group).
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env });
  children.add(child);
  child.stdin.on('error', () => {});
  channel.on('data', (chunk: Buffer) => child.stdin.write(chunk));
  channel.on('end', () => child.stdin.end());
  channel.on('close', () => child.stdin.destroy());
  child.stdout.on('data', (chunk: Buffer) => channel.write(chunk));
  child.stderr.on('data', (chunk: Buffer) => channel.stderr.write(chunk));
  child.on('close', (code, signal) => {
    children.delete(child);
    if (signal) channel.exit(signal.replace(/^SIG/, ''), false, '');
    else channel.exit(code ?? 255);
    channel.end();
  });
}
