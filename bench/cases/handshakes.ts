/**
 * Case 6: 100 hosts at once (pool 100, no canary) so only the transport's cap limits handshakes.
 * Times come from the handshake probe in the worker (ssh2 connect() → ready).
 */
import { workerFleet, type BenchContext, type CaseOutput } from '../context.js';
import { runOurs } from '../ours.js';
import { row } from '../rows.js';
import { percentile } from '../stats.js';
import { warmThenRepeat } from './repeat.js';

export async function handshakesCase(ctx: BenchContext): Promise<CaseOutput> {
  const { hosts } = ctx.plan.handshakes;
  const runs = await warmThenRepeat(
    ctx,
    'handshakes',
    async () => {
      const { result } = await runOurs({
        kind: 'handshakes',
        fleet: workerFleet(ctx.fleet, hosts),
        pool: hosts,
      });
      const ms = result.handshakes.durationsMs;
      if (ms.length !== hosts || result.handshakes.failed) {
        throw new Error(`handshakes: ${ms.length} of ${hosts} succeeded, ${result.handshakes.failed} failed`);
      }
      return { ...result, p50: percentile(ms, 50), p95: percentile(ms, 95) };
    },
    (r) =>
      `p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, peak ${r.handshakes.peakConcurrent}/${r.maxHandshakes} concurrent, all in ${(r.allConnectedMs / 1000).toFixed(2)} s`,
  );
  const cap = runs[0]?.maxHandshakes ?? Number.NaN;
  const label = `N=${hosts}`;
  return {
    rows: [
      row(
        { case: 'handshakes', metric: `${label}: handshake p50`, unit: 'ms' },
        runs.map((r) => r.p50),
        false,
      ),
      row(
        { case: 'handshakes', metric: `${label}: handshake p95`, unit: 'ms' },
        runs.map((r) => r.p95),
        false,
      ),
      row(
        {
          case: 'handshakes',
          metric: `${label}: peak concurrent handshakes (cap ${cap})`,
          unit: 'count',
          target: { op: '<=', value: cap },
          judgeOn: 'max',
        },
        runs.map((r) => r.handshakes.peakConcurrent),
        ctx.checkTargets,
      ),
      row(
        { case: 'handshakes', metric: `${label}: all connected, one \`true\` each`, unit: 's' },
        runs.map((r) => r.allConnectedMs / 1000),
        false,
      ),
    ],
    raw: runs.map((r) => ({
      durationsMs: r.handshakes.durationsMs,
      peakConcurrent: r.handshakes.peakConcurrent,
      maxHandshakes: r.maxHandshakes,
      allConnectedMs: r.allConnectedMs,
    })),
  };
}
