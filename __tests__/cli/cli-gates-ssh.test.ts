/**
 * Verify, gate and the stages on the way out, end to end: the built CLI against real OpenSSH
 * servers on loopback. A health endpoint that comes up late, a `when: failure` undo after a failed
 * smoke stage, and a cancel that a `when: cancelled` stage must still report.
 */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { occurrences, runCli, signalWhen, tempDir } from '../support/cli.js';
import { fleetConfigHead, useSshdFleet } from '../support/ssh-release-fixture.js';
import { freePort } from '../support/sshd-net.js';
import { isRunning } from '../support/sshd-procs.js';
import { readPids, waitForExit } from '../support/survivors.js';

const fleet = useSshdFleet({ count: 3 }, 30_000);

const NAMES = ['web1', 'web2', 'web3'];

/** The head of a config reaching the fleet; `web` is its three hosts. */
const head = (vars: Record<string, string | number>): string =>
  fleetConfigHead(fleet, { names: NAMES, vars });

interface JsonStage {
  name: string;
  result: string;
  when: string;
  waves: { index: number; hosts: string[]; gate: { result: string } | null }[];
  jobs: { host: string; result: string; verify: { result: string; attempts: number } | null }[];
}

describe('verify, gate and the way out over ssh', () => {
  it('verify waits for a health endpoint that comes up late; the gate checks each wave’s endpoints', async () => {
    const dir = await tempDir();
    const ports = await Promise.all(NAMES.map(() => freePort()));
    const root = join(fleet.scratchDir, `gates-${Date.now()}`);
    const portVars = Object.fromEntries(NAMES.map((n, i) => [`PORT_${n}`, ports[i]!]));
    const cfg = join(dir, 'release.yml');
    // The step starts a server that listens only 3 s later (as a restarted app does) and leaves.
    await writeFile(
      cfg,
      `${head({ ROOT: root, NODE: process.execPath, ...portVars })}runners:
  deploy:
    stages:
      - name: Restart
        hosts: [web]
        batch: [2]
        steps:
          - run: |
              port_var="PORT_$BW_HOST"
              mkdir -p "$ROOT"
              nohup "$NODE" -e '
                const port = Number(process.argv[1]);
                setTimeout(() => require("http").createServer((q, r) => r.end("up")).listen(port, "127.0.0.1"), 3000);
                setTimeout(() => process.exit(0), 20000);
              ' "\${!port_var}" >/dev/null 2>&1 &
              echo $! >> "$ROOT/pids"
              echo "restarted on \${!port_var}"
        verify: { run: 'port_var="PORT_$BW_HOST"; curl -fsS -m 2 "http://127.0.0.1:\${!port_var}/up"', timeout: 20s, interval: 250ms }
        gate:
          local: |
            for h in $BW_WAVE_HOSTS; do
              port_var="PORT_$h"
              curl -fsS -m 2 "http://127.0.0.1:\${!port_var}/up" >/dev/null
            done
            echo "wave $BW_WAVE: $BW_WAVE_HOSTS" >> "${dir}/gates"
`,
    );
    const report = join(dir, 'r.json');
    const r = await runCli(['run', '-c', cfg, '--report', report], { timeoutMs: 90_000 });
    try {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const json = JSON.parse(readFileSync(report, 'utf8')) as { result: string; stages: JsonStage[] };
      const stage = json.stages[0]!;
      for (const j of stage.jobs) {
        expect(j.verify!.result).toBe('success');
        // Up only 3 s after the step: the first checks found nothing listening.
        expect(j.verify!.attempts).toBeGreaterThan(1);
      }
      expect(stage.waves.map((w) => [w.index, w.hosts, w.gate?.result])).toEqual([
        [1, ['web1'], 'success'],
        [2, ['web2', 'web3'], 'success'],
      ]);
      expect(readFileSync(join(dir, 'gates'), 'utf8')).toBe('wave 1: web1\nwave 2: web2 web3\n');
      expect(r.stdout).toMatch(/^web1 ↻ verify: exit code 7 — attempt 2 in 250 ms$/m);
      expect(r.stdout).toMatch(/^web1 ✔ success · 1 attempt · verified \(\d+ attempts\) · /m);
      expect(r.stdout).toMatch(/^≡ wave 2\/2 · 2 hosts · gate ✔ passed · /m);
    } finally {
      for (const pid of readPids(join(root, 'pids'))) if (isRunning(pid)) process.kill(pid, 'SIGTERM');
    }
  }, 120_000);

  it('a failed smoke stage: the success stages after it are skipped, the when: failure undo switches every host back', async () => {
    const dir = await tempDir();
    const root = join(fleet.scratchDir, `undo-${Date.now()}`);
    const cfg = join(dir, 'release.yml');
    await writeFile(
      cfg,
      `${head({ ROOT: root })}runners:
  deploy:
    stages:
      - name: Distribute
        hosts: [web]
        steps:
          - run: |
              d="$ROOT/$BW_HOST"
              mkdir -p "$d/releases/old" "$d/releases/$BW_RELEASE"
              [ -L "$d/current" ] || ln -s releases/old "$d/current"
      - name: Switch
        hosts: [web]
        steps:
          - run: |
              cd "$ROOT/$BW_HOST"
              readlink current > previous
              ln -sfn "releases/$BW_RELEASE" current.new && mv -T current.new current
      - name: Smoke
        hosts: [web]
        canary: false
        steps:
          - run: test "$BW_HOST" != web2 || { echo "web2 answers 500"; exit 1; }
      - name: Announce
        hosts: [web]
        steps:
          - run: touch "$ROOT/$BW_HOST/announced"
      - name: Undo
        when: failure
        hosts: [web]
        canary: false
        max-failures: 100%
        steps:
          - run: |
              cd "$ROOT/$BW_HOST"
              echo "$BW_RESULT|$BW_FAILED_STAGE|$BW_FAILED_HOSTS" > undo.env
              # Only a host this run switched goes back.
              if [ "$(readlink current)" = "releases/$BW_RELEASE" ]; then
                ln -sfn "$(cat previous)" current.new && mv -T current.new current
              fi
`,
    );
    const report = join(dir, 'r.json');
    const r = await runCli(['run', '-c', cfg, '--report', report], { timeoutMs: 90_000 });
    expect(r.code).toBe(1);
    for (const name of NAMES) {
      expect(readlinkSync(join(root, name, 'current'))).toBe('releases/old');
      expect(readFileSync(join(root, name, 'undo.env'), 'utf8')).toBe('failure|Smoke|web2\n');
      expect(existsSync(join(root, name, 'announced'))).toBe(false);
    }
    const json = JSON.parse(readFileSync(report, 'utf8')) as { result: string; stages: JsonStage[] };
    expect(json.result).toBe('failure');
    expect(json.stages.map((s) => [s.name, s.result, s.when])).toEqual([
      ['Distribute', 'success', 'success'],
      ['Switch', 'success', 'success'],
      ['Smoke', 'failure', 'success'],
      ['Announce', 'skipped', 'success'],
      ['Undo', 'success', 'failure'],
    ]);
    expect(r.stdout).toContain('■ Announce: skipped · the release failed at stage "Smoke"');
    expect(r.stdout).toContain('Stage 5/5 · Undo · 3 hosts · when: failure');
    expect(r.stdout).toMatch(/^stage "Smoke" failed: 1 of 3 jobs failed \(max-failures 0\): web2$/m);
  }, 120_000);

  it('SIGINT during a long stage: the when: cancelled stage still notifies, on the hosts and the controller, within 5 s', async () => {
    const dir = await tempDir();
    const root = join(fleet.scratchDir, `cancel-${Date.now()}`);
    const cfg = join(dir, 'release.yml');
    await writeFile(
      cfg,
      `${head({ ROOT: root, OUT: dir })}runners:
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
        steps:
          - run: touch "$ROOT/switched-$BW_HOST"
      - name: Notify
        when: cancelled
        hosts: [web]
        canary: false
        steps:
          - run: echo "$BW_RESULT" > "$ROOT/notified-$BW_HOST"
          - local: echo "$BW_RESULT $BW_HOST" >> "$OUT/chat"
`,
    );
    const report = join(dir, 'r.json');
    const interrupt = signalWhen((out) => occurrences(out, /│ started/g) === 3);
    const r = await runCli(['run', '-c', cfg, '--report', report], {
      timeoutMs: 60_000,
      onStdout: interrupt.onStdout,
    });
    expect(interrupt.sentAt()).toBeGreaterThan(0);
    expect(Date.now() - interrupt.sentAt()).toBeLessThan(5_000);
    expect(r.code).toBe(130);
    for (const name of NAMES) {
      expect(readFileSync(join(root, `notified-${name}`), 'utf8')).toBe('cancelled\n');
      expect(existsSync(join(root, `switched-${name}`))).toBe(false);
    }
    expect(readFileSync(join(dir, 'chat'), 'utf8').split('\n').filter(Boolean).sort()).toEqual([
      'cancelled web1',
      'cancelled web2',
      'cancelled web3',
    ]);
    const json = JSON.parse(readFileSync(report, 'utf8')) as { result: string; stages: JsonStage[] };
    expect(json.result).toBe('cancelled');
    expect(json.stages.map((s) => [s.name, s.result])).toEqual([
      ['Long', 'failure'],
      ['Switch', 'skipped'],
      ['Notify', 'success'],
    ]);
    // The cancelled commands are gone, not left running on the hosts.
    const shells = readPids(join(root, 'pids'));
    expect(shells).toHaveLength(3);
    await waitForExit(shells, 15_000);
  }, 90_000);

  it('a dry run shows verify, gate and the stages on the way out in the plan, and connects to nothing', async () => {
    const dir = await tempDir();
    const cfg = join(dir, 'release.yml');
    await writeFile(
      cfg,
      // With the deploy lock on: a dry run takes none, and says so after its header.
      `${fleetConfigHead(fleet, { names: NAMES, vars: { APP: 'shop' }, lock: 'true' })}runners:
  deploy:
    stages:
      - name: Ship
        hosts: [web]
        steps: [{ run: ./ship }]
        verify: { run: curl -fsS http://127.0.0.1:8080/up }
        gate: { local: ./check-error-rate.sh, soak: 10m }
      - name: Undo
        when: failure
        hosts: [web]
        steps: [{ run: ./undo }]
`,
    );
    const before = await Promise.all(fleet.hosts.map((h) => h.connections()));
    const r = await runCli(['run', '-c', cfg, '--dry-run'], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    // DRY RUN on the first line, as the README promises; the lock notice comes after the header.
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^boerewors · DRY RUN · runner deploy · release /);
    expect(lines.findIndex((l) => l.includes('🔒 deploy lock: a real run takes'))).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/^web1 +» verify: curl -fsS http:\/\/127\.0\.0\.1:8080\/up$/m);
    expect(r.stdout).toMatch(/^controller » gate: \.\/check-error-rate\.sh$/m);
    expect(r.stdout).toMatch(/^≡ wave 2\/2 · 2 hosts · gate ✔ passed · /m);
    expect(r.stdout).toContain('Stage 2/2 · Undo · 3 hosts · canary web1 · when: failure');
    expect(r.stdout).toMatch(/^web2 +│ +\$ \.\/undo$/m);
    const after = await Promise.all(fleet.hosts.map((h) => h.connections()));
    expect(after).toEqual(before);
  }, 60_000);
});
