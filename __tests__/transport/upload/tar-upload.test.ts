/**
 * Tar-stream uploads against real sshd (the "remote" is this machine, so results are checked with
 * fs): every odd case of a tree, hosts without SFTP, without tar, a read-only target, merging into
 * an existing directory, link-from, and a cancel mid-way.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, UploadError } from '../../../src/contract/errors.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { createSshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { DEFAULT_SHELL, type Transport, type UploadRequest } from '../../../src/contract/transport.js';
import { afterConnecting, type Exec } from '../../../src/transport/upload/tar-upload.js';
import { closedPort } from '../../support/sshd-net.js';
import { itNeedingSshd, itWithOpenSsh, OPENSSH } from '../../support/conditional-tests.js';
import { pathWithout } from '../../support/path-without.js';
import { startSshdFleet, type SshdFleet } from '../../support/sshd.js';
import { ensureLoginUser, loginHome } from '../../support/sshd-user.js';
import { collect, fleetOptions, hostOf, waitUntil } from '../../support/sshd-fixtures.js';

let fleet: SshdFleet;
let ssh: Transport;
let work: string;
let odd: string;
let loginUid = 0;

const PLAIN = 0;
const NO_SFTP = 1;
const NO_TAR = 2;
const NO_TAR_NO_SFTP = 3;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'bw-tar-upload-'));
  await chmod(work, 0o755);
  const noTar = await pathWithout(join(work, 'no-tar-bin'), ['tar']);
  fleet = await startSshdFleet({
    count: 4,
    hostConfig: (i) => ({
      ...(i === NO_SFTP || i === NO_TAR_NO_SFTP ? { Subsystem: '' } : {}),
      ...(i === NO_TAR || i === NO_TAR_NO_SFTP ? { SetEnv: `PATH=${noTar}` } : {}),
    }),
  });
  ssh = createSshTransport(fleetOptions(fleet));
  loginUid = (await ensureLoginUser()).uid;
  odd = join(work, 'odd');
  await makeOddTree(odd);
}, 60_000);

afterAll(async () => {
  await ssh?.close();
  await fleet?.stop();
  await rm(work, { recursive: true, force: true });
});

/** Every odd case the issue names: modes, empty dirs, symlinks in and out, names with spaces, quotes, newlines. */
async function makeOddTree(root: string): Promise<void> {
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'empty dir'), { recursive: true });
  await mkdir(join(root, 'private'), { recursive: true });
  await mkdir(join(root, 'deep', 'a'.repeat(90), 'b'.repeat(90), 'c'.repeat(90)), { recursive: true });
  await writeFile(join(root, 'index.html'), '<h1>hi</h1>\n');
  await writeFile(join(root, 'bin', 'start.sh'), '#!/bin/sh\necho start\n');
  await writeFile(join(root, 'private', 'secret.txt'), 'token\n');
  await writeFile(join(root, 'with space and "quotes" and \'single\''), 'q\n');
  await writeFile(join(root, 'new\nline'), 'n\n');
  await writeFile(join(root, 'back\\slash'), 'b\n');
  await writeFile(join(root, 'ünïcødé ✓'), 'u\n');
  await writeFile(join(root, '-leading-dash'), 'd\n');
  await writeFile(join(root, 'deep', 'a'.repeat(90), 'b'.repeat(90), 'c'.repeat(90), 'long.txt'), 'long\n');
  await writeFile(join(root, 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 7, 7));
  await writeFile(join(root, 'empty.txt'), '');
  await symlink('index.html', join(root, 'current'));
  await symlink('/etc', join(root, 'points-out'));
  await symlink('does-not-exist', join(root, 'dangling'));
  await chmod(join(root, 'index.html'), 0o644);
  await chmod(join(root, 'bin', 'start.sh'), 0o755);
  await chmod(join(root, 'private', 'secret.txt'), 0o600);
  await chmod(join(root, 'private'), 0o700);
  await chmod(join(root, 'empty dir'), 0o2775);
}

