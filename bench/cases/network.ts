/**
 * Case 9: the network lab. Creates a network namespace (`ip netns add`), brings its loopback up and
 * runs bench/network/lab.ts inside it (`ip netns exec`): a fleet of its own, uploads with the
 * loopback shaped by `tc tbf` at each rate, then round trips and a fan-out through a delay proxy.
 * Needs root, `ip` and `tc` with the tbf qdisc; without them the case is skipped with a note saying
 * which, and no figure is made up. The namespace (and with it the qdisc and anything still running
 * in it) is removed on every way out; on SIGINT or SIGTERM the bench's own fleet is stopped too.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, CaseOutput } from '../context.js';
import { networkRows } from '../network/rows.js';
import { RATES, run, tool } from '../network/shaping.js';
import type { LabResult, LabSpec } from '../network/spec.js';

const LAB = fileURLToPath(new URL('../network/lab.js', import.meta.url));

/** Why the lab cannot run here, or undefined when it can. */
function unavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces are Linux only (this is ${process.platform})`;
  if (process.getuid?.() !== 0)
    return 'not root: creating a network namespace and shaping it with tc need root';
  if (!tool('ip')) return '`ip` (iproute2) is not installed';
  if (!tool('tc')) return '`tc` (iproute2) is not installed';
  return undefined;
}

/** Kills what still runs in the namespace (only ours: the lab's processes), then deletes it. */
function removeNamespace(ip: string, ns: string): void {
  const pids = spawnSync(ip, ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawnSync(ip, ['netns', 'delete', ns]);
}

/** The lab process inside the namespace; `stop()` asks it to clean up and waits (≤ 10 s). */
function startLab(ip: string, ns: string, specPath: string): { done: Promise<void>; stop(): Promise<void> } {
  const child = spawn(ip, ['netns', 'exec', ns, process.execPath, LAB, specPath], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`network lab exited ${code ?? signal}`)),
    );
  });
  done.catch(() => {});
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  };
  return { done, stop };
}

export async function networkCase(ctx: BenchContext): Promise<CaseOutput> {
  const why = unavailable();
  if (why) {
    ctx.note(`network lab skipped: ${why}`);
    return { rows: [], raw: { skipped: why } };
  }
  const ip = tool('ip') as string;
  const tc = tool('tc') as string;
  const ns = `bwbench-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'bw-netlab-'));
  const cleanup = (): void => {
    removeNamespace(ip, ns);
    rmSync(dir, { recursive: true, force: true });
  };
  let lab: ReturnType<typeof startLab> | undefined;
  // A signal ends the bench: the lab cleans up, the namespace goes, then the outer fleet.
  const onSignal = (signal: NodeJS.Signals): void => {
    void (lab?.stop() ?? Promise.resolve())
      .then(() => cleanup())
      .then(() => ctx.fleet.stop())
      .finally(() => process.kill(process.pid, signal));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    try {
      run(ip, ['netns', 'add', ns]);
      run(ip, ['netns', 'exec', ns, ip, 'link', 'set', 'lo', 'up']);
      run(ip, [
        'netns',
        'exec',
        ns,
        tc,
        'qdisc',
        'add',
        'dev',
        'lo',
        'root',
        'tbf',
        'rate',
        '1gbit',
        'burst',
        '1mb',
        'latency',
        '100ms',
      ]);
      run(ip, ['netns', 'exec', ns, tc, 'qdisc', 'del', 'dev', 'lo', 'root']);
    } catch (err) {
      ctx.note(`network lab skipped: ${(err as Error).message}`);
      return { rows: [], raw: { skipped: (err as Error).message } };
    }
    const spec: LabSpec = { plan: ctx.plan.network, rates: RATES, tc, out: join(dir, 'result.json') };
    const specPath = join(dir, 'spec.json');
    writeFileSync(specPath, JSON.stringify(spec));
    ctx.log(`network: namespace ${ns} up; the lab runs inside it`);
    lab = startLab(ip, ns, specPath);
    await lab.done;
    if (!existsSync(spec.out)) throw new Error('network lab wrote no result');
    const result = JSON.parse(readFileSync(spec.out, 'utf8')) as LabResult;
    for (const n of result.notes) ctx.note(`network: ${n}`);
    return { rows: networkRows(ctx, result), raw: result };
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    cleanup();
  }
}
