/**
 * Real OpenSSH servers for tests and benchmarks: `startSshdFleet({ count })` starts one `sshd`
 * process per "host" on a free loopback port, each with its own host key, logging to its own file
 * (so logins can be counted), all accepting one generated client key. Plain functions, no Jest:
 * `bench/` reuses it.
 *
 * Where `sshd` is not installed the fleet falls back to in-process `ssh2` servers and says so on
 * stderr; with BW_REQUIRE_SSHD=1 (CI) that is an error instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFallbackFleet } from './sshd-fallback.js';
import {
  fleetHostKeyTypes,
  generateHostKeys,
  generateKey,
  type HostKeyFile,
  type KeyType,
} from './sshd-keys.js';
import { freePort, portCursor, waitForBanner } from './sshd-net.js';
import { descendants, signalAll } from './sshd-procs.js';
import { ensureLoginUser } from './sshd-user.js';

/** sshd_config keywords → values. Later sources win; keys compare case-insensitively; '' leaves the keyword out (e.g. `Subsystem: ''`: no SFTP). */
export type SshdConfig = Record<string, string | number>;

export interface SshdFleetOptions {
  count: number;
  /** Extra or replaced sshd_config lines for every host, e.g. `{ MaxSessions: 2 }`. */
  config?: SshdConfig;
  /** Per-host additions, by index. */
  hostConfig?: (index: number) => SshdConfig;
  /** Host key type of every host (default ed25519). */
  hostKeyType?: KeyType;
  /**
   * Several host keys per host, of these types (the first is `hostPublicKey`); wins over
   * `hostKeyType`. Which one a client gets depends on the algorithms it offers.
   */
  hostKeyTypes?: readonly KeyType[];
  /** More public keys (authorized_keys lines) allowed to log in besides the fleet's own. */
  authorizedKeys?: readonly string[];
  /**
   * Listen on ports from this one upward, each host on the next free one. For a big fleet: below
   * the kernel's ephemeral range (`ip_local_port_range`), no outgoing connection can take a port
   * between the check and sshd's bind. Default: a port the kernel picks for each host.
   */
  portsFrom?: number;
  /** How many hosts start at once. Default 1. */
  startConcurrency?: number;
}

