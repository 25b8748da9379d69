/**
 * SFTP upload against a real sshd (the "remote" is this machine, so results are checked with fs):
 * directory trees with modes, parent directories created, file targets, clear remote errors. The
 * host has no `tar` on its PATH (sshd's `SetEnv`), which is when uploads take SFTP: every test
 * checks that they did.
 */
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TimeoutError, UploadError } from '../../../src/contract/errors.js';
import { createSshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import type { Transport } from '../../../src/contract/transport.js';
import { itAsRoot } from '../../support/conditional-tests.js';
import { pathWithout } from '../../support/path-without.js';
import { startSshdFleet, type SshdFleet } from '../../support/sshd.js';
import { collect, fleetOptions, hostOf, waitUntil } from '../../support/sshd-fixtures.js';

let fleet: SshdFleet;
let transport: Transport;
let src: string;
let bins: string;
const mode = (p: string) => statSync(p).mode & 0o7777;

beforeAll(async () => {
  bins = await mkdtemp(join(tmpdir(), 'bw-sftp-bins-'));
  await chmod(bins, 0o755);
  const noTar = await pathWithout(join(bins, 'no-tar'), ['tar']);
  fleet = await startSshdFleet({ count: 1, config: { SetEnv: `PATH=${noTar}` } });
  transport = createSshTransport(fleetOptions(fleet));
  // The local tree lives outside scratch: the login user must not be able to see it any other way.
  src = join(fleet.dir, 'build');
  await mkdir(join(src, 'bin'), { recursive: true });
  await mkdir(join(src, 'private'), { recursive: true });
  await mkdir(join(src, 'empty'), { recursive: true });
  await writeFile(join(src, 'index.html'), '<h1>hi</h1>\n');
  await writeFile(join(src, 'bin', 'start.sh'), '#!/bin/sh\necho start\n');
  await writeFile(join(src, 'private', 'secret.txt'), 'token\n');
  await writeFile(join(src, 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 7, 7));
  await symlink('index.html', join(src, 'current'));
  await chmod(join(src, 'index.html'), 0o644);
  await chmod(join(src, 'bin', 'start.sh'), 0o755);
  await chmod(join(src, 'private', 'secret.txt'), 0o600);
  await chmod(join(src, 'private'), 0o700);
  await chmod(join(src, 'empty'), 0o2775);
}, 20_000);

afterAll(async () => {
  await transport?.close();
  await fleet?.stop();
  await rm(bins, { recursive: true, force: true });
});

describe('SSH upload', () => {
  it('copies a directory tree into a new nested path, with modes, symlinks and parents created', async () => {
    const to = join(fleet.scratchDir, 'srv/shop/releases/r1');
    const ctx = collect();
    const r = await transport.upload(hostOf(fleet.hosts[0]!), { from: src, to }, ctx);
    expect(r).toMatchObject({ files: 4, bytes: 12 + 21 + 6 + 3 * 1024 * 1024 + 7, method: 'sftp' });
    expect(r.compression).toBe('raw: over SFTP');
    expect(ctx.stderr().join('\n')).toContain("no tar on the host's PATH: uploading over SFTP");
    expect(readFileSync(join(to, 'bin', 'start.sh'), 'utf8')).toBe('#!/bin/sh\necho start\n');
    expect(readFileSync(join(to, 'big.bin')).equals(Buffer.alloc(3 * 1024 * 1024 + 7, 7))).toBe(true);
    expect(mode(join(to, 'index.html'))).toBe(0o644);
    expect(mode(join(to, 'bin', 'start.sh'))).toBe(0o755);
    expect(mode(join(to, 'private', 'secret.txt'))).toBe(0o600);
    expect(mode(join(to, 'private'))).toBe(0o700);
    expect(mode(join(to, 'empty'))).toBe(0o2775);
    expect(lstatSync(join(to, 'current')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(to, 'current'))).toBe('index.html');
    // Written as the login user: as root that is the harness's own user, otherwise (unprivileged
    // sshd, or the fallback server) the one running the tests.
    expect(statSync(join(to, 'bin', 'start.sh')).uid).toBe(fleet.uid);
  }, 15_000);

  itAsRoot('sshd can log in only as the user running it, so the owner proves nothing more')(
    'as root, files arrive owned by the login user, not by the process that uploads them',
    async () => {
      const to = join(fleet.scratchDir, 'owner/');
      const r = await transport.upload(
        hostOf(fleet.hosts[0]!),
        { from: join(src, 'index.html'), to },
        collect(),
      );
      expect(r.method).toBe('sftp');
      expect(fleet.uid).not.toBe(process.getuid?.());
      expect(statSync(join(to, 'index.html')).uid).toBe(fleet.uid);
    },
    10_000,
  );

  it('uploads a file to a path, or into a directory when the target ends with /', async () => {
    const file = join(src, 'bin', 'start.sh');
    const exact = join(fleet.scratchDir, 'a/b/run.sh');
    const exactly = await transport.upload(hostOf(fleet.hosts[0]!), { from: file, to: exact }, collect());
    expect(exactly.method).toBe('sftp');
    expect(mode(exact)).toBe(0o755);
    const into = join(fleet.scratchDir, 'c/d/');
    const r = await transport.upload(hostOf(fleet.hosts[0]!), { from: file, to: into }, collect());
    expect(r).toMatchObject({ files: 1, bytes: 21, method: 'sftp' });
    expect(readFileSync(join(into, 'start.sh'), 'utf8')).toContain('echo start');
  }, 10_000);

  it('an upload aborted mid-transfer rejects promptly with the abort reason', async () => {
    const big = join(fleet.dir, 'huge.bin');
    await writeFile(big, Buffer.alloc(256 * 1024 * 1024, 1));
    const ac = new AbortController();
    const target = join(fleet.scratchDir, 'aborted', 'huge.bin');
    const p = transport.upload(hostOf(fleet.hosts[0]!), { from: big, to: target }, collect(ac.signal));
    p.catch(() => {});
    try {
      // Aborted once bytes are arriving on the host (SFTP writes the target itself), not on a timer.
      await waitUntil(
        () => existsSync(target) && statSync(target).size > 0,
        20_000,
        'the SFTP copy to start',
      );
      const aborted = Date.now();
      ac.abort(new TimeoutError('timed out'));
      await expect(p).rejects.toBeInstanceOf(TimeoutError);
      expect(Date.now() - aborted).toBeLessThan(5000);
      // It stopped: the target never grew to the whole file.
      expect(statSync(target).size).toBeLessThan(256 * 1024 * 1024);
    } finally {
      await rm(big, { force: true });
    }
  }, 60_000);

  it('a missing local source says so, and where it was looked for', async () => {
    const missing = join(fleet.dir, 'no-such-build');
    await expect(
      transport.upload(hostOf(fleet.hosts[0]!), { from: missing, to: 'x' }, collect()),
    ).rejects.toThrow(`upload source ${missing} not found: nothing to upload`);
    await expect(
      transport.upload(hostOf(fleet.hosts[0]!), { from: 'no-such-build/', to: 'x' }, collect()),
    ).rejects.toThrow(
      `upload source no-such-build/ not found (looked for ${join(process.cwd(), 'no-such-build')}): nothing to upload`,
    );
  }, 10_000);

  it('a remote failure is an UploadError naming the host and the path', async () => {
    const blocker = join(fleet.scratchDir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const err = await transport
      .upload(hostOf(fleet.hosts[0]!), { from: src, to: join(blocker, 'sub') }, collect())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect((err as Error).message).toContain(`@127.0.0.1:${fleet.hosts[0]!.port}`);
    expect((err as Error).message).toContain('not-a-dir');
  }, 10_000);
});