/** type, mode, content or link target of every entry under `root`, by relative path. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(root, path);
      const st = lstatSync(full);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.set(path, `link ${readlinkSync(full)}`);
      else if (st.isDirectory()) {
        out.set(path, `dir ${mode}`);
        walk(path);
      } else out.set(path, `file ${mode} ${readFileSync(full).toString('base64').slice(0, 64)} ${st.size}`);
    }
  };
  walk('');
  return out;
}

function upload(t: Transport, hostIndex: number, req: UploadRequest, signal?: AbortSignal) {
  const ctx = collect(signal);
  const host =
    t === ssh
      ? hostOf(fleet.hosts[hostIndex]!)
      : { name: 'local:t', address: 'local:t', port: 0, local: true };
  return { ctx, done: t.upload(host, req, ctx) };
}

/** A path under scratch whose parents exist and belong to the login user (as a deploy user's would). */
async function target(name: string): Promise<string> {
  const path = join(fleet.scratchDir, name);
  const parts = name.split('/');
  for (let i = 1; i < parts.length; i++) {
    const dir = join(fleet.scratchDir, ...parts.slice(0, i));
    if (existsSync(dir)) continue;
    await mkdir(dir);
    if (process.getuid?.() === 0) await chown(dir, loginUid, loginUid);
  }
  return path;
}

/** Nothing of an upload's staging directory is left in `parent`. */
function noStaging(parent: string): boolean {
  return !existsSync(parent) || readdirSync(parent).every((n) => !n.startsWith('.bw-upload-'));
}

