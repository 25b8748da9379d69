/**
 * Case 5b: one host prints 1 GiB (128-byte lines, like a chatty log); throughput as output events
 * reach the listener, and how much the controller's RSS grew meanwhile.
 */
import { workerFleet, type BenchContext, type CaseOutput } from '../context.js';
import { runOurs } from '../ours.js';
import { row } from '../rows.js';
import { warmThenRepeat } from './repeat.js';

const MiB = 2 ** 20;

export async function throughputCase(ctx: BenchContext): Promise<CaseOutput> {
  const { bytes, lineBytes } = ctx.plan.throughput;
  const runs = await warmThenRepeat(
    ctx,
    'throughput',
    async () => {
      const { result } = await runOurs({
        kind: 'throughput',
        fleet: workerFleet(ctx.fleet, 1),
        bytes,
        lineBytes,
      });
      if (result.bytesSeen !== bytes)
        throw new Error(`throughput: ${result.bytesSeen} of ${bytes} bytes arrived as output`);
      return {
        ...result,
        mibPerSec: bytes / MiB / (result.stepMs / 1000),
        growthMB: result.maxRssMB - result.rssBeforeMB,
      };
    },
    (r) => `${r.mibPerSec.toFixed(0)} MiB/s, RSS +${r.growthMB.toFixed(1)} MB`,
    () =>
      runOurs({
        kind: 'throughput',
        fleet: workerFleet(ctx.fleet, 1),
        bytes: Math.min(bytes, 64 * MiB),
        lineBytes,
      }),
  );
  const size = bytes >= 2 ** 30 ? `${bytes / 2 ** 30} GiB` : `${bytes / MiB} MiB`;
  return {
    rows: [
      row(
        {
          case: 'output',
          metric: `${size} from one host: throughput`,
          unit: 'MiB/s',
          target: { op: '>=', value: 200 },
        },
        runs.map((r) => r.mibPerSec),
        ctx.checkTargets,
      ),
      row(
        {
          case: 'output',
          metric: `${size} from one host: RSS growth`,
          unit: 'MB',
          target: { op: '<=', value: 64 },
        },
        runs.map((r) => r.growthMB),
        ctx.checkTargets,
      ),
    ],
    raw: runs.map(({ stepMs, bytesSeen, linesSeen, rssBeforeMB, maxRssMB, cpuSeconds, mibPerSec }) => ({
      stepMs,
      bytesSeen,
      linesSeen,
      rssBeforeMB,
      maxRssMB,
      cpuSeconds,
      mibPerSec,
    })),
  };
}
