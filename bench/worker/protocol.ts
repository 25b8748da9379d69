/** Messages between the bench (parent) and a worker process that runs our side of one case. */
import type { FleetHost } from '../fleet.js';
import type { HandshakeStats } from './handshake-probe.js';

/** How a command is started in the exec-breakdown probe: bare, under bash, under our wrapper. */
export type Variant = 'bare' | 'bash' | 'wrapper';

export interface WorkerFleet {
  readonly hosts: readonly FleetHost[];
  readonly user: string;
  readonly keyPath: string;
  readonly knownHostsPath: string;
}

export type WorkerTask =
  | { kind: 'fanout'; fleet: WorkerFleet; stages: number; pool: number; canary: boolean; command: string }
  | { kind: 'latency'; fleet: WorkerFleet; steps: number }
  | { kind: 'cpu'; fleet: WorkerFleet; command: string }
  | { kind: 'memory'; fleet: WorkerFleet; pool: number }
  | { kind: 'throughput'; fleet: WorkerFleet; bytes: number; lineBytes: number }
  | { kind: 'handshakes'; fleet: WorkerFleet; pool: number }
  | {
      kind: 'upload';
      fleet: WorkerFleet;
      from: string;
      /** Target per host: `{host}` is replaced by the host's name. */
      to: string;
      linkFrom?: string;
      compress: boolean | 'auto';
      canary: boolean;
      /**
       * Run a stage of `true` on every host first, so that the upload stage starts connected (the
       * upload case, which times that stage). Off in the network lab, where the wall time is the
       * figure and the upload stage connects its hosts itself, as a release whose first stage
       * uploads does.
       */
      connectFirst: boolean;
    };

export interface WorkerResultBase {
  readonly handshakes: HandshakeStats;
  /** The transport's cap on concurrent handshakes, as configured. */
  readonly maxHandshakes: number;
  /** Controller CPU (user + system) of the whole worker, seconds, at the end of the run. */
  readonly cpuSeconds: number;
  /** Peak resident set of the worker, MB (10^6 bytes). */
  readonly maxRssMB: number;
  /** Wall time of `executor.run()`, ms. */
  readonly runMs: number;
  /** From process start to `executor.run()` (node, imports, IPC), ms. */
  readonly startupMs: number;
  /** Wall time of `transport.close()`, ms. */
  readonly closeMs: number;
}

export type WorkerResult =
  | ({ kind: 'fanout'; stageMs: number[] } & WorkerResultBase)
  | ({ kind: 'latency'; stepMs: number[]; rawMs: Record<Variant, number[]> } & WorkerResultBase)
  | ({ kind: 'cpu'; waitCpuSeconds: number; waitMs: number } & WorkerResultBase)
  | ({
      kind: 'memory';
      baselineRssMB: number;
      connectedRssMB: number;
      openSockets: number;
    } & WorkerResultBase)
  | ({
      kind: 'throughput';
      stepMs: number;
      bytesSeen: number;
      linesSeen: number;
      rssBeforeMB: number;
    } & WorkerResultBase)
  | ({ kind: 'handshakes'; allConnectedMs: number } & WorkerResultBase)
  | ({
      kind: 'upload';
      /** The upload stage's wall time (the connect stage before it is not counted). */
      stageMs: number;
      bytes: number;
      bytesSent: number;
      filesLinked: number;
      /** What the transport chose and why (`gzip: …`, `raw: …`), from the first host's result. */
      compression?: string;
      /** RSS when the upload stage started (connections open), MB. */
      rssBeforeMB: number;
    } & WorkerResultBase);

export type WorkerReply = { ok: true; result: WorkerResult } | { ok: false; error: string };
