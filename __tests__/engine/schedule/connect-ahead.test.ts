import { FakeTransport } from '../../support/fake-transport.js';
import { hosts, results, run, stage } from '../harness.js';

describe('connecting ahead (Transport.connectAhead)', () => {
  it('hands the transport every selected host of a stage, canary first, before any job starts', async () => {
    const list = hosts(5);
    const { transport } = await run(
      [stage({ name: 'Ship', hosts: list }), stage({ name: 'Verify', hosts: list.slice(0, 2) })],
      { hosts: ['web-1', 'web-3', 'web-4', 'web-5'] },
    );
    expect(transport.connectedAhead).toEqual([
      { hosts: ['web-1', 'web-3', 'web-4', 'web-5'], callsBefore: 0 },
      // Stage 2 after stage 1's four calls; web-2 is filtered out.
      { hosts: ['web-1'], callsBefore: 4 },
    ]);
  });

  it('is not called for a stage without jobs, nor once the run is cancelled', async () => {
    const controller = new AbortController();
    const transport = new FakeTransport();
    const { report } = await run(
      [
        stage({ name: 'Empty', hosts: [] }),
        stage({ name: 'Ship', hosts: hosts(3) }),
        stage({ name: 'Never', hosts: hosts(3) }),
      ],
      {
        transport,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'stage-end' && e.stage.name === 'Ship') controller.abort();
        },
      },
    );
    expect(transport.connectedAhead.map((p) => p.hosts)).toEqual([['web-1', 'web-2', 'web-3']]);
    expect(report.result).toBe('cancelled');
  });

  it('a transport whose connectAhead throws still runs every job', async () => {
    const transport = new FakeTransport();
    transport.connectAheadThrows = true;
    const { report } = await run([stage({ name: 'Ship', hosts: hosts(3) })], { transport });
    expect(transport.connectedAhead).toHaveLength(1);
    expect(results(report)).toEqual(['success', 'success', 'success']);
    expect(report.result).toBe('success');
  });
});
