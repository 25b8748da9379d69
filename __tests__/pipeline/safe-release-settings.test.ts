/**
 * What the deploy lock and release directories are configured from, before anything connects:
 * release ids, the flags and inputs, the `lock:` and `releases:` blocks (defaults and errors at
 * their position), which runs take the lock, and what a dry run says about it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readInputs } from '../../src/action/inputs.js';
import { parseCli } from '../../src/cli/args.js';
import { UsageError } from '../../src/contract/errors.js';
import type { EngineEvent } from '../../src/engine/report/events.js';
import { defaultReleaseId, releaseIdProblem } from '../../src/engine/model/release-id.js';
import { loadConfig } from '../../src/index.js';
import { Cancellation } from '../../src/pipeline/cancellation.js';
import { lockTargetFor } from '../../src/pipeline/lock/lock-plan.js';
import { loadRelease, runRelease } from '../../src/pipeline/pipeline.js';
import { runIds } from '../../src/pipeline/run-identity.js';
import { tempDir } from '../support/cli.js';
import { generateKey } from '../support/sshd-keys.js';

async function configFile(name: string, text: string): Promise<string> {
  const dir = await tempDir('bw-safe-settings-');
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const HOSTS = `hosts:
  local: [local:a]
  web: [web-1.example.com, web-2.example.com]
`;

const RUNNERS = `runners:
  deploy:
    stages:
      - name: Ship
        hosts: [web]
        steps: [{ run: 'true' }]
  build:
    stages:
      - name: Build
        hosts: [local]
        steps: [{ run: 'true' }]
`;

describe('release ids', () => {
  it('default: the start as a UTC timestamp and six random hex digits; two runs in one second differ', () => {
    const at = new Date('2026-11-29T08:05:54.321Z');
    expect(defaultReleaseId(at, () => Buffer.from([0x3a, 0x0a, 0x71]))).toBe('20261129T080554Z-3a0a71');
    const ids = new Set(Array.from({ length: 50 }, () => defaultReleaseId(at)));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(releaseIdProblem(id)).toBeUndefined();
  });

  it('an id names a directory: no path separators, no "..", no leading dot or dash', () => {
    for (const ok of ['v1.2.3', 'abc_DEF-9', 'a'.repeat(128)]) expect(releaseIdProblem(ok)).toBeUndefined();
    for (const bad of ['', '../x', 'a/b', 'a..b', '.hidden', '-x', 'a b', 'a'.repeat(129)])
      expect(releaseIdProblem(bad)).toMatch(/^expected a release id/);
  });
});

describe('BW_RUN_ID and BW_RUN_ATTEMPT', () => {
  const actions = (attempt: string): NodeJS.ProcessEnv => ({
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_RUN_ID: '4243',
    GITHUB_RUN_ATTEMPT: attempt,
  });
  const hex = /^[0-9a-f]{16}$/;

  it('in Actions: the run follows the workflow run whatever the lock token; the attempt follows the re-run', () => {
    const first = runIds(actions('1'), { lockToken: 'ab'.repeat(16), part: true, release: 'run-4243' });
    const rerun = runIds(actions('2'), { lockToken: 'cd'.repeat(16), part: true, release: 'run-4243' });
    expect(rerun.run).toBe(first.run);
    expect(rerun.attempt).not.toBe(first.attempt);
    expect(runIds(actions('1'), { part: false, release: 'v1' })).toEqual(first);
    expect(runIds({ ...actions('1'), GITHUB_RUN_ID: '4244' }, { part: false, release: 'v1' }).run).not.toBe(
      first.run,
    );
    expect(first.run).toMatch(hex);
    expect(first.attempt).toMatch(hex);
  });

  it('outside Actions: parts follow their release id, a re-entered lock its token; any other run is new', () => {
    const part = (lockToken: string) => runIds({}, { lockToken, part: true, release: 'v7' });
    expect(part('ab'.repeat(16)).run).toBe(part('cd'.repeat(16)).run);
    expect(runIds({}, { part: true, release: 'v8' }).run).not.toBe(part('ab').run);
    const token = 'ab'.repeat(16);
    expect(runIds({}, { lockToken: token, part: false, release: 'a' }).run).toBe(
      runIds({}, { lockToken: token, part: false, release: 'b' }).run,
    );
    const one = runIds({}, { part: false, release: 'v1' });
    expect(one.run).not.toBe(runIds({}, { part: false, release: 'v1' }).run);
    expect(one.attempt).toBe(one.run);
    expect(one.run).toMatch(hex);
  });
});

describe('flags and inputs', () => {
  const fails = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    throw new Error('expected a UsageError');
  };

  it('--release-id, --lock-wait and BW_LOCK_TOKEN reach the settings; bad ones are usage errors naming the flag', () => {
    const token = 'ab'.repeat(16);
    const cmd = parseCli(['run', '--release-id', 'v1.2.3', '--lock-wait', '5m'], { BW_LOCK_TOKEN: token });
    expect(cmd).toMatchObject({
      kind: 'run',
      settings: { release: 'v1.2.3', lockWaitMs: 300_000, lockToken: token },
    });
    expect(fails(() => parseCli(['run', '--release-id', '../etc']))).toMatch(
      /^--release-id: expected a release id/,
    );
    expect(fails(() => parseCli(['run', '--lock-wait', '10']))).toBe(
      '--lock-wait: expected a duration like 30s, 5m or 1h, got "10"',
    );
    // A malformed token is refused without being quoted.
    const message = fails(() => parseCli(['run'], { BW_LOCK_TOKEN: 'not a token; rm -rf /' }));
    expect(message).toMatch(/^BW_LOCK_TOKEN: expected a lock token/);
    expect(message).not.toContain('rm -rf');
  });

  it('boerewors lock: an action is required, and flags of other commands are refused', () => {
    expect(parseCli(['lock', 'acquire', '-m', 'maintenance'])).toMatchObject({
      kind: 'lock',
      action: 'acquire',
      message: 'maintenance',
      force: false,
    });
    expect(parseCli(['lock', 'release', '--force'])).toMatchObject({
      kind: 'lock',
      action: 'release',
      force: true,
    });
    expect(fails(() => parseCli(['lock']))).toBe('lock: missing action: status, acquire, release');
    expect(fails(() => parseCli(['lock', 'break']))).toBe(
      'lock: unknown action "break": expected status, acquire, release',
    );
    expect(fails(() => parseCli(['lock', 'status', '--force']))).toBe(
      '--force is an option of "boerewors lock release", not of "boerewors lock status"',
    );
    expect(fails(() => parseCli(['run', '--force']))).toBe(
      '--force is an option of "boerewors lock release", not of "boerewors run"',
    );
  });

  it('the action inputs release-id and lock-wait, named in their errors', () => {
    const read = (values: Record<string, string>) => readInputs((name) => values[name] ?? '', {});
    expect(read({ 'release-id': 'v2', 'lock-wait': '30s' })).toMatchObject({
      release: 'v2',
      lockWaitMs: 30_000,
    });
    expect(fails(() => read({ 'release-id': 'a/b' }))).toMatch(/^Input "release-id": expected a release id/);
    expect(fails(() => read({ 'lock-wait': 'soon' }))).toBe(
      'Input "lock-wait": expected a duration like 30s, 5m or 1h, got "soon"',
    );
  });
});

describe('lock: and releases: blocks', () => {
  it('defaults: on for runners that touch an SSH host, on the first one, named after the config file', async () => {
    const config = await loadConfig(await configFile('shop.yml', `version: 1\n${HOSTS}${RUNNERS}`));
    expect(config.lock).toMatchObject({ mode: 'auto', name: 'shop', waitMs: 0, staleAfterMs: 600_000 });
    expect(config.lock.host?.name).toBe('web-1.example.com');
    const runner = (name: string) => config.runners.find((r) => r.name === name);
    expect(lockTargetFor(config, runner('deploy'), {})).toMatchObject({
      name: 'shop',
      host: { name: 'web-1.example.com' },
    });
    // Only local: hosts: no lock. A --lock-wait wins over lock.wait.
    expect(lockTargetFor(config, runner('build'), {})).toBeUndefined();
    expect(lockTargetFor(config, runner('deploy'), { lockWaitMs: 5000 })?.waitMs).toBe(5000);
  });

  it('lock: false turns it off; lock: true takes it for local-only runners too; a map sets it', async () => {
    const off = await loadConfig(await configFile('a.yml', `version: 1\nlock: false\n${HOSTS}${RUNNERS}`));
    expect(lockTargetFor(off, off.runners[0], {})).toBeUndefined();
    const on = await loadConfig(
      await configFile(
        'b.yml',
        `version: 1\nlock: true\nhosts: { local: [local:a] }\nrunners:\n  x:\n    stages: [{ name: S, hosts: [local], steps: [{ run: 'true' }] }]\n`,
      ),
    );
    expect(lockTargetFor(on, on.runners[0], {})).toMatchObject({ name: 'b', host: { name: 'local:a' } });
    const map = await loadConfig(
      await configFile(
        'c.yml',
        `version: 1\nlock: { host: web-2.example.com, name: shop-eu, wait: 2m, stale-after: 30s }\n${HOSTS}${RUNNERS}`,
      ),
    );
    expect(lockTargetFor(map, map.runners[0], {})).toMatchObject({
      host: { name: 'web-2.example.com' },
      name: 'shop-eu',
      waitMs: 120_000,
      staleAfterMs: 30_000,
    });
  });

  it('errors point at the value: an unknown lock host (with a suggestion), a bad name, a shared path outside the release', async () => {
    const load = async (block: string) =>
      loadConfig(await configFile('release.yml', `version: 1\n${block}\n${HOSTS}${RUNNERS}`)).then(
        () => '',
        (e: Error) => e.message.replace(/^.*\/release\.yml/, 'release.yml'),
      );
    expect(await load('lock: { host: web-1.example.con }')).toBe(
      'release.yml:2:15: lock.host: unknown host "web-1.example.con", did you mean "web-1.example.com"?',
    );
    expect(await load('lock: { name: ../x }')).toMatch(/^release.yml:2:15: lock.name: expected a lock name/);
    expect(await load('releases: { path: /srv/x, shared: [../etc/] }')).toBe(
      'release.yml:2:36: releases.shared[0]: expected a relative path inside the release, like storage/ or .env (a trailing / marks a directory): it has an empty, "." or ".." part, got "../etc/"',
    );
  });
});

describe('a dry run and the lock', () => {
  it('takes no lock and connects to nothing, but says where a real run would take it', async () => {
    const dir = await tempDir('bw-safe-dry-');
    await generateKey(join(dir, 'key'));
    await writeFile(join(dir, 'known_hosts'), '');
    await writeFile(
      join(dir, 'release.yml'),
      `version: 1\nssh: { private-key: ${join(dir, 'key')}, known-hosts: ${join(dir, 'known_hosts')} }\n${HOSTS}${RUNNERS}`,
    );
    const settings = { vars: {}, secretVars: {}, dryRun: true, runner: 'deploy', sources: {} };
    const events: EngineEvent[] = [];
    const { report } = await runRelease(settings, await loadRelease(settings, { cwd: dir }), {
      cancellation: new Cancellation(),
      onEvent: (e) => events.push(e),
    });
    expect(report.result).toBe('success');
    expect(report.lock).toEqual({ name: 'release', host: 'web-1.example.com', state: 'planned' });
    expect(events).toContainEqual({
      type: 'info',
      message:
        '🔒 deploy lock: a real run takes ~/.boerewors/locks/release on web-1.example.com before the first stage; a dry run takes none',
    });
  });

  it('a part of a sharded release takes no lock of its own without a token, and says so', async () => {
    const dir = await tempDir('bw-safe-part-');
    await generateKey(join(dir, 'key'));
    await writeFile(join(dir, 'known_hosts'), '');
    await writeFile(
      join(dir, 'release.yml'),
      `version: 1\nssh: { private-key: ${join(dir, 'key')}, known-hosts: ${join(dir, 'known_hosts')} }\n${HOSTS}${RUNNERS}`,
    );
    const settings = {
      vars: {},
      secretVars: {},
      dryRun: true,
      runner: 'deploy',
      shard: { index: 1, count: 2 },
      sources: {},
    };
    const events: EngineEvent[] = [];
    const { report } = await runRelease(settings, await loadRelease(settings, { cwd: dir }), {
      cancellation: new Cancellation(),
      onEvent: (e) => events.push(e),
    });
    expect(report.lock).toBeUndefined();
    expect(events).toContainEqual({
      type: 'info',
      message:
        '🔓 deploy lock: a part of a sharded release does not take the lock itself; give every part the token of "boerewors lock acquire" in BW_LOCK_TOKEN to hold one lock across them (docs/lock.md)',
    });
  });
});
