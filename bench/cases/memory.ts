/** Case 5a: peak RSS of the controller with 200 hosts connected at once. */
import { workerFleet, type BenchContext, type CaseOutput } from '../context.js';
import { runOurs } from '../ours.js';
import { row } from '../rows.js';
import { warmThenRepeat } from './repeat.js';

export async function memoryCase(ctx: BenchContext): Promise<CaseOutput> {
  const { hosts, pool } = ctx.plan.memory;
  const runs = await warmThenRepeat(
    ctx,
    'memory',
    async () => (await runOurs({ kind: 'memory', fleet: workerFleet(ctx.fleet, hosts), pool })).result,
    (r) =>
      `peak ${r.maxRssMB.toFixed(1)} MB (start ${r.baselineRssMB.toFixed(1)} MB), ${r.openSockets} sockets open`,
  );
  const short = runs.find((r) => r.openSockets < hosts);
  if (short) ctx.note(`memory: only ${short.openSockets} sockets were open with ${hosts} hosts "connected"`);
  return {
    rows: [
      row(
        {
          case: 'memory',
          metric: `peak RSS, ${hosts} hosts connected`,
          unit: 'MB',
          target: { op: '<=', value: 200 },
        },
        runs.map((r) => r.maxRssMB),
        ctx.checkTargets,
      ),
      row(
        { case: 'memory', metric: 'RSS before connecting (node + library)', unit: 'MB' },
        runs.map((r) => r.baselineRssMB),
        false,
      ),
    ],
    raw: runs.map(({ maxRssMB, baselineRssMB, connectedRssMB, openSockets, runMs }) => ({
      maxRssMB,
      baselineRssMB,
      connectedRssMB,
      openSockets,
      runMs,
    })),
  };
}
