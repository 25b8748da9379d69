/**
 * What the release-directory host scripts answer is data from a host that may lie: the answer of
 * the rollback's read stage (`current releases/ID first went live at TIME`) and the `bw-release:` lines of
 * switch, rollback and undo are schema-checked, and a malformed answer fails that host's job with
 * an error naming it. The other hosts are not swayed by it. Each command has a deadline of its own.
 */
import { rollbackFrom, rollbackReadStage } from '../../src/config/rollback-from.js';
import { resolveReleases } from '../../src/config/safe-releases.js';
import { releasesSchema } from '../../src/config/schema-releases.js';
import type { JobContext } from '../../src/engine/model/job.js';
import { releaseStepTask } from '../../src/steps/release-step.js';
import { Stage } from '../../src/engine/model/stage.js';
import { remote } from '../../src/engine/model/subtask.js';
import {
  currentLiveProblem,
  parseCurrentLive,
  parseRolledBackInRun,
} from '../../src/steps/release-dir-scripts.js';
import { bodyJob, hosts, run } from '../engine/harness.js';
import type { Behaviour } from '../support/fake-transport.js';

const DIRS = { path: '/srv/app', keep: 5, shared: [] };

describe('the answer of the rollback read stage', () => {
  it('a host answering `current releases/..` (or that this run rolled back `..`) fails its own job, names itself, and sways nothing', async () => {
    const fleet = hosts(4);
    const read = rollbackReadStage({ steps: [{ release: 'rollback' }] }, 'Rollback', fleet, {}, DIRS);
    if (!read) throw new Error('expected a read stage');
    const answers: Record<string, string> = {
      'web-1': 'current releases/r2 first went live at 2026-12-06T10:00:02.000Z',
      'web-2': 'current releases/.. first went live at ~',
      'web-3': 'current releases/r1 first went live at 2026-12-06T09:00:00Z',
      // Read first (it wins over any current): would make ".." the release of every part.
      'web-4':
        'this run rolled back releases/.. at 2099-01-01T00:00:00Z\ncurrent releases/r1 first went live at 2026-12-06T09:00:00Z',
    };
    const { report } = await run([read], {
      script: (call): Behaviour => ({ lines: (answers[call.host] as string).split('\n') }),
    });
    const jobs = report.stages[0]?.jobs ?? [];
    expect(jobs.map((j) => [j.host, j.result])).toEqual([
      ['web-1', 'success'],
      ['web-2', 'failure'],
      ['web-3', 'success'],
      ['web-4', 'failure'],
    ]);
    expect(jobs[1]?.error).toContain('web-2 answered which release is current with');
    expect(jobs[3]?.error).toContain('web-4 answered which release is current with');
    expect(jobs[1]?.error).toContain('not "." or ".."');
    // What the rollback stage would be told: the honest newest, never "..".
    expect(rollbackFrom(report.stages, read.name)).toBe('r2');
  });

  it('a flood instead of an answer fails that host within the capture bound', async () => {
    const fleet = hosts(1);
    const read = rollbackReadStage({ steps: [{ release: 'rollback' }] }, 'Rollback', fleet, {}, DIRS);
    if (!read) throw new Error('expected a read stage');
    const flood = Array.from({ length: 2000 }, () => 'x'.repeat(100));
    // It would go on for a minute: the bound stops it.
    const { report, transport } = await run([read], { script: () => ({ lines: flood, delayMs: 60_000 }) });
    expect(transport.records[0]?.outcome).toBe('aborted');
    // Stopped at the first line past the bound: nothing more is read.
    expect(report.stages[0]?.jobs[0]?.error).toBe(
      'release: rollback: read current on web-1: printed more than 65536 bytes: stopped',
    );
  });

  it('the parser takes only a directory name in releases/ and an ISO-8601 UTC time (or never)', () => {
    const ok = { stdout: '', stdoutTruncated: false };
    expect(parseCurrentLive('current releases/.. first went live at ~')).toBeNull();
    expect(parseCurrentLive('current releases/r1 first went live at ~')).toBeNull();
    expect(parseCurrentLive('current releases/r1 first went live at 9999')).toBeNull();
    expect(parseCurrentLive('current releases/r1 first went live at 2026-13-01T00:00:00Z')).toBeNull();
    expect(parseCurrentLive('current releases/r1 first went live at 2026-12-06T10:00:00Z')).toEqual({
      id: 'r1',
      time: '2026-12-06T10:00:00.000Z',
    });
    expect(parseCurrentLive('current releases/_by-hand first went live at never')).toEqual({
      id: '_by-hand',
      time: 'never',
    });
    expect(
      currentLiveProblem({ ...ok, stdout: '/srv/app/current does not point into /srv/app/releases' }),
    ).toBe(undefined);
    expect(currentLiveProblem({ ...ok, stdout: 'current releases/.. first went live at ~' })).toMatch(
      /not "\." or "\.\."/,
    );
    // The honest "no release" line, even for a releases path that starts with "current ".
    expect(
      currentLiveProblem({ ...ok, stdout: 'current x/current does not point into current x/releases' }),
    ).toBe(undefined);
    expect(currentLiveProblem({ ...ok, stdout: 'current releases/r1 first went live at ~' })).toMatch(
      /not ISO-8601/,
    );
    expect(
      currentLiveProblem({
        ...ok,
        stdout:
          'current releases/r1 first went live at never\ncurrent releases/r9 first went live at 2099-01-01T00:00:00Z',
      }),
    ).toMatch(/more than one "current releases\/…" line/);
    // The line saying what this run already rolled back is held to the same schema.
    expect(parseRolledBackInRun('this run rolled back releases/.. at 2026-12-06T10:00:00Z')).toBeNull();
    expect(parseRolledBackInRun('this run rolled back releases/r2 at never')).toBeNull();
    expect(parseRolledBackInRun('this run rolled back releases/r2 at 2026-12-06T10:00:00Z')).toEqual({
      id: 'r2',
      time: '2026-12-06T10:00:00.000Z',
    });
    expect(currentLiveProblem({ ...ok, stdout: 'this run rolled back releases/.. at ~' })).toMatch(
      /not "\." or "\.\."/,
    );
  });
});

