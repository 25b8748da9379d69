/**
 * The bundled action, cancelled by GitHub's SIGINT during a long stage over SSH (real sshd): the
 * `when: cancelled` stage still notifies, a `when: always` stage that hangs is cut off by the cancel
 * budget, and the step still ends, everything written, long before GitHub's SIGTERM (7.5 s).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { occurrences, signalWhen, tempDir } from '../support/cli.js';
import { fleetConfigHead, useActionFleet, writeWorkspaceConfig } from '../support/ssh-release-fixture.js';
import { readPids, waitForExit } from '../support/survivors.js';
import { REPORTED_BEFORE_SIGTERM_MS, runAction } from './action-harness.js';

const suite = useActionFleet({ count: 2 }, 30_000);
const fleet = suite.fleet;

it('SIGINT: the when: cancelled stage notifies on the hosts, a hanging always stage is cut off, the step ends before GitHub’s SIGTERM', async () => {
  const ws = await tempDir('bw-ws-wayout-');
  const root = join(fleet.scratchDir, `action-cancel-${Date.now()}`);
  await writeWorkspaceConfig(
    ws,
    `${fleetConfigHead(fleet, { names: ['web-1', 'web-2'], credentials: 'inputs', vars: { ROOT: root, OUT: ws } })}runners:
  deploy:
    stages:
      - name: Long
        hosts: [web]
        canary: false
        steps:
          - run: |
              mkdir -p "$ROOT"
              echo $$ >> "$ROOT/pids"
              echo started
              sleep 30
      - name: Switch
        hosts: [web]
        steps: [{ run: touch "$ROOT/switched-$BW_HOST" }]
      - name: Notify
        when: cancelled
        hosts: [web]
        canary: false
        steps:
          - run: echo "$BW_RESULT" > "$ROOT/notified-$BW_HOST"
      - name: Report
        when: always
        steps:
          - local: |
              echo "report $BW_RESULT" >> "$OUT/chat"
              sleep 30
`,
  );
  const interrupt = signalWhen((out) => occurrences(out, /│ started/g) === 2);
  const run = await runAction({
    actionDir: suite.actionDir,
    workspace: ws,
    inputs: suite.sshInputs,
    onStdout: interrupt.onStdout,
  });
  expect(interrupt.sentAt()).toBeGreaterThan(0);
  // The hanging `when: always` stage is cut off by the 2.5 s cancel budget; waiting for it would
  // take 30 s.
  expect(Date.now() - interrupt.sentAt()).toBeLessThan(REPORTED_BEFORE_SIGTERM_MS);
  expect(run.code).toBe(130);
  expect(run.outputs.result).toBe('cancelled');
  for (const name of ['web-1', 'web-2']) {
    expect(readFileSync(join(root, `notified-${name}`), 'utf8')).toBe('cancelled\n');
    expect(existsSync(join(root, `switched-${name}`))).toBe(false);
  }
  expect(readFileSync(join(ws, 'chat'), 'utf8')).toBe('report cancelled\n');
  const report = JSON.parse(run.reportText);
  expect(report.result).toBe('cancelled');
  expect(
    report.stages.map((s: { name: string; result: string; when: string }) => [s.name, s.result, s.when]),
  ).toEqual([
    ['Long', 'failure', 'success'],
    ['Switch', 'skipped', 'success'],
    ['Notify', 'success', 'cancelled'],
    ['Report', 'failure', 'always'],
  ]);
  expect(report.stages[3].jobs[0]).toMatchObject({
    result: 'cancelled',
    error: 'cancelled by SIGINT: the cancel budget of 2.5s ran out',
  });
  expect(report.warnings).toEqual([
    'stage "Report" (when: always) failed, which does not change the result: cancelled by SIGINT: the cancel budget of 2.5s ran out',
  ]);
  expect(run.summary).toMatch(/^## 🚫 Release cancelled/);
  expect(run.summary).toContain('### 3. Notify (when: cancelled) · ✅ success');
  expect(run.stdout).toContain('::group::Stage 3/4 · Notify · 2 hosts · when: cancelled');
  // The cancelled remote commands ended; none was left running on a host.
  const shells = readPids(join(root, 'pids'));
  expect(shells).toHaveLength(2);
  await waitForExit(shells, 15_000);
}, 60_000);