describe('tar upload over SSH', () => {
  it('ships every odd case of a tree exactly: modes, empty dirs, symlinks kept as links, odd names', async () => {
    const to = await target('odd/releases/r1');
    const { ctx, done } = upload(ssh, PLAIN, { from: odd, to });
    const r = await done;
    expect(r).toMatchObject({ method: 'tar', filesLinked: 0, files: 11 });
    expect(snapshot(to)).toEqual(snapshot(odd));
    expect(readlinkSync(join(to, 'points-out'))).toBe('/etc'); // a link, not a write through it
    if (fleet.kind === 'openssh') expect(statSync(join(to, 'index.html')).uid).toBe(loginUid);
    expect(noStaging(join(fleet.scratchDir, 'odd/releases'))).toBe(true);
    expect(ctx.lines).toEqual([]);
  }, 30_000);

  itWithOpenSsh('the fallback servers have no sshd_config to leave the SFTP subsystem out of')(
    'the same tree uncompressed, and to a host without the SFTP subsystem',
    async () => {
      const to = await target('nosftp/r1');
      const r = await upload(ssh, NO_SFTP, { from: odd, to, compress: false }).done;
      expect(r.method).toBe('tar');
      expect(snapshot(to)).toEqual(snapshot(odd));
      // Uncompressed, the archive is at least the files' size.
      expect(r.bytesSent).toBeGreaterThan(r.bytes);
    },
    30_000,
  );

  itWithOpenSsh('the fallback servers run commands with this process’s PATH')(
    'a host without tar on its PATH gets the files over SFTP, and the log says so',
    async () => {
      const to = await target('notar/r1');
      const { ctx, done } = upload(ssh, NO_TAR, { from: odd, to });
      const r = await done;
      expect(r.method).toBe('sftp');
      expect(ctx.stderr().join('\n')).toContain('no tar on the host');
      expect(readFileSync(join(to, 'index.html'), 'utf8')).toBe('<h1>hi</h1>\n');
    },
    30_000,
  );

  itWithOpenSsh('the fallback servers have neither SetEnv nor a way to leave SFTP out')(
    'a host with neither tar nor SFTP fails naming the host and why',
    async () => {
      const err = await upload(ssh, NO_TAR_NO_SFTP, { from: odd, to: await target('none/r1') }).done.catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UploadError);
      expect((err as Error).message).toContain(`@127.0.0.1:${fleet.hosts[NO_TAR_NO_SFTP]!.port}`);
      expect((err as Error).message).toContain('no tar on its PATH and no SFTP subsystem');
    },
    30_000,
  );

  // The fallback servers run commands as this process's user: as root, no directory is read-only.
  itNeedingSshd(OPENSSH || process.getuid?.() !== 0, 'the fallback servers run commands as root here')(
    'a read-only target fails naming the host and the path, and leaves nothing',
    async () => {
      const locked = join(fleet.scratchDir, 'locked');
      await mkdir(locked);
      await chmod(locked, 0o555);
      if (process.getuid?.() === 0 && fleet.kind === 'openssh') await chown(locked, 0, 0);
      const err = await upload(ssh, PLAIN, { from: odd, to: join(locked, 'r1') }).done.catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UploadError);
      expect((err as Error).message).toContain(`@127.0.0.1:${fleet.hosts[PLAIN]!.port}`);
      expect((err as Error).message).toContain(locked);
      expect((err as Error).message).toMatch(/Permission denied/i);
      expect(await readdir(locked)).toEqual([]);
    },
    30_000,
  );

  it('merges into an existing directory: its other files stay, uploaded ones replace theirs', async () => {
    const to = await target('merge/app/bin/x');
    await writeFile(join(to, '../../keep.txt'), 'mine\n');
    await writeFile(join(to, '../../index.html'), 'old\n');
    await writeFile(join(to, '../start.sh'), 'old\n');
    for (const f of ['keep.txt', 'index.html', 'bin/start.sh']) await chmod(join(to, '../..', f), 0o666);
    const app = join(to, '../..');
    await upload(ssh, PLAIN, { from: odd, to: app }).done;
    expect(readFileSync(join(app, 'keep.txt'), 'utf8')).toBe('mine\n');
    expect(readFileSync(join(app, 'index.html'), 'utf8')).toBe('<h1>hi</h1>\n');
    expect(readFileSync(join(app, 'bin', 'start.sh'), 'utf8')).toContain('echo start');
    expect(snapshot(join(app, 'deep'))).toEqual(snapshot(join(odd, 'deep')));
    expect(noStaging(join(fleet.scratchDir, 'merge'))).toBe(true);
  }, 30_000);

  it('refuses, before writing anything, an upload that would write through a symlink in the target', async () => {
    const to = join(await target('through/app/x'), '..');
    const outside = join(await target('through/outside/x'), '..');
    await symlink(outside, join(to, 'bin')); // the upload has a directory `bin`
    const err = await upload(ssh, PLAIN, { from: odd, to }).done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect((err as Error).message).toContain('write through');
    expect((err as Error).message).toContain(join(to, 'bin'));
    expect(await readdir(outside)).toEqual([]);
    expect(existsSync(join(to, 'index.html'))).toBe(false);
    expect(noStaging(join(fleet.scratchDir, 'through'))).toBe(true);
  }, 30_000);

  it('a file upload becomes `to`, replacing a file there, or goes into `to/`', async () => {
    const file = join(odd, 'bin', 'start.sh');
    const exact = await target('files/a/run.sh');
    await writeFile(exact, 'old');
    await chmod(exact, 0o666);
    await upload(ssh, PLAIN, { from: file, to: exact }).done;
    expect(readFileSync(exact, 'utf8')).toContain('echo start');
    expect(statSync(exact).mode & 0o777).toBe(0o755);
    const into = `${await target('files/b/c')}/`;
    const r = await upload(ssh, PLAIN, { from: file, to: into }).done;
    expect(r).toMatchObject({ files: 1, bytes: 21 });
    expect(readFileSync(join(into, 'start.sh'), 'utf8')).toContain('echo start');
  }, 30_000);

  it('link-from: unchanged files are hard-linked from the previous release, only changed ones sent', async () => {
    const src = join(work, 'release-src');
    await mkdir(join(src, 'vendor', 'lib'), { recursive: true });
    for (let i = 0; i < 40; i++)
      await writeFile(join(src, 'vendor', 'lib', `f${i}.php`), `<?php // ${i} ${'x'.repeat(4000)}\n`);
    await writeFile(join(src, 'app.php'), 'v1\n');
    const releases = join(await target('rel/releases/x'), '..');
    // The first release: link-from names a directory that does not exist yet: everything is sent.
    const r1 = await upload(ssh, PLAIN, {
      from: src,
      to: join(releases, 'r1'),
      linkFrom: join(releases, 'r0'),
    }).done;
    expect(r1).toMatchObject({ files: 41, filesLinked: 0 });
    expect(existsSync(join(releases, '.r1.bw-manifest'))).toBe(true);

    await writeFile(join(src, 'app.php'), 'v2\n');
    const r2 = await upload(ssh, PLAIN, {
      from: src,
      to: join(releases, 'r2'),
      linkFrom: join(releases, 'r1'),
      compress: false,
    }).done;
    expect(r2).toMatchObject({ files: 41, filesLinked: 40 });
    expect(r2.bytesSent!).toBeLessThan(r1.bytes / 5);
    expect(readFileSync(join(releases, 'r2', 'app.php'), 'utf8')).toBe('v2\n');
    const ino = (p: string) => statSync(p).ino;
    expect(ino(join(releases, 'r2/vendor/lib/f7.php'))).toBe(ino(join(releases, 'r1/vendor/lib/f7.php')));
    expect(ino(join(releases, 'r2/app.php'))).not.toBe(ino(join(releases, 'r1/app.php')));
    expect(snapshot(join(releases, 'r2'))).toEqual(snapshot(src));

    // A hotfix in place on the host: its stored manifest is no longer trusted; hashing finds the change.
    await writeFile(join(releases, 'r2', 'vendor', 'lib', 'f3.php'), 'hotfix\n');
    const r3 = await upload(ssh, PLAIN, {
      from: src,
      to: join(releases, 'r3'),
      linkFrom: join(releases, 'r2'),
    }).done;
    expect(r3.filesLinked).toBe(40); // app.php is unchanged since r2 now
    expect(readFileSync(join(releases, 'r3/vendor/lib/f3.php'), 'utf8')).toBe(
      readFileSync(join(src, 'vendor/lib/f3.php'), 'utf8'),
    );
    // Removing a release removes its stored manifest at the next upload next to it.
    await rm(join(releases, 'r1'), { recursive: true, force: true });
    await upload(ssh, PLAIN, { from: src, to: join(releases, 'r4'), linkFrom: join(releases, 'r3') }).done;
    expect(existsSync(join(releases, '.r1.bw-manifest'))).toBe(false);
    expect(noStaging(releases)).toBe(true);
  }, 60_000);

  it('link-from with paths relative to the login home (how ~/ paths reach the host) links too', async () => {
    const src = join(work, 'relative-src');
    await mkdir(join(src, 'vendor'), { recursive: true });
    for (let i = 0; i < 5; i++) await writeFile(join(src, 'vendor', `f${i}.php`), `<?php // ${i}\n`);
    const rel = `bw-tar-relative-${process.pid}-${Date.now()}`;
    const home = loginHome(fleet.user);
    try {
      const r1 = await upload(ssh, PLAIN, { from: src, to: `${rel}/r1`, linkFrom: `${rel}/r0` }).done;
      expect(r1).toMatchObject({ files: 5, filesLinked: 0 });
      // Before the fix the links were listed relative to the home, read after a cd elsewhere:
      // "cannot hard-link from …: cp: missing file operand".
      const r2 = await upload(ssh, PLAIN, { from: src, to: `${rel}/r2`, linkFrom: `${rel}/r1` }).done;
      expect(r2).toMatchObject({ files: 5, filesLinked: 5 });
      expect(statSync(join(home, rel, 'r2/vendor/f3.php')).ino).toBe(
        statSync(join(home, rel, 'r1/vendor/f3.php')).ino,
      );
      expect(noStaging(join(home, rel))).toBe(true);
    } finally {
      await rm(join(home, rel), { recursive: true, force: true });
    }
  }, 30_000);

  it('a cancel mid-upload ends within the cancel budget and leaves nothing behind', async () => {
    const big = join(work, 'huge');
    await mkdir(big);
    await writeFile(join(big, 'huge.bin'), Buffer.alloc(256 * 1024 * 1024, 1));
    const parent = join(await target('cancel/x'), '..');
    const ac = new AbortController();
    const { done } = upload(ssh, PLAIN, { from: big, to: join(parent, 'r1'), compress: false }, ac.signal);
    await waitUntil(
      () => existsSync(parent) && readdirSync(parent).some((n) => n.startsWith('.bw-upload-')),
      20_000,
      'the upload to start',
    );
    const started = Date.now();
    ac.abort(new CancelledError('cancelled'));
    await expect(done).rejects.toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(5000);
    // Removed by the host script on its way out (in a session of its own: the group's KILL cannot stop it).
    await waitUntil(() => noStaging(parent), 10_000, 'the staging directory to go');
    expect(existsSync(join(parent, 'r1'))).toBe(false);
  }, 60_000);
});

