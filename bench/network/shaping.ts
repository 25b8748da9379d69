/**
 * The lab's network: a namespace of its own (`ip netns`), whose loopback carries the fleet and the
 * controller, rate-limited with a token bucket (`tc qdisc … tbf`). Plain `ip` and `tc` commands;
 * nothing here touches the machine's own interfaces.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Rate {
  /** As tc spells it: `100mbit`, `1gbit`. */
  readonly rate: string;
  /** The bucket: at least one loopback packet (64 KiB, GSO) plus what one clock tick lets through. */
  readonly burst: string;
  /** How long a packet may wait in the queue before it is dropped. */
  readonly latency: string;
}

export const RATES: readonly Rate[] = [
  { rate: '100mbit', burst: '256kb', latency: '100ms' },
  { rate: '1gbit', burst: '1mb', latency: '100ms' },
];

/** `cmd args…`; throws with its stderr when it fails. */
export function run(cmd: string, args: readonly string[]): void {
  const r = spawnSync(cmd, [...args], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) {
    throw new Error(
      `${[cmd, ...args].join(' ')}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`,
    );
  }
}

export function tool(name: 'ip' | 'tc'): string | undefined {
  return ['/usr/sbin/', '/sbin/', '/usr/bin/', '/bin/'].map((d) => d + name).find((p) => existsSync(p));
}

/** Inside the namespace: replaces the loopback's root qdisc with a token bucket at `r`. */
export function shapeLoopback(tc: string, r: Rate): void {
  run(tc, [
    'qdisc',
    'replace',
    'dev',
    'lo',
    'root',
    'tbf',
    'rate',
    r.rate,
    'burst',
    r.burst,
    'latency',
    r.latency,
  ]);
}

/** Inside the namespace: back to the default qdisc (never throws: used on the way out). */
export function unshapeLoopback(tc: string): void {
  spawnSync(tc, ['qdisc', 'del', 'dev', 'lo', 'root'], { timeout: 30_000 });
}
