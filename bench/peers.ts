/**
 * What users would use instead of us, run against the same fleet: Debian's `parallel-ssh` (pssh)
 * and a plain `xargs -P` + OpenSSH `ssh` loop. A release of S stages is S invocations, one after
 * the other; each invocation opens fresh connections (neither tool keeps them between commands).
 * Neither has a canary: every stage simply runs on all hosts with P at a time.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PINNED, type BenchFleet, type FleetHost } from './fleet.js';

export type PeerName = 'parallel-ssh' | 'xargs+ssh';

export const PSSH_CANDIDATES = ['/usr/bin/parallel-ssh', '/usr/bin/pssh', '/usr/local/bin/parallel-ssh'];

export function findPssh(): string | null {
  return PSSH_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** OpenSSH client options shared by both peers: no user config, the pinned algorithms, strict host keys. */
export function sshClientOptions(fleet: BenchFleet): string[] {
  return [
    `IdentityFile=${fleet.keyPath}`,
    'IdentitiesOnly=yes',
    `UserKnownHostsFile=${fleet.knownHostsPath}`,
    'GlobalKnownHostsFile=/dev/null',
    'StrictHostKeyChecking=yes',
    'BatchMode=yes',
    `KexAlgorithms=${PINNED.kex}`,
    `Ciphers=${PINNED.cipher}`,
    `HostKeyAlgorithms=${PINNED.hostKey}`,
    'ControlMaster=no',
    'ControlPath=none',
    'ConnectTimeout=10',
    'LogLevel=ERROR',
  ];
}

export interface PeerRun {
  readonly stages: number;
  readonly pool: number;
  readonly hosts: readonly FleetHost[];
  readonly command: string;
}

/** Runs the stages with one peer and returns the wall time in ms (first spawn to last exit). */
export async function runPeer(
  peer: PeerName,
  fleet: BenchFleet,
  pssh: string | null,
  run: PeerRun,
): Promise<number> {
  const started = performance.now();
  for (let s = 0; s < run.stages; s++) {
    if (peer === 'parallel-ssh') {
      if (!pssh) throw new Error('parallel-ssh is not installed');
      await psshStage(pssh, fleet, run);
    } else {
      await xargsStage(fleet, run);
    }
  }
  return performance.now() - started;
}

function psshStage(pssh: string, fleet: BenchFleet, run: PeerRun): Promise<void> {
  return exec(pssh, psshArgs(fleet, run));
}

/** parallel-ssh's arguments for one invocation: the hosts file, P at a time, our ssh options. */
export function psshArgs(fleet: BenchFleet, run: Omit<PeerRun, 'stages'>): string[] {
  const hostsFile = path.join(fleet.dir, `pssh-hosts-${run.hosts.length}`);
  writeFileSync(hostsFile, run.hosts.map((h) => `${h.address}:${h.port}\n`).join(''));
  const args = ['-h', hostsFile, '-l', fleet.user, '-p', String(run.pool), '-t', '120', '-x', '-F /dev/null'];
  for (const o of sshClientOptions(fleet)) args.push('-O', o);
  args.push(run.command);
  return args;
}

function xargsStage(fleet: BenchFleet, run: PeerRun): Promise<void> {
  const ssh = ['ssh', '-F', '/dev/null', ...sshClientOptions(fleet).flatMap((o) => ['-o', o])];
  // All hosts share 127.0.0.1, so the port is the one thing xargs substitutes.
  const args = [
    '-P',
    String(run.pool),
    '-I',
    '{}',
    ...ssh,
    '-p',
    '{}',
    `${fleet.user}@127.0.0.1`,
    run.command,
  ];
  const ports = run.hosts.map((h) => `${h.port}\n`).join('');
  if (run.hosts.some((h) => h.address !== '127.0.0.1'))
    throw new Error('xargs+ssh expects every host on 127.0.0.1');
  return exec('xargs', args, ports);
}

function exec(cmd: string, args: string[], stdin = ''): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const keep = (c: Buffer): void => {
      if (out.length < 8192) out += c.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.stdin.end(stdin);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(cmd)} exited ${code ?? signal}: ${out.trim().slice(-2000)}`));
    });
  });
}