describe('the `bw-release:` lines of switch, rollback and undo', () => {
  it('a forged line (`..`, control characters, a `::` command) fails that host, and is not recorded', async () => {
    const fleet = hosts(3);
    const lines: Record<string, string> = {
      'web-1': 'bw-release: rollback r2 r1',
      'web-2': 'bw-release: rollback .. ..',
      'web-3': 'bw-release: switch r1 r2\u001b[31m\n::error::forged',
    };
    const jobs = () =>
      fleet.map((h) =>
        bodyJob(h, async function* () {
          yield remote('release', { reportsRelease: true, label: 'release: rollback' });
        }),
      );
    const { report, events } = await run(
      [new Stage({ name: 'Rollback', canary: false, jobs, maxFailures: { percent: 100 } })],
      {
        // A lying host is stopped at its first forged line, not waited for.
        script: (call): Behaviour => ({
          lines: (lines[call.host] as string).split('\n'),
          ...(call.host === 'web-1' ? {} : { delayMs: 60_000 }),
        }),
      },
    );
    const got = report.stages[0]?.jobs ?? [];
    expect(got.map((j) => [j.host, j.result, j.release ?? null])).toEqual([
      ['web-1', 'success', { action: 'rollback', before: 'r2', after: 'r1' }],
      ['web-2', 'failure', null],
      ['web-3', 'failure', null],
    ]);
    expect(got[1]?.error).toBe(
      'release: rollback on web-2: printed a malformed bw-release: line (not "ACTION BEFORE AFTER" with release directory names): "bw-release: rollback .. .."',
    );
    expect(got[2]?.error).toContain('release: rollback on web-3: printed a malformed bw-release: line');
    expect(got[2]?.error).toContain('\\u001b[31m');
    // A forged line is kept out of the output, as a real one is.
    const shown = events.flatMap((e) => (e.type === 'output' ? [e.line] : []));
    expect(shown.filter((l) => l.startsWith('bw-release:'))).toEqual([]);
  });
});

describe("a command's own deadline (timeoutMs)", () => {
  it('a host that goes silent fails that step within its deadline, not the whole run', async () => {
    const fleet = hosts(2);
    const jobs = () =>
      fleet.map((h) =>
        bodyJob(h, async function* () {
          yield remote('release', { label: 'release: prune', timeoutMs: 200 });
        }),
      );
    const started = Date.now();
    const { report } = await run(
      [new Stage({ name: 'Prune', canary: false, jobs, maxFailures: { percent: 100 } })],
      {
        script: (call): Behaviour => (call.host === 'web-1' ? { delayMs: 60_000 } : {}),
      },
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    const got = report.stages[0]?.jobs ?? [];
    expect(got.map((j) => [j.host, j.result, j.errorKind])).toEqual([
      ['web-1', 'failure', 'timeout'],
      ['web-2', 'success', undefined],
    ]);
    expect(got[0]?.error).toBe('release: prune on web-1 timed out after 200ms (its deadline)');
  });
});

describe('releases.timeout', () => {
  it('every release: step carries it (10 minutes unless the config says otherwise)', () => {
    const ctx = { host: hosts(1)[0], release: 'r1', env: {} } as unknown as JobContext;
    const paths = { BW_RELEASES_PATH: '/srv/app' };
    expect(releaseStepTask('prune', DIRS, ctx, paths, 'release: prune').timeoutMs).toBe(10 * 60_000);
    const block = releasesSchema.parse({ path: '/srv/app', timeout: '90s' });
    const dirs = resolveReleases(block);
    expect(dirs?.timeoutMs).toBe(90_000);
    expect(releaseStepTask('switch', dirs!, ctx, paths, 'release: switch').timeoutMs).toBe(90_000);
  });
});
