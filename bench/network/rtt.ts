/**
 * Round trips through the delay proxy: a new connection and a warm step, ours (the worker, as in
 * the latency and handshakes cases) against OpenSSH's client with a ControlMaster.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { BenchFleet } from '../fleet.js';
import { runOurs } from '../ours.js';
import { sshClientOptions } from '../peers.js';
import { median } from '../stats.js';
import type { WorkerFleet } from '../worker/protocol.js';
import type { DelayedFleet } from './delayed.js';
import type { RttRep } from './spec.js';

/** Wall time of one command, ms; rejects with its stderr when it fails. */
function timed(cmd: string, args: readonly string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${stderr.slice(-1000)}`)),
    );
  });
}

/** OpenSSH to the first delayed host: master up, `steps` commands through it, fresh connections. */
async function openssh(
  fleet: BenchFleet,
  delayed: DelayedFleet,
  steps: number,
): Promise<Omit<RttRep, `ours${string}` | 'rawExecMs'>> {
  const host = delayed.hosts[0];
  if (!host) throw new Error('no delayed host');
  const sock = join(fleet.dir, 'lab-cm.sock');
  const base = sshClientOptions({ ...fleet, knownHostsPath: delayed.knownHostsPath });
  // The first value of an option wins, so these go before the shared ones (ControlMaster=no).
  const ssh = (cm: string[]): string[] => [
    '-F',
    '/dev/null',
    ...[...cm, ...base].flatMap((o) => ['-o', o]),
    '-p',
    String(host.port),
    `${fleet.user}@${host.address}`,
  ];
  const mux = [`ControlPath=${sock}`];
  const sshConnectMs = await timed('ssh', [
    '-fN',
    ...ssh(['ControlMaster=yes', 'ControlPersist=no', ...mux]),
  ]);
  const stepMs: number[] = [];
  try {
    for (let i = 0; i < steps; i++)
      stepMs.push(await timed('ssh', [...ssh(['ControlMaster=no', ...mux]), 'true']));
  } finally {
    await timed('ssh', ['-O', 'exit', ...ssh(mux)]).catch(() => 0);
  }
  const freshMs: number[] = [];
  for (let i = 0; i < 3; i++) freshMs.push(await timed('ssh', [...ssh([]), 'true']));
  return { sshConnectMs, sshStepMs: median(stepMs), sshFreshMs: median(freshMs) };
}

export async function rttRep(
  fleet: BenchFleet,
  delayed: DelayedFleet,
  hosts: number,
  steps: number,
): Promise<RttRep> {
  const wf = (count: number): WorkerFleet => ({
    hosts: delayed.hosts.slice(0, count),
    user: fleet.user,
    keyPath: fleet.keyPath,
    knownHostsPath: delayed.knownHostsPath,
  });
  const hs = await runOurs({ kind: 'handshakes', fleet: wf(hosts), pool: hosts });
  if (hs.result.handshakes.failed || hs.result.handshakes.durationsMs.length !== hosts)
    throw new Error(
      `network: ${hs.result.handshakes.failed} of ${hosts} handshakes through the delay proxy failed`,
    );
  const lat = await runOurs({ kind: 'latency', fleet: wf(1), steps });
  return {
    oursConnectMs: median(hs.result.handshakes.durationsMs),
    oursStepMs: median(lat.result.stepMs),
    rawExecMs: median(lat.result.rawMs.bare),
    ...(await openssh(fleet, delayed, steps)),
  };
}
