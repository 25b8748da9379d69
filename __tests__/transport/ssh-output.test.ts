/**
 * Huge output: 200 MB from one host while others run. Output is streamed line by line, so the
 * controller's memory stays flat. Measured in a child process (support/output-flood.mjs) with the
 * CLI's node flags, so it is the memory a release has, not a Jest worker's. RSS grows by ~6 MB on
 * Node 20 and ~15 MB on Node 24 on a quiet machine (the bench: ~6 MB for 1 GiB), and once by 46 MB
 * in a full suite run on a loaded 2-core machine (garbage awaiting a major GC); the bound is the
 * bench's target for 1 GiB. A client that kept the output grows by hundreds (280 MB seen with the
 * line splitter keeping its chunks). Runs lib/: `npm run build` first (`npm test` does).
 */
import { join } from 'node:path';
import { cliNodeFlags, REPO, runNode } from '../support/cli.js';
import { startSshdFleet, type SshdFleet } from '../support/sshd.js';
import { fleetOptions, hostOf } from '../support/sshd-fixtures.js';

const TOTAL_BYTES = 200_000_000;
const LINE = 'x'.repeat(99); // + newline = 100 bytes per line
/** RSS growth allowed from before the flood to its peak: the bench's target (bench/README.md). */
const RSS_GROWTH_LIMIT = 64 * 1024 * 1024;

let fleet: SshdFleet;

beforeAll(async () => {
  fleet = await startSshdFleet({ count: 3 });
}, 20_000);

afterAll(() => fleet?.stop());

it('200 MB of output from one host while others run: every line arrives, memory stays flat', async () => {
  const task = {
    hosts: fleet.hosts.map(hostOf),
    options: fleetOptions(fleet),
    totalBytes: TOTAL_BYTES,
    line: LINE,
  };
  const run = await runNode(join(REPO, '__tests__/support/output-flood.mjs'), [JSON.stringify(task)], {
    nodeFlags: cliNodeFlags(),
    timeoutMs: 50_000,
  });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const result = JSON.parse(run.stdout) as {
    exitCode: number;
    lines: number;
    bytes: number;
    wrong: number;
    small: { exitCode: number; count: number }[];
    rssBefore: number;
    peak: number;
  };
  expect(result).toMatchObject({ exitCode: 0, lines: TOTAL_BYTES / 100, bytes: TOTAL_BYTES, wrong: 0 });
  expect(result.small).toEqual([
    { exitCode: 0, count: 20 },
    { exitCode: 0, count: 20 },
  ]);
  const growthMB = (result.peak - result.rssBefore) / 2 ** 20;
  expect(growthMB).toBeLessThan(RSS_GROWTH_LIMIT / 2 ** 20);
}, 60_000);
