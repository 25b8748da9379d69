/**
 * `compress: auto`: a sample of the tree decides gzip or raw, once per tree, and every upload says
 * what was chosen and why. Then the fallbacks around compression and tar, for real: a host without
 * `gzip` gets the upload uncompressed, and a controller without `tar` copies for its `local:` hosts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transport, UploadRequest } from '../../../src/contract/transport.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { createSshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { ArchiveCache } from '../../../src/transport/upload/archive-cache.js';
import { compressedCodec, encoderOf, ZSTD } from '../../../src/transport/upload/codec.js';
import { sampledChoice, SAMPLE_BYTES } from '../../../src/transport/upload/compression.js';
import { readSourceTree } from '../../../src/transport/upload/source-tree.js';
import { runCli } from '../../support/cli.js';
import { pathWithout } from '../../support/path-without.js';
import { startSshdFleet, type SshdFleet } from '../../support/sshd.js';
import { collect, fleetOptions, hostOf } from '../../support/sshd-fixtures.js';

/** What a compressed upload asks for on this Node (zstd from 22.15), and its small level. */
const CODEC = compressedCodec();
const SMALL = encoderOf(CODEC).smallLevel;

let work: string;
/** Source-like text: ~3,000 files that gzip well. */
let text: string;
/** Random bytes: nothing to gain from gzip. */
let noise: string;

/** Text that compresses like source code (a vocabulary of words, varied lines). */
function sourceLike(seed: number, bytes: number): string {
  const words = [
    'function',
    'return',
    'const',
    'value',
    'if',
    'else',
    '=>',
    '{',
    '}',
    'array',
    'map',
    'this',
  ];
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `  ${words[(seed + i) % words.length]} x${(seed * 31 + i) % 97} = ${words[(i * 7) % words.length]}(${i});`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n').slice(0, bytes);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'bw-compression-'));
  await chmod(work, 0o755);
  text = join(work, 'text');
  for (let d = 0; d < 30; d++) {
    await mkdir(join(text, `pkg${d}`, 'src'), { recursive: true });
    for (let f = 0; f < 100; f++) {
      await writeFile(
        join(text, `pkg${d}`, 'src', `f${f}.php`),
        sourceLike(d * 100 + f, 2000 + ((f * 37) % 3000)),
      );
    }
  }
  noise = join(work, 'noise');
  await mkdir(noise);
  for (let f = 0; f < 40; f++) await writeFile(join(noise, `blob${f}.jar`), randomBytes(256 * 1024));
});

afterAll(() => rm(work, { recursive: true, force: true }));

const signal = new AbortController().signal;

