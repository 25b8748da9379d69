/**
 * Child process of __tests__/transport/ssh/output.test.ts, run with the CLI's node flags so the
 * memory it measures is what a release has. One host prints `totalBytes` of `line`s while the
 * others print 20 short lines each; the lines are counted as the transport delivers them (none is
 * kept). Prints one JSON line: the counts, RSS before the flood and at its peak, and the memory
 * the heap and buffers hold after a full GC: before the flood, at its peak during it (sampled every
 * 25 ms) and after it (run with --expose-gc).
 *
 * argv[2]: JSON { hosts: Host[], options: SshOptions, totalBytes: number, line: string }
 */
/* global AbortController, setInterval, clearInterval -- Node globals the lint config does not list */
import { DEFAULT_SHELL } from '../../lib/contract/transport.js';
import { createSshTransport } from '../../lib/transport/ssh/ssh-transport.js';

const { hosts, options, totalBytes, line } = JSON.parse(process.argv[2] ?? '{}');
const request = (script) => ({ script, shell: DEFAULT_SHELL, env: {} });
const context = (onOutput) => ({ signal: new AbortController().signal, onOutput });

const transport = createSshTransport(options);
try {
  // Connected and warm before the baseline: what grows after it is the flood's doing.
  await Promise.all(
    hosts.map((h) =>
      transport.exec(
        h,
        request('true'),
        context(() => {}),
      ),
    ),
  );
  const held = () => {
    globalThis.gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const heldBefore = held();
  const rssBefore = process.memoryUsage.rss();
  let sampledPeak = rssBefore;
  // What is live during the flood, sampled after a full GC: garbage awaiting a GC is not growth
  // (a loaded machine puts major GCs off, and RSS then grew 136-172 MB in CI runs).
  let heldPeak = heldBefore;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
    heldPeak = Math.max(heldPeak, held());
  }, 25);
  const big = { lines: 0, bytes: 0, wrong: 0 };
  const flood = transport.exec(
    hosts[0],
    request(`set +o pipefail # yes ends on SIGPIPE\nyes ${line} | head -c ${totalBytes}`),
    context((stream, text) => {
      big.lines += 1;
      big.bytes += text.length + 1;
      if (stream !== 'stdout' || text !== line) big.wrong += 1;
    }),
  );
  const small = hosts.slice(1).map(async (h) => {
    let count = 0;
    const r = await transport.exec(
      h,
      request('for i in $(seq 1 20); do echo "$i"; sleep 0.05; done'),
      context(() => (count += 1)),
    );
    return { exitCode: r.exitCode, count };
  });
  const [bigResult, ...smallResults] = await Promise.all([flood, ...small]);
  clearInterval(sampler);
  // The kernel's high-water mark catches a peak between two samples.
  const peak = Math.max(sampledPeak, process.resourceUsage().maxRSS * 1024);
  const heldAfter = held();
  process.stdout.write(
    JSON.stringify({
      exitCode: bigResult.exitCode,
      ...big,
      small: smallResults,
      rssBefore,
      peak,
      heldBefore,
      heldPeak,
      heldAfter,
    }) + '\n',
  );
} finally {
  await transport.close();
}
