/**
 * The `release:` steps over SSH against real OpenSSH servers: a `~/` releases path (relative to
 * the login home on the host), an upload into the prepared release, keep-N across deploys with a
 * failed one in between, and rollback down to none. The lock is not under test here (lock: false).
 */
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI_SOURCES } from '../../src/cli/args.js';
import type { EngineEvent } from '../../src/engine/report/events.js';
import { Cancellation } from '../../src/pipeline/cancellation.js';
import { loadRelease, runRelease } from '../../src/pipeline/pipeline.js';
import type { ReleaseSettings } from '../../src/pipeline/settings.js';
import { tempDir } from '../support/cli.js';
import { loginHome } from '../support/sshd-user.js';
import { fleetConfigHead, useSshdFleet } from '../support/ssh-release-fixture.js';

const fleet = useSshdFleet({ count: 2 });

describe('release: steps over ssh (real sshd)', () => {
  it('~/ paths, upload into the release, keep-N past a failed deploy, rollback until none is left', async () => {
    const dir = await tempDir('bw-release-ssh-');
    const base = `bw-release-ssh-${process.pid}-${Date.now()}`;
    const home = loginHome(fleet.user);
    await writeFile(join(dir, 'index.html'), 'hello\n');
    await writeFile(
      join(dir, 'release.yml'),
      `${fleetConfigHead(fleet, { connectTimeout: null, vars: { FAIL: '', SRC: dir } })}releases:
  path: ~/${base}/\${BW_HOST}
  keep: 2
  shared: [logs/]
runners:
  deploy:
    stages:
      - name: Ship
        hosts: [web]
        steps:
          - release: prepare
          - upload: { from: '\${SRC}/index.html', to: '\${BW_RELEASE_PATH}/' }
          - run: '[ "$FAIL" != 1 ] && echo "$BW_RELEASE" >> "$BW_RELEASE_PATH/logs/shipped"'
      - name: Switch
        hosts: [web]
        steps: [{ release: switch }, { release: prune }]
  rollback:
    stages:
      - name: Back
        hosts: [web]
        steps: [{ release: rollback }]
`,
    );
    const run = async (runner: string, over: Partial<ReleaseSettings> = {}) => {
      const settings: ReleaseSettings = {
        vars: { FAIL: '', ...over.vars },
        secretVars: {},
        dryRun: false,
        runner,
        sources: CLI_SOURCES,
        ...(over.release ? { release: over.release } : {}),
      };
      const events: EngineEvent[] = [];
      const { report } = await runRelease(settings, await loadRelease(settings, { cwd: dir }), {
        cancellation: new Cancellation(),
        onEvent: (e) => events.push(e),
      });
      return {
        result: report.result,
        lines: events.flatMap((e) => (e.type === 'output' ? [e.line] : [])),
        errors: report.stages.flatMap((s) => s.jobs.flatMap((j) => (j.error ? [j.error] : []))),
      };
    };
    const at = (host: string, ...rest: string[]) => join(home, base, host, ...rest);
    try {
      const ok = await run('deploy', { release: 'r1' });
      expect(ok.errors).toEqual([]);
      expect(ok.result).toBe('success');
      expect((await run('deploy', { release: 'r2' })).result).toBe('success');
      expect((await run('deploy', { release: 'r3', vars: { FAIL: '1' } })).result).toBe('failure');
      const r4 = await run('deploy', { release: 'r4' });
      expect(r4.result).toBe('success');
      for (const h of fleet.hosts) {
        expect(readlinkSync(at(h.name, 'current'))).toBe('releases/r4');
        expect(readFileSync(at(h.name, 'current/index.html'), 'utf8')).toBe('hello\n');
        expect(readlinkSync(at(h.name, 'releases/r4/logs'))).toBe('../../shared/logs');
        // keep: 2 live releases (r4, r2); r1 is older, r3 never went live and is older than current.
        expect(
          readdirSync(at(h.name, 'releases'))
            .filter((n) => !n.startsWith('.'))
            .sort(),
        ).toEqual(['r2', 'r4']);
        expect(readFileSync(at(h.name, 'shared/logs/shipped'), 'utf8')).toBe('r1\nr2\nr4\n');
      }
      expect(r4.lines).toContain('pruned releases/r3: never went live, older than current');
      expect(r4.lines).toContain('pruned releases/r1: older than the newest 2 live releases');

      expect((await run('rollback')).result).toBe('success');
      for (const h of fleet.hosts) expect(readlinkSync(at(h.name, 'current'))).toBe('releases/r2');
      const none = await run('rollback');
      expect(none.result).toBe('failure');
      expect(none.lines.join('\n')).toContain('no release to roll back to');
      for (const h of fleet.hosts) expect(readlinkSync(at(h.name, 'current'))).toBe('releases/r2');
      // Nothing was written outside the releases path in the login home.
      expect(existsSync(join(home, 'releases'))).toBe(false);
    } finally {
      await rm(join(home, base), { recursive: true, force: true });
    }
  }, 120_000);
});
