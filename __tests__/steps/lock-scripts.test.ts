/**
 * The deploy lock's shell scripts, run for real with `sh` against a temporary HOME: what each one
 * answers and leaves on disk, including the branches a run over SSH rarely reaches (several runs
 * taking over one stale lock at once, a lock that changes between two commands of a script). A
 * tiny `date` or `mv` put first on PATH makes such a moment happen on cue. The same scripts on a
 * real sshd, driven by the CLI, are in cli/cli-lock.test.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  acquireLockCommand,
  heartbeatLockCommand,
  lockStatusCommand,
  parseLockReply,
  releaseLockCommand,
  type LockCommand,
} from '../../src/steps/lock-scripts.js';
import { tempDir } from '../support/cli.js';

interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

let home = '';
let bin = '';
beforeEach(async () => {
  home = await tempDir('bw-lock-home-');
  bin = join(home, 'bin');
  await mkdir(bin);
});
afterEach(() => rm(home, { recursive: true, force: true }));

/** Runs a lock command with `sh`, HOME the test's own, `bin/` first on PATH. */
function sh(command: LockCommand): Promise<ScriptRun> {
  const child = spawn('sh', ['-c', command.script], {
    env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: home, ...command.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

const NAME = 'shop';
const lockDir = (): string => join(home, '.boerewors/locks', NAME);
const owner = (token: string, extra = ''): string => `{"token":"${token}","who":"run-${token}"${extra}}`;
const acquire = (token: string, staleAfterSeconds = 600, reenter?: string, extra = ''): LockCommand =>
  acquireLockCommand({
    name: NAME,
    token,
    owner: owner(token, extra),
    staleAfterSeconds,
    ...(reenter ? { reenter } : {}),
  });
const lines = (r: ScriptRun): string[] => r.stdout.split('\n').filter((l) => l !== '');
const reply = (r: ScriptRun) => parseLockReply(lines(r));
const ownerOnDisk = (): string => readFileSync(join(lockDir(), 'owner.json'), 'utf8').trim();

/** Makes the lock's heartbeat (and owner.json) `seconds` old. */
async function age(seconds: number): Promise<void> {
  const then = Date.now() / 1000 - seconds;
  for (const f of ['heartbeat', 'owner.json']) await utimes(join(lockDir(), f), then, then);
}

/** Where `name` is on this machine's PATH (for a stand-in that then runs it). */
function which(name: string): string {
  const dir = (process.env.PATH ?? '/usr/bin:/bin').split(':').find((d) => existsSync(join(d, name)));
  if (!dir) throw new Error(`no ${name} on PATH`);
  return join(dir, name);
}

/** An executable `name` first on PATH. */
async function onPath(name: string, body: string): Promise<void> {
  await writeFile(join(bin, name), `#!/bin/sh\n${body}`);
  await chmod(join(bin, name), 0o755);
}

describe('the lock scripts, run with sh', () => {
  it('acquire takes a free lock; a second run is told who holds it; the token given to a run re-enters it', async () => {
    const first = await sh(acquire('tokenAAAA'));
    expect(first).toEqual({ code: 0, stdout: 'acquired\n', stderr: '' });
    expect(ownerOnDisk()).toBe(owner('tokenAAAA'));
    expect(existsSync(join(lockDir(), 'heartbeat'))).toBe(true);

    const second = await sh(acquire('tokenBBBB'));
    expect(second.code).toBe(0);
    expect(reply(second)).toEqual({
      answer: 'held',
      ageSeconds: expect.any(Number),
      owner: owner('tokenAAAA'),
    });
    expect(reply(second)!.ageSeconds).toBeLessThan(60);

    const nested = await sh(acquire('tokenCCCC', 600, 'tokenAAAA'));
    expect(reply(nested)).toMatchObject({ answer: 'reentered', owner: owner('tokenAAAA') });
    expect(ownerOnDisk()).toBe(owner('tokenAAAA'));
  });

  it('a stale holder is taken over; a lock taken by hand never is', async () => {
    await sh(acquire('tokenAAAA'));
    await age(120);
    const fresh = await sh(acquire('tokenBBBB', 600));
    expect(reply(fresh)).toMatchObject({ answer: 'held', ageSeconds: expect.any(Number) });
    expect(reply(fresh)!.ageSeconds).toBeGreaterThanOrEqual(119);

    const taker = await sh(acquire('tokenBBBB', 60));
    expect(reply(taker)).toMatchObject({ answer: 'taken-over', owner: owner('tokenAAAA') });
    expect(reply(taker)!.ageSeconds).toBeGreaterThanOrEqual(119);
    expect(ownerOnDisk()).toBe(owner('tokenBBBB'));

    await rm(lockDir(), { recursive: true });
    await sh(acquire('tokenMMMM', 600, undefined, ',"manual":true'));
    await age(3600);
    expect(reply(await sh(acquire('tokenBBBB', 60)))).toMatchObject({ answer: 'held' });
    expect(ownerOnDisk()).toContain('tokenMMMM');
  });

  it('runs racing to take over one stale lock: exactly one takes it, the others are told it is held', async () => {
    const racers = 8;
    for (let round = 0; round < 5; round++) {
      await rm(lockDir(), { recursive: true, force: true });
      await sh(acquire('staleTOKEN'));
      await age(120);
      const runs = await Promise.all(
        Array.from({ length: racers }, (_, i) => sh(acquire(`racer${round}x${i}`, 60))),
      );
      const answers = runs.map((r) => reply(r)?.answer);
      expect(answers.filter((a) => a === 'taken-over')).toHaveLength(1);
      expect(answers.filter((a) => a === 'held')).toHaveLength(racers - 1);
      // The one that said so is the one in owner.json.
      const winner = answers.indexOf('taken-over');
      expect(ownerOnDisk()).toBe(owner(`racer${round}x${winner}`));
    }
  }, 60_000);

  it('describe() falls back to owner.json, then to the lock directory’s own mtime', async () => {
    await mkdir(lockDir(), { recursive: true });
    await utimes(lockDir(), Date.now() / 1000 - 300, Date.now() / 1000 - 300);
    // A lock being taken: the directory only (its taker has not written owner.json yet).
    const bare = await sh(lockStatusCommand(NAME));
    expect(reply(bare)).toEqual({ answer: 'held', ageSeconds: expect.any(Number), owner: '' });
    expect(reply(bare)!.ageSeconds).toBeGreaterThanOrEqual(299);
    expect(reply(bare)!.ageSeconds).toBeLessThan(400);

    await writeFile(join(lockDir(), 'owner.json'), owner('tokenAAAA') + '\n');
    await utimes(join(lockDir(), 'owner.json'), Date.now() / 1000 - 100, Date.now() / 1000 - 100);
    const noHeartbeat = await sh(lockStatusCommand(NAME));
    expect(reply(noHeartbeat)).toMatchObject({ answer: 'held', owner: owner('tokenAAAA') });
    expect(reply(noHeartbeat)!.ageSeconds).toBeGreaterThanOrEqual(99);
    expect(reply(noHeartbeat)!.ageSeconds).toBeLessThan(200);

    await rm(lockDir(), { recursive: true });
    expect(lines(await sh(lockStatusCommand(NAME)))).toEqual(['free']);
  });

  it('a lock that vanishes between mkdir and describe is asked again; one that keeps doing so ends the script', async () => {
    await mkdir(join(home, '.boerewors/locks'), { recursive: true });
    // A dangling symlink: mkdir finds something there, yet there is nothing to date.
    await symlink(join(home, 'nowhere'), lockDir());
    const gaveUp = await sh(acquire('tokenAAAA'));
    expect(gaveUp.code).toBe(1);
    expect(gaveUp.stdout).toBe('');
    expect(gaveUp.stderr).toBe(`the lock ${lockDir()} kept changing under us\n`);

    // Now the lock goes away while the first try dates it: the second try takes it.
    await onPath(
      'date',
      `if [ "$1" = -r ] && [ -L '${lockDir()}' ]; then rm -f '${lockDir()}'; exit 1; fi\nexec ${which('date')} "$@"\n`,
    );
    const retried = await sh(acquire('tokenAAAA'));
    expect(retried).toEqual({ code: 0, stdout: 'acquired\n', stderr: '' });
    expect(ownerOnDisk()).toBe(owner('tokenAAAA'));
  });

  it('heartbeat: refreshed while ours; `lost` with the new owner once another run holds it, or with none once it is gone', async () => {
    await sh(acquire('tokenAAAA'));
    await age(100);
    expect(lines(await sh(heartbeatLockCommand(NAME, 'tokenAAAA')))).toEqual(['ok']);
    expect(reply(await sh(lockStatusCommand(NAME)))!.ageSeconds).toBeLessThan(50);

    await writeFile(join(lockDir(), 'owner.json'), owner('tokenBBBB') + '\n');
    expect(reply(await sh(heartbeatLockCommand(NAME, 'tokenAAAA')))).toEqual({
      answer: 'lost',
      owner: owner('tokenBBBB'),
    });
    await rm(lockDir(), { recursive: true });
    expect(reply(await sh(heartbeatLockCommand(NAME, 'tokenAAAA')))).toEqual({ answer: 'lost', owner: '' });
    // A heartbeat never re-creates a lock it lost.
    expect(existsSync(lockDir())).toBe(false);
  });

  it('release: only with the holder’s token (or force); `absent` when there is none; nothing left behind', async () => {
    expect(lines(await sh(releaseLockCommand(NAME, 'tokenAAAA')))).toEqual(['absent']);
    await sh(acquire('tokenAAAA'));
    expect(reply(await sh(releaseLockCommand(NAME, 'tokenBBBB')))).toEqual({
      answer: 'not-ours',
      owner: owner('tokenAAAA'),
    });
    expect(ownerOnDisk()).toBe(owner('tokenAAAA'));
    expect(reply(await sh(releaseLockCommand(NAME, 'tokenAAAA')))).toEqual({
      answer: 'released',
      owner: owner('tokenAAAA'),
    });
    expect(existsSync(lockDir())).toBe(false);
    await sh(acquire('tokenAAAA'));
    expect(reply(await sh(releaseLockCommand(NAME, 'tokenBBBB', { force: true })))).toMatchObject({
      answer: 'released',
    });
    expect(readdirSync(join(home, '.boerewors/locks'))).toEqual([]);
  });

  it('release: a takeover between its check and its rename is seen after the rename, and the lock put back', async () => {
    await sh(acquire('tokenAAAA'));
    // The rename of the lock away is where another run takes it over (it rewrites owner.json).
    await onPath(
      'mv',
      `case $2 in *.released.*) printf '%s\\n' '${owner('tokenBBBB')}' >"$1/owner.json" ;; esac\nexec ${which('mv')} "$@"\n`,
    );
    const r = await sh(releaseLockCommand(NAME, 'tokenAAAA'));
    expect(reply(r)).toEqual({ answer: 'not-ours', owner: owner('tokenBBBB') });
    expect(ownerOnDisk()).toBe(owner('tokenBBBB'));
    expect(readdirSync(join(home, '.boerewors/locks'))).toEqual([NAME]);
  });
});

describe('parseLockReply', () => {
  it('reads a reply from its answer on, past whatever a login script printed first', () => {
    expect(parseLockReply(['Welcome to web-1', 'held', 'age 12', 'owner {"who":"bob"}'])).toEqual({
      answer: 'held',
      ageSeconds: 12,
      owner: '{"who":"bob"}',
    });
    expect(parseLockReply(['acquired'])).toEqual({ answer: 'acquired' });
    // A clock that ran backwards is no age at all; an owner.json not yet written is ''.
    expect(parseLockReply(['held', 'age -3', 'owner '])).toEqual({
      answer: 'held',
      ageSeconds: 0,
      owner: '',
    });
    expect(parseLockReply(['bash: mkdir: Permission denied'])).toBeUndefined();
  });
});
