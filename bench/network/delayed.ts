/**
 * Hosts behind the delay proxy (`__tests__/support/tcp-proxy.ts`, `delayMs` each way): one proxy
 * per host, and a known_hosts that names each host by its proxy's port, so host keys are still
 * checked strictly. The proxy accepts locally, so TCP's own handshake is not delayed: a real link
 * adds one more round trip per new connection than these figures show.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTcpProxy, type TcpProxy } from '../../__tests__/support/tcp-proxy.js';
import type { BenchFleet, FleetHost } from '../fleet.js';

export interface DelayedFleet {
  readonly hosts: readonly FleetHost[];
  readonly knownHostsPath: string;
  close(): Promise<void>;
}

export async function delayedFleet(fleet: BenchFleet, count: number, delayMs: number): Promise<DelayedFleet> {
  const proxies: TcpProxy[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(proxies.map((p) => p.close()));
  };
  try {
    for (const h of fleet.hosts.slice(0, count)) proxies.push(await startTcpProxy(h.port, { delayMs }));
  } catch (err) {
    await close();
    throw err;
  }
  const hosts = fleet.hosts.slice(0, count).map((h, i) => ({ ...h, port: (proxies[i] as TcpProxy).port }));
  const byPort = new Map(fleet.hosts.slice(0, count).map((h, i) => [h.port, (proxies[i] as TcpProxy).port]));
  const lines = readFileSync(fleet.knownHostsPath, 'utf8')
    .split('\n')
    .flatMap((line) => {
      const m = /^\[([^\]]+)\]:(\d+) (.*)$/.exec(line);
      const port = m ? byPort.get(Number(m[2])) : undefined;
      return m && port ? [`[${m[1]}]:${port} ${m[3]}`] : [];
    });
  const knownHostsPath = join(fleet.dir, 'known_hosts.delayed');
  writeFileSync(knownHostsPath, `${lines.join('\n')}\n`);
  return { hosts, knownHostsPath, close };
}
