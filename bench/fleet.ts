/**
 * The bench's fleet: the project's real-sshd test harness (`__tests__/support/sshd.ts`), started
 * with benchmark settings. The key exchange, cipher and host-key algorithm are pinned on the server
 * side, so every client compared (ours, parallel-ssh, ssh) negotiates exactly the same ones; sshd's
 * MaxStartups is raised far above any fan-out here; logging is quiet so sshd does not spend the
 * machine's cores on it. The in-process ssh2 fallback of the harness is refused: it is no benchmark.
 */
import { readFileSync } from 'node:fs';
import { startSshdFleet, type SshdFleet } from '../__tests__/support/sshd.js';

/** What every tool is forced to negotiate. */
export const PINNED = Object.freeze({
  kex: 'curve25519-sha256',
  cipher: 'aes128-gcm@openssh.com',
  hostKey: 'ssh-ed25519',
});

export interface FleetHost {
  readonly name: string;
  readonly address: string;
  readonly port: number;
}

export interface BenchFleet {
  readonly hosts: readonly FleetHost[];
  /** The account every tool logs in as (the harness's plain-shell user when run as root). */
  readonly user: string;
  /** Client private key (ed25519, unencrypted). */
  readonly keyPath: string;
  readonly knownHostsPath: string;
  /** Scratch directory of the fleet (the bench writes its host lists here). */
  readonly dir: string;
  /** A directory every tool's login user may write into (upload targets). */
  readonly scratchDir: string;
  stop(): Promise<void>;
}

export const BENCH_SSHD_CONFIG = Object.freeze({
  KexAlgorithms: PINNED.kex,
  Ciphers: PINNED.cipher,
  HostKeyAlgorithms: PINNED.hostKey,
  PubkeyAcceptedAlgorithms: PINNED.hostKey,
  // start:rate:full — never refuse or randomly drop a handshake in these fan-outs.
  MaxStartups: '1000:30:1000',
  LogLevel: 'ERROR',
});

export async function startBenchFleet(count: number): Promise<BenchFleet> {
  const fleet: SshdFleet = await startSshdFleet({
    count,
    config: { ...BENCH_SSHD_CONFIG },
    portsFrom: portsBelowEphemeral(count),
    startConcurrency: 8,
  });
  if (fleet.kind !== 'openssh') {
    await fleet.stop();
    throw new Error(
      'the bench needs OpenSSH sshd (apt-get install openssh-server); the ssh2 fallback is no benchmark',
    );
  }
  return {
    hosts: fleet.hosts.map((h) => ({ name: h.name, address: h.address, port: h.port })),
    user: fleet.user,
    keyPath: fleet.keyPath,
    knownHostsPath: fleet.knownHostsPath,
    dir: fleet.dir,
    scratchDir: fleet.scratchDir,
    stop: () => fleet.stop(),
  };
}

/**
 * Where the fleet listens: a block of ports just below the kernel's ephemeral range, so the
 * thousands of outgoing connections of a run (ours and the peers') can never take a host's port.
 */
export function portsBelowEphemeral(count: number): number {
  let low = 32768;
  try {
    low =
      Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the usual default
  }
  return Math.max(1024, low - count - 1000);
}
