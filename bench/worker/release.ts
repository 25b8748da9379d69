/**
 * Our side, driven the way a library user drives it: Runner → Stages → Jobs yielding `remote(…)`,
 * run by the Executor over the SSH transport (behind the same local/remote routing the CLI uses).
 */
import {
  Executor,
  Job,
  LocalTransport,
  RoutingTransport,
  Runner,
  Stage,
  createSshTransport,
  remote,
  type EngineEvent,
  type Host,
  type RunReport,
  type SshOptions,
} from '../../src/index.js';
// Not exported from the package entry (yet): a library user would spell out every field instead.
import { DEFAULT_SSH_OPTIONS } from '../../src/contract/ssh-options.js';
import type { WorkerFleet } from './protocol.js';

export function sshOptionsFor(fleet: WorkerFleet): SshOptions {
  return {
    ...DEFAULT_SSH_OPTIONS,
    user: fleet.user,
    privateKeyPath: fleet.keyPath,
    knownHostsPaths: [fleet.knownHostsPath],
  };
}

export function hostsOf(fleet: WorkerFleet): Host[] {
  return fleet.hosts.map((h) => ({ name: h.name, address: h.address, port: h.port, local: false }));
}

/** A stage running one shell command per host. */
export function commandStage(
  name: string,
  hosts: readonly Host[],
  command: string,
  opts: { pool: number; canary: boolean },
): Stage {
  return Stage.forHosts({
    name,
    hosts,
    poolSize: opts.pool,
    canary: opts.canary,
    job: (host) =>
      Job.of(
        host,
        async function* () {
          yield remote(command);
        },
        'command',
      ),
  });
}

export interface ReleaseRun {
  readonly report: RunReport;
  /** Wall time of `executor.run()`, ms. */
  readonly runMs: number;
  /** When `executor.run()` started, ms since this process started (node, imports, IPC). */
  readonly startedAtMs: number;
  /** Wall time of `transport.close()`, ms. */
  readonly closeMs: number;
}

/**
 * Runs the stages; throws when the release did not succeed. `beforeClose` runs after the release,
 * while every connection is still open.
 */
export async function runRelease(
  fleet: WorkerFleet,
  stages: readonly Stage[],
  hooks: { onEvent?: (e: EngineEvent) => void; beforeClose?: () => void } = {},
): Promise<ReleaseRun> {
  const transport = new RoutingTransport(new LocalTransport(), () =>
    createSshTransport(sshOptionsFor(fleet), {}),
  );
  const executor = new Executor({
    transport,
    release: 'bench',
    ...(hooks.onEvent ? { onEvent: hooks.onEvent } : {}),
  });
  const startedAtMs = performance.now();
  let report: RunReport;
  let runMs: number;
  let closeMs = Number.NaN;
  try {
    report = await executor.run(new Runner({ name: 'bench', stages: [...stages] }));
    runMs = performance.now() - startedAtMs;
    if (report.result !== 'success') throw new Error(`release ${report.result}: ${describeFailure(report)}`);
    hooks.beforeClose?.();
  } finally {
    const closing = performance.now();
    await transport.close();
    closeMs = performance.now() - closing;
  }
  return { report, runMs, startedAtMs, closeMs };
}

function describeFailure(report: RunReport): string {
  const failed = report.stages.flatMap((s) =>
    s.jobs.filter((j) => j.result !== 'success').map((j) => ({ s, j })),
  );
  const first = failed[0];
  const detail = first ? `${first.s.name} / ${first.j.host}: ${first.j.error ?? first.j.result}` : '';
  return [report.reason, `${failed.length} job(s) not successful`, detail].filter(Boolean).join('; ');
}
