/** The lab's result as rows of the bench table (parent side). */
import type { BenchContext } from '../context.js';
import { row, type Row } from '../rows.js';
import type { LabResult, RttRep, UploadRow, UploadTool } from './spec.js';

const PEERS: readonly UploadTool[] = ['tar+ssh', 'tar -z+ssh', 'rsync -az'];

function uploadRows(ctx: BenchContext, u: UploadRow): Row[] {
  const check = ctx.checkTargets;
  const what = `${u.rate}, ${u.tree} tree (${u.files} files, ${(u.bytes / 1e6).toFixed(0)} MB) → ${u.hosts} hosts`;
  const rows = u.tools.map((t) =>
    row(
      {
        case: 'network',
        metric: `${what}: ${t === 'ours auto' ? 'ours (default, auto)' : t} wall`,
        unit: 's',
      },
      u.reps.map((r) => (r.wallMs[t] as number) / 1000),
      check,
    ),
  );
  const peers = PEERS.filter((p) => u.tools.includes(p));
  const best = (r: UploadRow['reps'][number]): number => Math.min(...peers.map((p) => r.wallMs[p] as number));
  const ratio = (t: UploadTool): number[] => u.reps.map((r) => (r.wallMs[t] as number) / best(r));
  rows.push(
    row(
      {
        case: 'network',
        metric: `${what}: ours default / best peer`,
        unit: 'x',
        target: { op: '<=', value: 1.15 },
      },
      ratio('ours auto'),
      check,
    ),
    row({ case: 'network', metric: `${what}: ours raw / best peer`, unit: 'x' }, ratio('ours raw'), check),
    row({ case: 'network', metric: `${what}: ours gzip / best peer`, unit: 'x' }, ratio('ours gzip'), check),
  );
  const bestNames = u.reps.map((r) => peers.find((p) => r.wallMs[p] === best(r)));
  const choices = [...new Set(u.reps.map((r) => r.autoChoice ?? '?'))];
  ctx.note(
    `network ${u.rate}, ${u.tree} tree: auto chose ${choices.join(' / ')}; best peer per repetition: ${bestNames.join(', ')}`,
  );
  return rows;
}

function rttRows(ctx: BenchContext, rtt: readonly RttRep[], delayMs: number): Row[] {
  const rt = 2 * delayMs;
  const at = `${rt} ms RTT`;
  const both = (label: string, f: (r: RttRep) => number): Row[] => [
    row({ case: 'network', metric: `${at}: ${label}`, unit: 'ms' }, rtt.map(f), ctx.checkTargets),
    row(
      { case: 'network', metric: `${at}: ${label}, in round trips`, unit: 'RTT' },
      rtt.map((r) => f(r) / rt),
      ctx.checkTargets,
    ),
  ];
  return [
    ...both('ours, new connection (connect → ready, median of the hosts)', (r) => r.oursConnectMs),
    ...both(
      'OpenSSH, new connection (`ssh -fN`, ControlMaster=yes, until the master is up)',
      (r) => r.sshConnectMs,
    ),
    ...both('ours, warm step `true` (median)', (r) => r.oursStepMs),
    ...both('OpenSSH through the ControlMaster, `ssh host true` (median)', (r) => r.sshStepMs),
    ...both('ssh2 bare exec `true` on a warm connection, no wrapper (median)', (r) => r.rawExecMs),
    ...both('OpenSSH without a master, `ssh host true` (connect + command, median)', (r) => r.sshFreshMs),
  ];
}

export function networkRows(ctx: BenchContext, result: LabResult): Row[] {
  const plan = ctx.plan.network;
  const f = plan.fanout;
  const rows = result.uploads.flatMap((u) => uploadRows(ctx, u));
  rows.push(...rttRows(ctx, result.rtt, plan.delayMs));
  const at = `${f.hosts} hosts at ${2 * plan.delayMs} ms RTT, ${f.stages} stages of \`${f.command}\`, canary on`;
  rows.push(
    row(
      { case: 'network', metric: `fan-out ${at}: wall (ideal ${result.fanout.idealMs / 1000} s)`, unit: 's' },
      result.fanout.wallMs.map((ms) => ms / 1000),
      ctx.checkTargets,
    ),
    row(
      { case: 'network', metric: `fan-out ${at}: wall / ideal`, unit: 'x' },
      result.fanout.wallMs.map((ms) => ms / result.fanout.idealMs),
      ctx.checkTargets,
    ),
  );
  for (let st = 0; st < f.stages; st++) {
    rows.push(
      row(
        {
          case: 'network',
          metric: `fan-out ${at}: stage ${st + 1} (ideal ${2 * f.stepSeconds} s)`,
          unit: 's',
        },
        result.fanout.stageMs.map((ms) => (ms[st] ?? Number.NaN) / 1000),
        ctx.checkTargets,
      ),
    );
  }
  return rows;
}
