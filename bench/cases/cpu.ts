/**
 * Case 4: controller CPU while every host runs `sleep 10` at once. The hosts are connected in a
 * first stage (`true`); CPU is read at the start and end of the waiting stage. The whole worker's
 * CPU (startup, 50 handshakes, both stages) is reported beside it.
 */
import { workerFleet, type BenchContext, type CaseOutput } from '../context.js';
import { runOurs } from '../ours.js';
import { row } from '../rows.js';
import { warmThenRepeat } from './repeat.js';

export async function cpuCase(ctx: BenchContext): Promise<CaseOutput> {
  const { hosts, sleepSeconds } = ctx.plan.cpu;
  const fleet = workerFleet(ctx.fleet, hosts);
  const runs = await warmThenRepeat(
    ctx,
    'cpu',
    async () => (await runOurs({ kind: 'cpu', fleet, command: `sleep ${sleepSeconds}` })).result,
    (r) =>
      `waiting ${r.waitCpuSeconds.toFixed(3)} CPU s over ${(r.waitMs / 1000).toFixed(1)} s; whole ${r.cpuSeconds.toFixed(2)} CPU s`,
    () => runOurs({ kind: 'cpu', fleet, command: 'true' }),
  );
  const label = `${hosts} hosts \`sleep ${sleepSeconds}\``;
  return {
    rows: [
      row(
        {
          case: 'cpu',
          metric: `${label}: controller CPU while waiting`,
          unit: 'CPU s',
          target: { op: '<=', value: 0.3 },
        },
        runs.map((r) => r.waitCpuSeconds),
        ctx.checkTargets,
      ),
      row(
        {
          case: 'cpu',
          metric: `${label}: whole process (start, ${hosts} handshakes, both stages)`,
          unit: 'CPU s',
        },
        runs.map((r) => r.cpuSeconds),
        false,
      ),
    ],
    raw: runs.map((r) => ({
      waitCpuSeconds: r.waitCpuSeconds,
      waitMs: r.waitMs,
      cpuSeconds: r.cpuSeconds,
      runMs: r.runMs,
    })),
  };
}
