/**
 * The controller killed outright (SIGKILL: no cancel, no cleanup) in the middle of an upload and in
 * the middle of `release: switch` on many hosts at once, against real sshd: every host is left with
 * its old release or the new one, complete, never a partial one; sshd's side removes the upload's
 * staging directories; and the next run releases from there.
 */
import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, signalWhen, tempDir } from '../support/cli.js';
import { fleetConfigHead, useSshdFleet } from '../support/ssh-release-fixture.js';
import { waitUntil } from '../support/sshd-fixtures.js';

const fleet = useSshdFleet({ count: 6 }, 60_000);
let work: string;
let build: string;
let config: string;
let root: string;

beforeAll(async () => {
  work = await tempDir('bw-killed-');
  build = join(work, 'build');
  await mkdir(build);
  for (let i = 0; i < 3; i++) await writeFile(join(build, `blob${i}.bin`), randomBytes(2 * 1024 * 1024));
  root = join(fleet.scratchDir, `killed-${process.pid}`);
  config = join(work, 'release.yml');
  await writeFile(
    config,
    fleetConfigHead(fleet) +
      [
        'releases:',
        `  path: ${root}/\${BW_HOST}`,
        'runners:',
        '  deploy:',
        '    stages:',
        '      - name: Ship',
        '        hosts: [web]',
        '        canary: false',
        '        steps:',
        '          - release: prepare',
        `          - upload: { from: ${build}/, to: '\${BW_RELEASE_PATH}' }`,
        '      - name: Switch',
        '        hosts: [web]',
        '        canary: false',
        '        steps: [{ release: switch }]',
        '',
      ].join('\n'),
  );
}, 60_000);

afterAll(() => rm(work, { recursive: true, force: true }));

const deploy = (id: string, onStdout?: (text: string, child: ChildProcess) => void) =>
  // TMPDIR inside `work`: a controller killed mid-upload leaves its archive directory there
  // (boerewors-upload-*, as docs/ssh.md says), and afterAll removes it with the rest.
  runCli(['run', '-c', config, '-r', 'deploy', '--release-id', id], {
    timeoutMs: 240_000,
    onStdout,
    env: { TMPDIR: work },
  });

/** Per host: the release `current` points at, after checking it is complete and the history agrees. */
function currentReleases(): string[] {
  return fleet.hosts.map((h) => {
    const dir = join(root, h.name);
    const id = readlinkSync(join(dir, 'current')).replace(/^releases\//, '');
    // Complete: every file of the build, this release's own.
    expect(readFileSync(join(dir, 'current', 'blob2.bin')).length).toBe(2 * 1024 * 1024);
    const lives = readFileSync(join(dir, '.boerewors', 'releases.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"state":"live"'));
    expect(lives.at(-1)).toContain(`"id":"${id}"`);
    return id;
  });
}

const staging = (): string[] =>
  fleet.hosts.flatMap((h) => {
    const dir = join(root, h.name, 'releases');
    return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('.bw-upload-')) : [];
  });

it('killed mid-upload: every host keeps its old release, staging goes, the next run releases', async () => {
  const first = await deploy('r1');
  expect(first.code).toBe(0);
  let child: ChildProcess | undefined;
  const run = deploy('r2', (_text, c) => (child = c));
  await waitUntil(() => staging().length > 0, 120_000, 'an upload to start');
  child?.kill('SIGKILL');
  const killed = await run;
  expect(killed.signal).toBe('SIGKILL');
  await waitUntil(() => staging().length === 0, 60_000, 'every host to remove its staging directory');
  expect(currentReleases()).toEqual(fleet.hosts.map(() => 'r1'));
  const next = await deploy('r3');
  expect(next.code).toBe(0);
  expect(currentReleases()).toEqual(fleet.hosts.map(() => 'r3'));
}, 600_000);

it('killed mid-switch on six hosts at once: each host is on the old or the new release, whole', async () => {
  const kill = signalWhen((out) => /current -> releases\/r4/.test(out), 'SIGKILL');
  const killed = await deploy('r4', kill.onStdout);
  expect(kill.sentAt()).toBeGreaterThan(0);
  expect(killed.signal).toBe('SIGKILL');
  // The switches already running on the hosts finish on their own (signals ignored): wait until
  // every host's history agrees with its `current`, then check each is whole.
  await waitUntil(
    () => {
      try {
        currentReleases();
        return true;
      } catch {
        return false;
      }
    },
    30_000,
    'every host to settle',
  );
  const ids = currentReleases();
  expect(ids).toContain('r4');
  for (const id of ids) expect(['r3', 'r4']).toContain(id);
  const next = await deploy('r5');
  expect(next.code).toBe(0);
  expect(currentReleases()).toEqual(fleet.hosts.map(() => 'r5'));
}, 600_000);
