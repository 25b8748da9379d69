/** Case 3: 200 sequential `true` steps on one warm connection; per-step median and p95. */
import { workerFleet, type BenchContext, type CaseOutput } from '../context.js';
import { runOurs } from '../ours.js';
import { row } from '../rows.js';
import { median, percentile } from '../stats.js';
import { warmThenRepeat } from './repeat.js';

export async function latencyCase(ctx: BenchContext): Promise<CaseOutput> {
  const { steps } = ctx.plan.latency;
  const runs = await warmThenRepeat(
    ctx,
    'latency',
    async () => (await runOurs({ kind: 'latency', fleet: workerFleet(ctx.fleet, 1), steps })).result.stepMs,
    (ms) => `median ${median(ms).toFixed(2)} ms, p95 ${percentile(ms, 95).toFixed(2)} ms`,
  );
  const label = `${steps} sequential \`true\` steps, one connection`;
  return {
    rows: [
      row(
        { case: 'latency', metric: `${label}: median`, unit: 'ms', target: { op: '<=', value: 5 } },
        runs.map((ms) => median(ms)),
        ctx.checkTargets,
      ),
      row(
        { case: 'latency', metric: `${label}: p95`, unit: 'ms' },
        runs.map((ms) => percentile(ms, 95)),
        false,
      ),
    ],
    raw: { steps, stepMs: runs },
  };
}