describe('connecting while the source is read', () => {
  it('the upload runs its command only once the connect it started has settled, and not at all when it failed', async () => {
    let connected: (v: unknown) => void = () => {};
    const ran: string[] = [];
    const exec: Exec = async () => {
      ran.push('exec');
      return { exitCode: 0, signal: null, durationMs: 0 };
    };
    const waiting = afterConnecting(new Promise((resolve) => (connected = resolve)), exec)(
      hostOf({ name: 'h', address: '127.0.0.1', port: 1 }),
      { script: 'true', shell: DEFAULT_SHELL, env: {} },
      collect(),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual([]);
    connected(undefined);
    await waiting;
    expect(ran).toEqual(['exec']);
    const refused = new Error('user@127.0.0.1:1: connection refused');
    const failing = afterConnecting(Promise.reject(refused), exec);
    await expect(
      failing(
        hostOf({ name: 'h', address: '127.0.0.1', port: 1 }),
        { script: 'true', shell: DEFAULT_SHELL, env: {} },
        collect(),
      ),
    ).rejects.toBe(refused);
    expect(ran).toEqual(['exec']);
  });

  it('an upload to a port nobody listens on fails with the connect error, naming user@host:port', async () => {
    const port = await closedPort();
    const lonely = createSshTransport(fleetOptions(fleet, { connectTimeoutMs: 2000 }));
    try {
      const host = hostOf({ name: 'nobody', address: '127.0.0.1', port });
      const err = await lonely.upload(host, { from: odd, to: join(work, 'never', 'r1') }, collect()).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toContain(`${fleet.user}@127.0.0.1:${port}`);
      expect(err?.message).toMatch(/refused/i);
      expect(existsSync(join(work, 'never'))).toBe(false);
    } finally {
      await lonely.close();
    }
  }, 30_000);
});

describe('tar upload on local: hosts', () => {
  let local: LocalTransport;
  beforeAll(() => {
    local = new LocalTransport();
  });
  afterAll(() => local.close());

  it('the same tree arrives the same way, and link-from links', async () => {
    const releases = join(work, 'local-releases');
    const r1 = await upload(local, 0, { from: odd, to: join(releases, 'r1'), linkFrom: join(releases, 'r0') })
      .done;
    expect(r1).toMatchObject({ method: 'tar', filesLinked: 0 });
    expect(snapshot(join(releases, 'r1'))).toEqual(snapshot(odd));
    const r2 = await upload(local, 0, { from: odd, to: join(releases, 'r2'), linkFrom: join(releases, 'r1') })
      .done;
    // Names a manifest line cannot carry (newline, backslash) are always sent.
    expect(r2.filesLinked).toBe(9);
    expect(snapshot(join(releases, 'r2'))).toEqual(snapshot(odd));
  }, 30_000);
});
