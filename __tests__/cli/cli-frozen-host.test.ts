/**
 * A host whose sshd freezes (SIGSTOP: a hung machine, a network partition) after its work is done
 * must not hold the CLI once the release is over: closing its connection cannot wait for an
 * answer that never comes. Real sshd, the built CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, signalWhen, tempDir } from '../support/cli.js';
import { fleetConfigHead, useSshdFleet } from '../support/ssh-release-fixture.js';

const fleet = useSshdFleet({ count: 2 }, 30_000);

/**
 * Stage 1 runs on the host; stage 2 runs on the controller and waits for the file `go` (written by
 * the test once the host is frozen), so the release ends with the frozen host's connection open.
 */
async function release(index: number): Promise<{ cfg: string; dir: string; go: string; report: string }> {
  const dir = await tempDir('bw-frozen-');
  const h = fleet.hosts[index]!;
  const cfg = join(dir, 'release.yml');
  const go = join(dir, 'go');
  await writeFile(
    cfg,
    `${fleetConfigHead(fleet, { hosts: [h] })}runners:
  deploy:
    stages:
      - name: Remote
        hosts: [web]
        steps:
          - run: echo "done on $BW_HOST"
      - name: Wait
        timeout: 20s
        steps:
          - local: |
              echo waiting
              while [ ! -e "${go}" ]; do sleep 0.05; done
`,
  );
  return { cfg, dir, go, report: join(dir, 'report.json') };
}

describe('a host frozen after its work', () => {
  it('end of run: the CLI exits with its report written, within a few seconds of the last stage', async () => {
    const h = fleet.hosts[0]!;
    const { cfg, go, report } = await release(0);
    let goAt = 0;
    const r = await runCli(['run', '-c', cfg, '--report', report], {
      timeoutMs: 15_000,
      onStdout: (out) => {
        if (goAt === 0 && out.includes('│ waiting')) {
          h.freeze();
          goAt = Date.now();
          void writeFile(go, '');
        }
      },
    }).finally(() => h.thaw());
    expect(goAt).toBeGreaterThan(0);
    expect(r.stdout).toContain('Release success');
    expect(r.code).toBe(0);
    // Closing gives the frozen host CLOSE_WAIT_MS (1 s); a CLI that waited for it would be killed
    // at 15 s, or end only when keepalive gave up (15 s): 8 s leaves a loaded machine room.
    expect(Date.now() - goAt).toBeLessThan(8000);
    expect(JSON.parse(readFileSync(report, 'utf8')).result).toBe('success');
  }, 25_000);

  it('cancel: SIGINT ends the CLI with exit 130 and its report written, within seconds', async () => {
    const h = fleet.hosts[1]!;
    const { cfg, report } = await release(1);
    const interrupt = signalWhen(
      (out) => out.includes('│ waiting'),
      'SIGINT',
      () => h.freeze(),
    );
    const r = await runCli(['run', '-c', cfg, '--report', report], {
      timeoutMs: 15_000,
      onStdout: interrupt.onStdout,
    }).finally(() => h.thaw());
    expect(interrupt.sentAt()).toBeGreaterThan(0);
    expect(r.code).toBe(130);
    expect(Date.now() - interrupt.sentAt()).toBeLessThan(8000);
    expect(existsSync(report)).toBe(true);
    expect(JSON.parse(readFileSync(report, 'utf8')).result).toBe('cancelled');
  }, 25_000);
});
