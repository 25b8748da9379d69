/** Our side of each case, run inside a fresh worker process so figures never mix between cases. */
import { readdirSync, readlinkSync } from 'node:fs';
import { Job, Stage, remote } from '../../src/index.js';
import { RawExecProbe, VARIANTS } from './exec-breakdown.js';
import type { HandshakeStats } from './handshake-probe.js';
import type { Variant, WorkerResult, WorkerResultBase, WorkerTask } from './protocol.js';
import { commandStage, hostsOf, runRelease, sshOptionsFor, type ReleaseRun } from './release.js';
import { uploadTask } from './upload-task.js';

type Task<K extends WorkerTask['kind']> = Extract<WorkerTask, { kind: K }>;

export async function runTask(task: WorkerTask, probe: () => HandshakeStats): Promise<WorkerResult> {
  const base = (run: Omit<ReleaseRun, 'report'>): WorkerResultBase => ({
    handshakes: probe(),
    maxHandshakes: sshOptionsFor(task.fleet).maxHandshakes,
    cpuSeconds: cpuSeconds(),
    maxRssMB: maxRssMB(),
    runMs: run.runMs,
    startupMs: run.startedAtMs,
    closeMs: run.closeMs,
  });
  switch (task.kind) {
    case 'fanout':
      return fanout(task, base);
    case 'latency':
      return latency(task, base);
    case 'cpu':
      return cpu(task, base);
    case 'memory':
      return memory(task, base);
    case 'throughput':
      return throughput(task, base);
    case 'handshakes':
      return handshakes(task, base);
    case 'upload':
      return uploadTask(task, base, rssMB);
  }
}

export type Base = (run: Omit<ReleaseRun, 'report'>) => WorkerResultBase;

/** S stages of one command on every host, canary on, pool P. */
async function fanout(task: Task<'fanout'>, base: Base): Promise<WorkerResult> {
  const hosts = hostsOf(task.fleet);
  const stages = Array.from({ length: task.stages }, (_, i) =>
    commandStage(`stage ${i + 1}`, hosts, task.command, { pool: task.pool, canary: task.canary }),
  );
  const stageMs: number[] = [];
  const run = await runRelease(task.fleet, stages, {
    onEvent: (e) => {
      if (e.type === 'stage-end') stageMs.push(e.stage.durationMs);
    },
  });
  return { kind: 'fanout', stageMs, ...base(run) };
}

/**
 * One job on one host: a warm-up `true` (opens the connection), then `steps` timed `true` steps.
 * After each step, one `true` of each raw variant (exec-breakdown.ts) on a second connection.
 */
async function latency(task: Task<'latency'>, base: Base): Promise<WorkerResult> {
  const [host] = hostsOf(task.fleet);
  const [fleetHost] = task.fleet.hosts;
  if (!host || !fleetHost) throw new Error('latency needs one host');
  const probe = await RawExecProbe.open(task.fleet, fleetHost);
  const stepMs: number[] = [];
  const rawMs = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  const job = Job.of(
    host,
    async function* () {
      yield remote('true');
      for (const v of VARIANTS) await probe.time(v);
      for (let i = 0; i < task.steps; i++) {
        const started = performance.now();
        yield remote('true');
        stepMs.push(performance.now() - started);
        for (const v of VARIANTS) rawMs[v].push(await probe.time(v));
      }
    },
    'latency',
  );
  try {
    const run = await runRelease(task.fleet, [
      new Stage({ name: 'latency', canary: false, jobs: () => [job] }),
    ]);
    return { kind: 'latency', stepMs, rawMs, ...base(run) };
  } finally {
    probe.close();
  }
}

/** Connect every host (`true`), then all of them run the command at once; CPU is read around that stage. */
async function cpu(task: Task<'cpu'>, base: Base): Promise<WorkerResult> {
  const hosts = hostsOf(task.fleet);
  const all = { pool: hosts.length, canary: false };
  let cpuAtStart = 0;
  let waitCpuSeconds = Number.NaN;
  let startedAt = 0;
  let waitMs = Number.NaN;
  const run = await runRelease(
    task.fleet,
    [commandStage('connect', hosts, 'true', all), commandStage('wait', hosts, task.command, all)],
    {
      onEvent: (e) => {
        if (e.type === 'stage-start' && e.stage === 'wait') {
          cpuAtStart = cpuSeconds();
          startedAt = performance.now();
        } else if (e.type === 'stage-end' && e.stage.name === 'wait') {
          waitCpuSeconds = cpuSeconds() - cpuAtStart;
          waitMs = performance.now() - startedAt;
        }
      },
    },
  );
  return { kind: 'cpu', waitCpuSeconds, waitMs, ...base(run) };
}

/** Every host connected at once: one `true` on each (connections stay open until the end). */
async function memory(task: Task<'memory'>, base: Base): Promise<WorkerResult> {
  const hosts = hostsOf(task.fleet);
  const baselineRssMB = rssMB();
  let connectedRssMB = Number.NaN;
  let openSockets = 0;
  const run = await runRelease(
    task.fleet,
    [commandStage('connect', hosts, 'true', { pool: task.pool, canary: false })],
    {
      beforeClose: () => {
        connectedRssMB = rssMB();
        openSockets = countSockets();
      },
    },
  );
  return { kind: 'memory', baselineRssMB, connectedRssMB, openSockets, ...base(run) };
}

/** One host prints `bytes` of `lineBytes`-long lines; we count what arrives as output events. */
async function throughput(task: Task<'throughput'>, base: Base): Promise<WorkerResult> {
  const [host] = hostsOf(task.fleet);
  if (!host) throw new Error('throughput needs one host');
  const payload = 'x'.repeat(task.lineBytes - 1);
  // `yes` dies of SIGPIPE when head is done; under pipefail that would fail the step.
  const command = `(yes '${payload}' || :) | head -c ${task.bytes}`;
  let rssBeforeMB = Number.NaN;
  let stepMs = Number.NaN;
  let bytesSeen = 0;
  let linesSeen = 0;
  const job = Job.of(
    host,
    async function* () {
      yield remote('true');
      rssBeforeMB = rssMB();
      const started = performance.now();
      yield remote(command);
      stepMs = performance.now() - started;
    },
    'throughput',
  );
  const run = await runRelease(
    task.fleet,
    [new Stage({ name: 'output', canary: false, jobs: () => [job] })],
    {
      onEvent: (e) => {
        if (e.type === 'output') {
          linesSeen++;
          bytesSeen += e.line.length + 1;
        }
      },
    },
  );
  return { kind: 'throughput', stepMs, bytesSeen, linesSeen, rssBeforeMB, ...base(run) };
}

/** Every host at once (pool = N, no canary), so the transport's handshake cap does the limiting. */
async function handshakes(task: Task<'handshakes'>, base: Base): Promise<WorkerResult> {
  const hosts = hostsOf(task.fleet);
  const run = await runRelease(task.fleet, [
    commandStage('connect', hosts, 'true', { pool: task.pool, canary: false }),
  ]);
  return { kind: 'handshakes', allConnectedMs: run.runMs, ...base(run) };
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function rssMB(): number {
  return process.memoryUsage.rss() / 1e6;
}

/** Peak RSS of this process so far (the kernel's high-water mark). */
function maxRssMB(): number {
  return (process.resourceUsage().maxRSS * 1024) / 1e6;
}

function countSockets(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed between readdir and readlink
    }
  }
  return n;
}
