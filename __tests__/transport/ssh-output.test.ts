/**
 * Huge output: 200 MB from one host while others run. Output is streamed line by line, so the
 * controller's memory stays bounded. The bound asserted here is deliberately generous; the real
 * figure belongs to the benchmark.
 */
import { createSshTransport } from '../../src/transport/ssh.js';
import { startSshdFleet, type SshdFleet } from '../support/sshd.js';
import { collect, fleetOptions, hostOf, script } from '../support/sshd-fixtures.js';

const TOTAL_BYTES = 200_000_000;
const LINE = 'x'.repeat(99); // + newline = 100 bytes per line
/** Peak RSS growth allowed while 200 MB flow through (buffering it all would need > 400 MB as strings). */
const RSS_GROWTH_LIMIT = 150 * 1024 * 1024;

let fleet: SshdFleet;

beforeAll(async () => {
  fleet = await startSshdFleet({ count: 3 });
}, 20_000);

afterAll(() => fleet?.stop());

it('200 MB of output from one host while others run: succeeds with bounded memory', async () => {
  const transport = createSshTransport(fleetOptions(fleet));
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    let lines = 0;
    let bytes = 0;
    let wrong = 0;
    const big = transport.exec(
      hostOf(fleet.hosts[0]!),
      script(`set +o pipefail # yes ends on SIGPIPE\nyes ${LINE} | head -c ${TOTAL_BYTES}`),
      {
        signal: new AbortController().signal,
        onOutput: (stream, line) => {
          lines += 1;
          bytes += line.length + 1;
          if (stream !== 'stdout' || line !== LINE) wrong += 1;
        },
      },
    );
    const small = fleet.hosts.slice(1).map(async (h) => {
      const out = collect();
      const r = await transport.exec(
        hostOf(h),
        script('for i in $(seq 1 20); do echo "$i"; sleep 0.05; done'),
        out,
      );
      return { exitCode: r.exitCode, count: out.stdout().length };
    });
    const [bigResult, ...smallResults] = await Promise.all([big, ...small]);
    expect(bigResult.exitCode).toBe(0);
    expect({ lines, bytes, wrong }).toEqual({ lines: TOTAL_BYTES / 100, bytes: TOTAL_BYTES, wrong: 0 });
    expect(smallResults).toEqual([
      { exitCode: 0, count: 20 },
      { exitCode: 0, count: 20 },
    ]);
    expect(peak - baseline).toBeLessThan(RSS_GROWTH_LIMIT);
  } finally {
    clearInterval(sampler);
    await transport.close();
  }
}, 60_000);
