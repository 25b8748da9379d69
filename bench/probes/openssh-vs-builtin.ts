/**
 * Diagnostic, not part of `npm run bench`: the OpenSSH client beside the built-in one on the same
 * fleet, in one process, scaled down for a shared machine. For each client, a fresh transport:
 *   latency   a warm step (`true`) on one host, sequentially: median of ROUNDS
 *   fan-out   `sleep 1` on every host, 25 at a time, connects included, against the ideal ⌈N/25⌉ s
 *   memory    with a connection to every host open: the controller's RSS growth, plus for OpenSSH
 *             the RSS of its master processes (a master is a process per host)
 *
 *   npx tsc -p tsconfig.bench.json && node .tmp/bench-build/bench/probes/openssh-vs-builtin.js [HOSTS] [ROUNDS]
 */
import { readdirSync, readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import type { Host } from '../../src/contract/host.js';
import { DEFAULT_SHELL, type Transport } from '../../src/contract/transport.js';
import { DEFAULT_SSH_OPTIONS, type SshOptions } from '../../src/contract/ssh-options.js';
import { createOpensshTransport } from '../../src/transport/openssh/openssh.js';
import { createSshTransport } from '../../src/transport/ssh/ssh-transport.js';
import { startSshdFleet } from '../../__tests__/support/sshd.js';
import { BENCH_SSHD_CONFIG } from '../fleet.js';
import { median } from '../stats.js';

const POOL = 25;
const quiet = { signal: new AbortController().signal, onOutput: () => {} };
const step = (script: string) => ({ script, shell: DEFAULT_SHELL, env: {} });

/** RSS (kB) of this process's `ssh` children: the OpenSSH masters. */
function mastersRssKb(): { count: number; kb: number } {
  let count = 0;
  let kb = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      if (ppid !== process.pid || !/^Name:\s+ssh$/m.test(status)) continue;
      count += 1;
      kb += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return { count, kb };
}

async function measure(name: string, make: () => Transport, hosts: readonly Host[], rounds: number) {
  const baseline = process.memoryUsage().rss;
  let t = make();
  await t.exec(hosts[0]!, step('true'), quiet);
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await t.exec(hosts[0]!, step('true'), quiet);
    times.push(performance.now() - start);
  }
  await t.close();
  t = make();
  const limit = pLimit(POOL);
  const start = performance.now();
  await Promise.all(hosts.map((h) => limit(() => t.exec(h, step('sleep 1'), quiet))));
  const fanoutS = (performance.now() - start) / 1000;
  const controllerMb = (process.memoryUsage().rss - baseline) / 2 ** 20;
  const masters = mastersRssKb();
  await t.close();
  return {
    client: name,
    warmStepMs: Number(median(times).toFixed(1)),
    fanoutS: Number(fanoutS.toFixed(2)),
    idealS: Math.ceil(hosts.length / POOL),
    controllerRssGrowthMb: Number(controllerMb.toFixed(1)),
    masters: masters.count,
    mastersRssMb: Number((masters.kb / 1024).toFixed(1)),
  };
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 50);
  const rounds = Number(process.argv[3] ?? 30);
  const fleet = await startSshdFleet({ count, config: BENCH_SSHD_CONFIG, startConcurrency: 4 });
  try {
    const options: SshOptions = {
      ...DEFAULT_SSH_OPTIONS,
      user: fleet.user,
      privateKeyPath: fleet.keyPath,
      knownHostsPaths: [fleet.knownHostsPath],
    };
    const hosts: Host[] = fleet.hosts.map((h) => ({
      name: h.name,
      address: h.address,
      port: h.port,
      local: false,
    }));
    const rows = [
      await measure('builtin', () => createSshTransport(options), hosts, rounds),
      await measure('openssh', () => createOpensshTransport(options), hosts, rounds),
    ];
    console.log(JSON.stringify({ hosts: count, rounds, pool: POOL, rows }, null, 2));
  } finally {
    await fleet.stop();
  }
}

await main();