export interface SshdHost {
  /** `h0`, `h1`, … */
  name: string;
  address: string;
  port: number;
  /** The listening server's pid (for the fallback: this process). */
  pid: number;
  /** `ssh-ed25519 AAAA… h0` of this host's key. */
  hostPublicKey: string;
  /** File holding `hostPublicKey` (for `ssh-keygen -l`). */
  hostPublicKeyPath: string;
  /** Every host key of the host, first `hostPublicKey` (see `hostKeyTypes`). */
  hostKeys: HostKeyFile[];
  /** Successful logins so far (counted in the server's log). */
  logins(): Promise<number>;
  /** TCP connections accepted so far, logged in or not. */
  connections(): Promise<number>;
  log(): Promise<string>;
  /** Kill every per-connection sshd process: clients see their connection drop. */
  killSessions(signal?: NodeJS.Signals): void;
  /** SIGSTOP the server and everything under it (a hung host); `thaw` resumes it. */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

export interface SshdFleet {
  kind: 'openssh' | 'ssh2-fallback';
  hosts: SshdHost[];
  /** Client private key (OpenSSH ed25519, no passphrase) every host accepts. */
  keyPath: string;
  /** known_hosts with a `[127.0.0.1]:port` entry per host. */
  knownHostsPath: string;
  /** The account to log in as. */
  user: string;
  /** Its uid: what files written over SSH are owned by. */
  uid: number;
  /** Working directory of the fleet (keys, configs, logs). */
  dir: string;
  /** A directory the login user can write to, for marker files and uploads. */
  scratchDir: string;
  /** Adds an authorized_keys line on every host (takes effect for the next login). */
  authorize(publicLine: string): Promise<void>;
  stop(): Promise<void>;
}

export const SSHD_PATHS = ['/usr/sbin/sshd', '/usr/local/sbin/sshd', '/usr/bin/sshd'];

/** The sshd binary, unless absent or BW_FORCE_SSH2_FALLBACK=1 (to exercise the fallback on purpose). */
export function findSshd(): string | undefined {
  if (process.env.BW_FORCE_SSH2_FALLBACK === '1') return undefined;
  return SSHD_PATHS.find((p) => existsSync(p));
}

export async function startSshdFleet(opts: SshdFleetOptions): Promise<SshdFleet> {
  const sshd = findSshd();
  const dir = await mkdtemp(join(tmpdir(), 'bw-sshd-'));
  // The login user (not root) reads authorized_keys and writes into scratch.
  await chmod(dir, 0o755);
  const scratchDir = join(dir, 'scratch');
  await mkdir(scratchDir);
  await chmod(scratchDir, 0o1777);
  const client = await generateKey(join(dir, 'client_key'), { comment: 'bw-fleet' });
  const authorizedKeysPath = join(dir, 'authorized_keys');
  await writeFile(authorizedKeysPath, [client.publicLine, ...(opts.authorizedKeys ?? [])].join('\n') + '\n', {
    mode: 0o644,
  });

  if (!sshd) {
    if (process.env.BW_REQUIRE_SSHD === '1') {
      await rm(dir, { recursive: true, force: true });
      throw new Error(
        process.env.BW_FORCE_SSH2_FALLBACK === '1'
          ? 'BW_REQUIRE_SSHD=1 and BW_FORCE_SSH2_FALLBACK=1 contradict each other'
          : `BW_REQUIRE_SSHD=1 but no sshd found (looked in ${SSHD_PATHS.join(', ')})`,
      );
    }
    process.stderr.write(
      'sshd harness: OpenSSH sshd not found, using in-process ssh2 servers (fewer faults)\n',
    );
    return startFallbackFleet({ ...opts, dir, scratchDir, client, authorizedKeysPath });
  }

  const user = await ensureLoginUser();
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const ports = opts.portsFrom === undefined ? freePort : portCursor(opts.portsFrom);
  const hosts: SshdHost[] = [];
  let next = 0;
  let failure: unknown;
  const starter = async (): Promise<void> => {
    while (next < opts.count && failure === undefined) {
      const i = next++;
      try {
        hosts[i] = await startOneSshd(sshd, dir, i, user.name, authorizedKeysPath, opts, ports);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.startConcurrency ?? 1) }, starter));
  if (failure !== undefined) {
    await Promise.all(hosts.filter(Boolean).map((h) => h.stop()));
    await rm(dir, { recursive: true, force: true });
    throw failure;
  }
  const knownHostsPath = join(dir, 'known_hosts');
  await writeFile(knownHostsPath, hosts.map((h) => `[${h.address}]:${h.port} ${h.hostPublicKey}\n`).join(''));
  return {
    kind: 'openssh',
    hosts,
    keyPath: client.privatePath,
    knownHostsPath,
    user: user.name,
    uid: user.uid,
    dir,
    scratchDir,
    authorize: (line) => appendFile(authorizedKeysPath, `${line}\n`),
    stop: async () => {
      await Promise.all(hosts.map((h) => h.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function renderConfig(entries: SshdConfig[]): string {
  const merged = new Map<string, [string, string | number]>();
  for (const source of entries)
    for (const [k, v] of Object.entries(source)) merged.set(k.toLowerCase(), [k, v]);
  return (
    [...merged.values()]
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k} ${v}`)
      .join('\n') + '\n'
  );
}

async function startOneSshd(
  sshd: string,
  fleetDir: string,
  index: number,
  user: string,
  authorizedKeysPath: string,
  opts: SshdFleetOptions,
  ports: () => Promise<number>,
): Promise<SshdHost> {
  const dir = join(fleetDir, `h${index}`);
  await mkdir(dir);
  const hostKeys = await generateHostKeys(dir, fleetHostKeyTypes(opts), `h${index}`);
  const logPath = join(dir, 'sshd.log');
  // A free port can be taken between our probe and sshd's bind; try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await ports();
    const configPath = join(dir, 'sshd_config');
    const config = renderConfig([
      {
        Port: port,
        ListenAddress: '127.0.0.1',
        // renderConfig keeps one value per keyword; sshd takes HostKey repeatedly, one per line.
        HostKey: hostKeys.map((k) => k.privatePath).join('\nHostKey '),
        PidFile: 'none',
        AuthorizedKeysFile: authorizedKeysPath,
        AllowUsers: user,
        UsePAM: 'no',
        StrictModes: 'no',
        PubkeyAuthentication: 'yes',
        PasswordAuthentication: 'no',
        KbdInteractiveAuthentication: 'no',
        PermitRootLogin: 'no',
        MaxStartups: '100:30:200',
        MaxSessions: 10,
        MaxAuthTries: 20,
        UseDNS: 'no',
        PrintMotd: 'no',
        PrintLastLog: 'no',
        LogLevel: 'VERBOSE',
        Subsystem: 'sftp internal-sftp',
      },
      opts.config ?? {},
      opts.hostConfig?.(index) ?? {},
    ]);
    await writeFile(configPath, config);
    // -D: stay in the foreground (we own the process); -E: log to a file we can count logins in.
    const child: ChildProcess = spawn(sshd, ['-D', '-f', configPath, '-E', logPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    let exited = false;
    child.on('exit', () => (exited = true));
    try {
      await waitForBanner(port, 5000, () => exited);
      return makeHost(`h${index}`, port, child, logPath, hostKeys);
    } catch (err) {
      child.kill('SIGKILL');
      const log = await readFile(logPath, 'utf8').catch(() => '');
      if (attempt < 10 && /Address already in use|Cannot bind/i.test(log + stderr)) continue;
      throw new Error(`sshd h${index} did not start: ${(err as Error).message}\n${stderr}\n${log}`);
    }
  }
}

function countLines(text: string, needle: string): number {
  return text.split('\n').filter((l) => l.includes(needle)).length;
}

/** Whether this sshd understands a config keyword (e.g. UnusedConnectionTimeout, new in OpenSSH 9.2). */
export async function sshdSupports(keyword: string, value: string): Promise<boolean> {
  const sshd = findSshd();
  if (!sshd) return false;
  const dir = await mkdtemp(join(tmpdir(), 'bw-sshd-probe-'));
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  try {
    const key = await generateKey(join(dir, 'k'));
    await writeFile(join(dir, 'cfg'), `HostKey ${key.privatePath}\n${keyword} ${value}\n`);
    return await new Promise<boolean>((resolve) => {
      const child = spawn(sshd, ['-t', '-f', join(dir, 'cfg')], { stdio: 'ignore' });
      child.on('exit', (code) => resolve(code === 0));
      child.on('error', () => resolve(false));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function makeHost(
  name: string,
  port: number,
  child: ChildProcess,
  logPath: string,
  hostKeys: HostKeyFile[],
): SshdHost {
  const hostKey = hostKeys[0]!;
  const pid = child.pid ?? 0;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const log = (): Promise<string> => readFile(logPath, 'utf8').catch(() => '');
  return {
    name,
    address: '127.0.0.1',
    port,
    pid,
    hostPublicKey: hostKey.publicLine,
    hostPublicKeyPath: hostKey.publicPath,
    hostKeys,
    log,
    logins: async () => countLines(await log(), 'Accepted publickey for'),
    connections: async () => countLines(await log(), 'Connection from '),
    // Each connection is served by a child of the listener (the privileged monitor) and its
    // unprivileged child, which holds the socket. Killing both drops the connection the way a
    // crashed or restarted server does; the user's commands are left to fend for themselves.
    killSessions: (signal = 'SIGKILL') => signalAll(descendants(pid, 'sshd'), signal),
    freeze: () => signalAll([pid, ...descendants(pid)], 'SIGSTOP'),
    thaw: () => signalAll([pid, ...descendants(pid)], 'SIGCONT'),
    stop: async () => {
      const all = [pid, ...descendants(pid)];
      signalAll(all, 'SIGCONT');
      signalAll(all, 'SIGKILL');
      await exited;
    },
  };
}
