import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { CLI_NODE_FLAGS } from './ours.js';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cpus: number;
  readonly memGiB: number;
  readonly kernel: string;
  readonly node: string;
  /** Flags every worker (our side) runs with: the CLI's, from its shebang. */
  readonly nodeFlags: readonly string[];
  readonly openssh: string;
  readonly pssh: string | null;
  /** 1-minute load average when the run started: how busy the shared machine was. */
  readonly loadAvg1: number;
}

export function describeMachine(psshPath: string | null): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    nodeFlags: CLI_NODE_FLAGS,
    openssh: versionOf('ssh', ['-V']),
    pssh: psshPath ? versionOf(psshPath, ['--version']) : null,
    loadAvg1: loadAvg1(),
  };
}

export function loadAvg1(): number {
  return Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
}

function versionOf(cmd: string, args: string[]): string {
  // `ssh -V` prints on stderr, `--version` on stdout.
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || 'unknown';
}