describe('compress: auto decides from a sample', () => {
  it('gzips a source tree and says by how much the sample shrank', async () => {
    const choice = await sampledChoice(await readSourceTree(text), signal);
    expect(choice.compress).toBe(true);
    expect(choice.why).toMatch(/^a \d+\.\d MB sample shrank \d+\.\d %$/);
    expect(Number(/shrank ([\d.]+) %/.exec(choice.why)?.[1])).toBeGreaterThan(50);
  });

  it('sends random bytes raw, decided on the first quarter of the sample', async () => {
    const choice = await sampledChoice(await readSourceTree(noise), signal);
    expect(choice).toEqual({ compress: false, why: 'a 1.0 MB sample did not shrink' });
  });

  it('a source tree is clear after the first quarter too; a tree near the threshold is sampled whole', async () => {
    expect((await sampledChoice(await readSourceTree(text), signal)).why).toMatch(/^a 1\.0 MB sample shrank/);
    // 3 MB of text among 20 MB of jars: the first round's 16 slices hold 2 of text (~9 % shrink),
    // neither clearly raw nor clearly gzip, so all four rounds run.
    const near = join(work, 'near');
    await mkdir(near);
    await writeFile(join(near, 'a-docs.txt'), sourceLike(4, 3 * 1024 * 1024));
    for (let f = 0; f < 20; f++) await writeFile(join(near, `lib${f}.jar`), randomBytes(1024 * 1024));
    const choice = await sampledChoice(await readSourceTree(near), signal);
    expect(choice.why).toMatch(/^a 4\.2 MB sample shrank \d+\.\d %$/);
  });

  it('samples across the tree, not only its first file: text first, then 20 MB of jars, goes raw', async () => {
    const mixed = join(work, 'mixed');
    await mkdir(mixed);
    await writeFile(join(mixed, 'a-readme.txt'), sourceLike(1, 1024 * 1024));
    for (let f = 0; f < 20; f++) await writeFile(join(mixed, `lib${f}.jar`), randomBytes(1024 * 1024));
    const choice = await sampledChoice(await readSourceTree(mixed), signal);
    expect(choice.compress).toBe(false);
    // 1 MB of text in 21 MB: about a twentieth of the sample, which shrinks it by about 5 %.
    expect(choice.why).toMatch(/^a 4\.2 MB sample shrank [1-9]\.\d %$/);
  });

  it('a tree smaller than the sample is read whole; one with no content goes raw', async () => {
    const small = join(work, 'small');
    await mkdir(join(small, 'empty-dir'), { recursive: true });
    await writeFile(join(small, 'a.txt'), sourceLike(2, 3000));
    await writeFile(join(small, 'b.txt'), sourceLike(3, 4000));
    const choice = await sampledChoice(await readSourceTree(small), signal);
    expect(choice.why).toMatch(/^a 7\.0 kB sample shrank/);
    const empty = join(work, 'empty');
    await mkdir(empty);
    await writeFile(join(empty, 'zero'), '');
    expect(await sampledChoice(await readSourceTree(empty), signal)).toEqual({
      compress: false,
      why: 'no file content to sample',
    });
    expect(SAMPLE_BYTES).toBe(4 * 1024 * 1024);
  });

  it('the archive cache samples a tree once, however many hosts upload it', async () => {
    const cache = new ArchiveCache();
    try {
      const tree = await cache.tree(text, 'stage-1');
      const first = cache.compression(tree, signal);
      expect(cache.compression(await cache.tree(text, 'stage-1'), signal)).toBe(first);
      // A new snapshot (the next stage) reads the tree again, and samples it again.
      expect(cache.compression(await cache.tree(text, 'stage-2'), signal)).not.toBe(first);
    } finally {
      cache.close();
    }
  });
});

describe('uploads say what they chose', () => {
  let local: LocalTransport;
  beforeAll(() => {
    local = new LocalTransport();
  });
  afterAll(() => local.close());
  const host = { name: 'local:t', address: 'local:t', port: 0, local: true };
  const up = (t: Transport, req: UploadRequest) => t.upload(host, req, collect());

  it('by default a text tree goes compressed (zstd where this Node has it), random bytes raw; true and false force it', async () => {
    const gz = await up(local, { from: text, to: join(work, 'out', 'text') });
    // How much went at the small level depends on how far behind the host was: it is reported.
    expect(gz.compression).toMatch(
      new RegExp(
        `^${CODEC}: a \\d+\\.\\d MB sample shrank \\d+\\.\\d %, level ${SMALL} for \\d+ of \\d+ MiB$`,
      ),
    );
    expect(gz.bytesSent!).toBeLessThan(gz.bytes / 2);
    const raw = await up(local, { from: noise, to: join(work, 'out', 'noise') });
    expect(raw.compression).toBe('raw: a 1.0 MB sample did not shrink');
    expect(raw.bytesSent!).toBeGreaterThanOrEqual(raw.bytes);
    const forced = await up(local, { from: noise, to: join(work, 'out', 'noise-gz'), compress: true });
    expect(forced.compression).toMatch(
      new RegExp(`^${CODEC}: compress: true, level ${SMALL} for \\d+ of \\d+ MiB$`),
    );
    const off = await up(local, { from: text, to: join(work, 'out', 'text-raw'), compress: false });
    expect(off.compression).toBe('raw: compress: false');
    expect(off.bytesSent!).toBeGreaterThan(off.bytes);
    expect(readFileSync(join(work, 'out', 'noise', 'blob7.jar'))).toEqual(
      readFileSync(join(noise, 'blob7.jar')),
    );
  }, 60_000);
});

