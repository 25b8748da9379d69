/**
 * What the release steps moved, told end to end: the built CLI against real OpenSSH servers on
 * loopback. After a failed canary the `when: failure` undo says per host `R2 → R1` or `nothing to
 * undo`, with a `now live` line under the headline, in the log, the JSON report and the HTML
 * report; a rollback run the same. A second Ctrl-C during the `when: cancelled` undo: the hosts
 * still running are `unknown` (not `cancelled`), one final block, nothing after it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CANCEL_GRACE_MS } from '../../src/pipeline/cancellation.js';
import { occurrences, runCli, stretchedTimerEnv, tempDir } from '../support/cli.js';
import { fleetConfigHead, useSshdFleet } from '../support/ssh-release-fixture.js';

const fleet = useSshdFleet({ count: 3 }, 30_000);
const NAMES = ['web1', 'web2', 'web3'];

interface Move {
  action: string;
  before: string | null;
  after: string | null;
}
interface JsonReport {
  result: string;
  stages: {
    name: string;
    result: string;
    jobs: { host: string; result: string; error: string | null; release?: Move }[];
  }[];
}

const readJson = (path: string): JsonReport => JSON.parse(readFileSync(path, 'utf8')) as JsonReport;
const moves = (r: JsonReport, stage: string): Record<string, Move | undefined> =>
  Object.fromEntries(r.stages.find((s) => s.name === stage)?.jobs.map((j) => [j.host, j.release]) ?? []);

describe('what the release steps moved, over ssh', () => {
  it('a failed canary: the undo says which host went R2 → R1 and which had nothing to undo; a rollback run too', async () => {
    const dir = await tempDir();
    const root = join(fleet.scratchDir, `moves-${process.pid}-${Date.now()}`);
    const cfg = join(dir, 'release.yml');
    await writeFile(
      cfg,
      `${fleetConfigHead(fleet, { names: NAMES, vars: { FAIL: '' } })}releases:
  path: ${root}/\${BW_HOST}
runners:
  deploy:
    stages:
      - name: Ship
        hosts: [web]
        canary: false
        steps: [{ release: prepare }]
      - name: Switch
        hosts: [web]
        steps:
          - release: switch
          - name: warm cache
            run: '[ "$FAIL" != 1 ]'
      - name: Undo
        when: failure
        hosts: [web]
        canary: false
        steps: [{ release: undo }]
  rollback:
    stages:
      - name: Back
        hosts: [web]
        canary: false
        steps: [{ release: rollback }]
`,
    );
    const run = (id: string, more: string[] = ['--runner', 'deploy']) =>
      runCli(['run', '-c', cfg, '--release-id', id, '--report', join(dir, `${id}.json`), ...more], {
        timeoutMs: 60_000,
      });
    const first = await run('R1');
    expect(first.stdout + first.stderr).toContain('Release success');
    const failed = await run('R2', ['--runner', 'deploy', '--var', 'FAIL=1', '--html', join(dir, 'R2.html')]);
    expect(failed.code).toBe(1);
    const out = failed.stdout;
    // The canary switched, then failed at its named step; the others never started.
    expect(out).toMatch(
      /^web1 +✘ failure: failed at step "warm cache": exit code 1 · 1 attempt · R1 → R2 · /m,
    );
    expect(out).toMatch(/^web1 +✔ success · 1 attempt · R2 → R1 · /m);
    expect(out).toMatch(/^web2 +✔ success · 1 attempt · nothing to undo \(R1 live\) · /m);
    expect(out).toMatch(/^web3 +✔ success · 1 attempt · nothing to undo \(R1 live\) · /m);
    expect(out).not.toContain('bw-release:');
    expect(out).toMatch(/^Release failure · .*\nnow live: R1 on 3 hosts\n/m);
    const json = readJson(join(dir, 'R2.json'));
    expect(moves(json, 'Undo')).toEqual({
      web1: { action: 'undo', before: 'R2', after: 'R1' },
      web2: { action: 'undo', before: 'R1', after: 'R1' },
      web3: { action: 'undo', before: 'R1', after: 'R1' },
    });
    const html = readFileSync(join(dir, 'R2.html'), 'utf8');
    expect(html).toContain('<p class="live">now live: R1 on 3 hosts</p>');
    expect(html).toContain('<td>R2 → R1</td>');
    expect(html).toContain('<td>nothing to undo (R1 live)</td>');
    expect(html).toContain('failed at step &quot;warm cache&quot;: exit code 1');

    // R2 goes live everywhere, then a rollback run takes every host back.
    expect((await run('R2b')).code).toBe(0);
    const back = await run('back', ['--runner', 'rollback']);
    expect(back.code).toBe(0);
    for (const name of NAMES)
      expect(back.stdout).toMatch(new RegExp(`^${name} +✔ success · 1 attempt · R2b → R1 · `, 'm'));
    expect(back.stdout).toMatch(/^now live: R1 on 3 hosts$/m);
    expect(moves(readJson(join(dir, 'back.json')), 'Back').web2).toEqual({
      action: 'rollback',
      before: 'R2b',
      after: 'R1',
    });
  }, 120_000);

  it('a second Ctrl-C during the when: cancelled undo: its hosts are unknown, one final block, nothing after it', async () => {
    const dir = await tempDir();
    const root = join(fleet.scratchDir, `twice-${process.pid}-${Date.now()}`);
    const cfg = join(dir, 'release.yml');
    await writeFile(
      cfg,
      `${fleetConfigHead(fleet, { names: NAMES.slice(0, 2), hosts: fleet.hosts.slice(0, 2), vars: { ROOT: root } })}releases:
  path: \${ROOT}/\${BW_HOST}
runners:
  deploy:
    stages:
      - name: Ship
        hosts: [web]
        canary: false
        steps: [{ release: prepare }, { release: switch }]
      - name: Long
        hosts: [web]
        canary: false
        steps:
          - run: |
              echo started
              sleep 30
      - name: Undo
        when: cancelled
        hosts: [web]
        canary: false
        steps:
          - name: wait for go
            run: |
              trap '' INT TERM HUP
              echo "undo waiting"
              i=0
              while [ ! -e "$ROOT/go" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
          - release: undo
`,
    );
    const report = join(dir, 'r.json');
    let signals = 0;
    const r = await runCli(['run', '-c', cfg, '--release-id', 'R9', '--report', report], {
      timeoutMs: 60_000,
      env: stretchedTimerEnv(CANCEL_GRACE_MS),
      onStdout: (out, child) => {
        if (signals === 0 && occurrences(out, /│ started/g) === 2) {
          signals = 1;
          child.kill('SIGINT');
        } else if (signals === 1 && occurrences(out, /│ undo waiting/g) === 2) {
          signals = 2;
          child.kill('SIGINT');
        }
      },
    });
    // Let the hosts' undo commands end (they ignore signals): the suite leaves nothing running.
    await writeFile(join(root, 'go'), '');
    expect(signals).toBe(2);
    expect(r.stderr).toContain('again: not waiting for running commands');
    expect(r.code).toBe(130);
    const out = r.stdout;
    expect(occurrences(out, /Release cancelled/g)).toBe(1);
    // The final block is the end: no host line after it (no "connection closed", no engine run-end).
    const tail = out.slice(out.indexOf('Release cancelled'));
    expect(tail).not.toMatch(/[│✘✔⊘»]/);
    const json = readJson(report);
    expect(json.result).toBe('cancelled');
    const undo = json.stages.find((s) => s.name === 'Undo');
    expect(undo?.result).toBe('unknown');
    expect(undo?.jobs.map((j) => [j.host, j.result])).toEqual([
      ['web1', 'unknown'],
      ['web2', 'unknown'],
    ]);
    for (const j of undo?.jobs ?? [])
      expect(j.error).toBe(
        'not known: still running at step "wait for go" when the run stopped waiting for it (cancelled by SIGINT); look at the host',
      );
    // Both switched to R9 in Ship; where the undo left them is not known.
    expect(out).toMatch(/^Release cancelled · .*\nnow live: unknown on 2 hosts\ncancelled by SIGINT\n$/m);
    expect(existsSync(join(root, 'go'))).toBe(true);
  }, 120_000);
});
