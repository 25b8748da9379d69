/**
 * Diagnostic, not part of `npm run bench`: what connecting ahead during the canary would save in the
 * fan-out at N=100 P=25 (3 stages of `sleep 1`, canary on). Emulated with a transport wrapper: 150 ms
 * after the canary's step starts (its own connection is up by then), it asks the SSH transport to run
 * a no-op on every other host, which opens their connections under the same handshake cap. A real
 * implementation would connect only; the emulation's extra no-ops make its estimate pessimistic.
 * Runs "as is" and "pre-connect" alternately.
 *
 *   npx tsc -p tsconfig.bench.json && node .tmp/bench-build/bench/probes/preconnect.js [PAIRS]
 */
import { Executor, Runner, createSshTransport, type Transport } from '../../src/index.js';
import { startBenchFleet } from '../fleet.js';
import { workerFleet } from '../context.js';
import { idealSeconds } from '../plan.js';
import { commandStage, hostsOf, sshOptionsFor } from '../worker/release.js';

const N = 100;
const P = 25;
const STAGES = 3;

async function once(fleet: ReturnType<typeof workerFleet>, preconnect: boolean): Promise<string> {
  const hosts = hostsOf(fleet);
  const ssh = createSshTransport(sshOptionsFor(fleet), {});
  const idle = new AbortController();
  let fired = false;
  const transport: Transport = {
    exec: (host, req, ctx) => {
      if (preconnect && !fired) {
        fired = true;
        setTimeout(() => {
          for (const other of hosts) {
            if (other === host) continue;
            const noop = { script: ':', shell: ['sh'], env: {} };
            ssh.exec(other, noop, { signal: idle.signal, onOutput: () => {} }).catch(() => {});
          }
        }, 150);
      }
      return ssh.exec(host, req, ctx);
    },
    upload: (host, req, ctx) => ssh.upload(host, req, ctx),
    close: () => ssh.close(),
  };
  const stageMs: number[] = [];
  const executor = new Executor({
    transport,
    release: 'probe',
    onEvent: (e) => {
      if (e.type === 'stage-end') stageMs.push(e.stage.durationMs);
    },
  });
  const stages = [1, 2, 3].map((i) =>
    commandStage(`stage ${i}`, hosts, 'sleep 1', { pool: P, canary: true }),
  );
  const started = performance.now();
  const report = await executor.run(new Runner({ name: 'probe', stages }));
  const ms = performance.now() - started;
  await transport.close();
  const ratio = ms / 1000 / idealSeconds(N, P, STAGES, 1);
  const label = preconnect ? 'pre-connect' : 'as is      ';
  return `${label} executor.run ${(ms / 1000).toFixed(2)} s (${ratio.toFixed(3)}× ideal), stages ${stageMs.join(' / ')} ms, ${report.result}`;
}

const pairs = Number(process.argv[2] ?? 3);
const fleet = await startBenchFleet(N);
try {
  const wf = workerFleet(fleet, N);
  for (let i = 0; i < pairs; i++) {
    process.stdout.write(`${await once(wf, false)}\n`);
    process.stdout.write(`${await once(wf, true)}\n`);
  }
} finally {
  await fleet.stop();
}
