/** Builders shared by the engine tests: hosts, one-command jobs, and a run that records its events. */
import type { EngineEvent } from '../../src/engine/report/events.js';
import { Executor, type ExecutorOptions } from '../../src/engine/schedule/executor.js';
import type { Host } from '../../src/contract/host.js';
import { Job, type JobBody, type JobContext } from '../../src/engine/model/job.js';
import type { RunReport } from '../../src/engine/report/report.js';
import { Runner, type RunnerOptions } from '../../src/engine/model/runner.js';
import { Stage, type StageOptions } from '../../src/engine/model/stage.js';
import { remote } from '../../src/engine/model/subtask.js';
import { FakeTransport, type FakeScript } from '../support/fake-transport.js';

export function host(name: string): Host {
  return { name, address: `${name}.test`, port: 22, local: false };
}

export function hosts(n: number, prefix = 'web'): Host[] {
  return Array.from({ length: n }, (_, i) => host(`${prefix}-${i + 1}`));
}

/** A job that runs one remote command. */
export function commandJob(h: Host, script = 'deploy'): Job {
  return Job.of(h, async function* () {
    yield remote(script);
  });
}

export function bodyJob(h: Host, body: (ctx: JobContext) => JobBody): Job {
  return Job.of(h, body);
}

/** A stage with one `deploy` job per host. */
export function stage(opts: Omit<StageOptions, 'jobs'> & { hosts: readonly Host[]; script?: string }): Stage {
  const { hosts: list, script, ...rest } = opts;
  return new Stage({ ...rest, jobs: () => list.map((h) => commandJob(h, script)) });
}

export interface RunOutcome {
  report: RunReport;
  events: EngineEvent[];
  transport: FakeTransport;
}

export async function run(
  stages: RunnerOptions['stages'],
  opts: { script?: FakeScript; transport?: FakeTransport; runner?: Partial<RunnerOptions> } & Partial<
    Omit<ExecutorOptions, 'transport'>
  > = {},
): Promise<RunOutcome> {
  const { script, transport: given, runner: runnerOpts, onEvent, ...executorOpts } = opts;
  const transport = given ?? new FakeTransport(script);
  const events: EngineEvent[] = [];
  const executor = new Executor({
    transport,
    release: 'r1',
    ...executorOpts,
    onEvent: (e) => {
      events.push(e);
      onEvent?.(e);
    },
  });
  const report = await executor.run(new Runner({ name: 'deploy', stages, ...runnerOpts }));
  return { report, events, transport };
}

/** Results of the jobs of stage `i`, in stage order. */
export function results(report: RunReport, i = 0): string[] {
  return (report.stages[i]?.jobs ?? []).map((j) => j.result);
}

export function ofType<T extends EngineEvent['type']>(events: EngineEvent[], type: T) {
  return events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type);
}
