import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectRunner } from '../../src/config/index.js';
import { loadConfig } from '../../src/index.js';
import { Executor } from '../../src/engine/schedule/executor.js';
import { LocalTransport } from '../../src/transport/local.js';

describe('examples/custom-job.mjs', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'bw-custom-job-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('runs end to end on local hosts: build, fetch with a custom job (one retry), switch', async () => {
    const config = await loadConfig('examples/custom-job.mjs', { vars: { WORK: work } });
    const transport = new LocalTransport();
    try {
      const report = await new Executor({ transport, vars: config.vars, release: 'r1' }).run(
        selectRunner(config),
      );
      const summary = report.stages.map((stage) => [
        stage.name,
        stage.jobs.map((job) => [job.host, job.result, job.attempts]),
      ]);
      expect(summary).toEqual([
        ['Build custom-job-demo', [['controller', 'success', 1]]],
        [
          'Fetch artifact',
          [
            ['local:a', 'success', 1],
            ['local:b', 'success', 2],
            ['local:c', 'success', 1],
          ],
        ],
        [
          'Switch current',
          [
            ['local:a', 'success', 1],
            ['local:b', 'success', 1],
            ['local:c', 'success', 1],
          ],
        ],
      ]);
      expect(report.result).toBe('success');
      expect(await readlink(join(work, 'hosts', 'b', 'current'))).toBe('releases/r1');
    } finally {
      await transport.close();
    }
  });
});
