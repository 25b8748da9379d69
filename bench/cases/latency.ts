/**
 * Case 3: 200 sequential `true` steps on one warm connection; per-step median and p95 through the
 * engine. Beside it, the breakdown (bench/worker/exec-breakdown.ts): interleaved with those steps,
 * the same `true` on a raw ssh2 connection at three depths, to show where the time goes.
 */
import { workerFleet, type BenchContext, type CaseOutput } from '../context.js';
import { runOurs } from '../ours.js';
import { row, type Row } from '../rows.js';
import { median, percentile } from '../stats.js';
import { VARIANTS } from '../worker/exec-breakdown.js';
import { warmThenRepeat } from './repeat.js';

const BREAKDOWN_LABEL = {
  bare: 'raw ssh2 exec `true` (floor: sshd session + login shell)',
  bash: 'raw ssh2 exec `bash --noprofile --norc`, script on stdin',
  wrapper: "raw ssh2 exec of our transport's remote wrapper",
} as const;

export async function latencyCase(ctx: BenchContext): Promise<CaseOutput> {
  const { steps } = ctx.plan.latency;
  const fleet = workerFleet(ctx.fleet, 1);
  const runs = await warmThenRepeat(
    ctx,
    'latency',
    async () => {
      const { result } = await runOurs({ kind: 'latency', fleet, steps });
      return { ours: result.stepMs, ...result.rawMs };
    },
    (r) =>
      VARIANTS.map((v) => `${v} ${median(r[v]).toFixed(2)}`).join(', ') +
      `, ours ${median(r.ours).toFixed(2)} ms`,
  );
  const label = `${steps} sequential \`true\` steps, one connection`;
  const rows: Row[] = [
    row(
      { case: 'latency', metric: `${label}: median`, unit: 'ms', target: { op: '<=', value: 5 } },
      runs.map((r) => median(r.ours)),
      ctx.checkTargets,
    ),
    row(
      { case: 'latency', metric: `${label}: p95`, unit: 'ms' },
      runs.map((r) => percentile(r.ours, 95)),
      false,
    ),
  ];
  for (const v of VARIANTS) {
    rows.push(
      row(
        { case: 'latency', metric: `${BREAKDOWN_LABEL[v]}: median`, unit: 'ms' },
        runs.map((r) => median(r[v])),
        false,
      ),
    );
  }
  return { rows, raw: { steps, runs } };
}