describe('fallbacks', () => {
  let fleet: SshdFleet;
  let ssh: Transport;
  let noTar: string;
  beforeAll(async () => {
    const noGzip = await pathWithout(join(work, 'no-gzip-bin'), ['gzip', 'zstd']);
    const noZstd = await pathWithout(join(work, 'no-zstd-bin'), ['zstd']);
    noTar = await pathWithout(join(work, 'no-tar-bin'), ['tar']);
    fleet = await startSshdFleet({
      count: 3,
      hostConfig: (i): Record<string, string> => {
        const path = [noGzip, noZstd][i];
        return path ? { SetEnv: `PATH=${path}` } : {};
      },
    });
    ssh = createSshTransport(fleetOptions(fleet));
  }, 30_000);
  afterAll(async () => {
    await ssh?.close();
    await fleet?.stop();
  });

  it('a host with zstd unpacks what this Node compresses: zstd on Node 22.15 and later, else gzip', async () => {
    const to = join(fleet.scratchDir, 'with-zstd', 'r1');
    const r = await ssh.upload(hostOf(fleet.hosts[2]!), { from: text, to }, collect());
    expect(r.compression).toMatch(new RegExp(`^${CODEC}: a \\d+\\.\\d MB sample shrank`));
    expect(r.bytesSent!).toBeLessThan(r.bytes / 2);
    const file = join('pkg17', 'src', 'f42.php');
    expect(readFileSync(join(to, file), 'utf8')).toBe(readFileSync(join(text, file), 'utf8'));
  }, 60_000);

  it('a host without zstd takes gzip instead, in the same run of its script, and the report says so', async () => {
    const to = join(fleet.scratchDir, 'no-zstd', 'r1');
    const ctx = collect();
    const r = await ssh.upload(hostOf(fleet.hosts[1]!), { from: text, to }, ctx);
    expect(ctx.stderr()).toEqual([]);
    // Asked for gzip in the first place where this Node has no zstd: then nothing to say.
    const instead = ZSTD ? ', no zstd on the host' : '';
    expect(r.compression).toMatch(
      new RegExp(
        `^gzip: a \\d+\\.\\d MB sample shrank \\d+\\.\\d %, level 6 for \\d+ of \\d+ MiB${instead}$`,
      ),
    );
    const file = join('pkg3', 'src', 'f7.php');
    expect(readFileSync(join(to, file), 'utf8')).toBe(readFileSync(join(text, file), 'utf8'));
  }, 60_000);

  it('a host without gzip gets the upload again, uncompressed, and the log says so', async () => {
    const to = join(fleet.scratchDir, 'no-gzip', 'r1');
    const ctx = collect();
    const r = await ssh.upload(hostOf(fleet.hosts[0]!), { from: text, to }, ctx);
    expect(ctx.stderr()).toEqual([
      expect.stringMatching(/no gzip on the host: sending the upload uncompressed$/),
    ]);
    expect(r).toMatchObject({ method: 'tar', compression: 'raw: no gzip on the host', files: 3000 });
    expect(r.bytesSent!).toBeGreaterThan(r.bytes);
    const file = join('pkg29', 'src', 'f99.php');
    expect(readFileSync(join(to, file), 'utf8')).toBe(readFileSync(join(text, file), 'utf8'));
  }, 60_000);

  it('a controller without tar copies the files for its local: hosts (the CLI, end to end)', async () => {
    const dir = join(work, 'cli-no-tar');
    await mkdir(dir);
    const config = join(dir, 'release.yml');
    writeFileSync(
      config,
      [
        'version: 1',
        'hosts:',
        '  web: [local:a, local:b]',
        'runners:',
        '  deploy:',
        '    stages:',
        '      - name: Ship',
        '        hosts: [web]',
        '        steps:',
        `          - upload: { from: ${text}, to: '${dir}/hosts/\${BW_HOST}/app' }`,
      ].join('\n'),
    );
    const report = join(dir, 'report.json');
    const r = await runCli(['run', '-c', config, '-r', 'deploy', '--report', report], {
      cwd: dir,
      env: { PATH: noTar },
      timeoutMs: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("no tar on this machine's PATH: copying the files instead");
    expect(r.stdout).toMatch(/uploaded 3000 files \(.*\): .* sent · copy · raw: a local copy · /);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    expect(json.stages[0].jobs[1].uploads).toMatchObject({ uploads: 1, files: 3000 });
    const file = join('pkg3', 'src', 'f42.php');
    for (const h of ['local:a', 'local:b']) {
      expect(readFileSync(join(dir, 'hosts', h, 'app', file), 'utf8')).toBe(
        readFileSync(join(text, file), 'utf8'),
      );
    }
  }, 90_000);
});
