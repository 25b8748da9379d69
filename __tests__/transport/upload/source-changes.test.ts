/**
 * A source tree that changes while an upload reads it (a build still writing) fails the upload with
 * a clear error and nothing moves on the host; it never ships a mix of the old and the new state.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { writeArchive } from '../../../src/transport/upload/archive.js';
import { markerName } from '../../../src/transport/upload/host-script.js';
import { readSourceTree } from '../../../src/transport/upload/source-tree.js';
import { createSshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { startSshdFleet, type SshdFleet } from '../../support/sshd.js';
import { collect, fleetOptions, hostOf, waitUntil } from '../../support/sshd-fixtures.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'bw-source-changes-'));
  await chmod(work, 0o755);
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** Writes `text` over the start of `path` in place: same size, new content. */
function overwrite(path: string, text: string, at = 0): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, text, at);
  } finally {
    closeSync(fd);
  }
}

it('a file rewritten after it was packed, and one before, fail the archive: no marker, a clear error', async () => {
  const src = join(work, 'packing');
  await mkdir(src);
  await writeFile(join(src, 'a.txt'), 'version 1\n');
  await writeFile(join(src, 'z.bin'), randomBytes(8 * 1024 * 1024)); // streamed, so packing can stall in it
  const tree = await readSourceTree(src);
  const marker = markerName('0123456789abcdef');
  const received: Buffer[] = [];
  let size = 0;
  let held: (() => void) | null = null;
  let changed = false;
  // A host that stops reading once 2 MB arrived (a.txt is in, z.bin half way) until both files changed.
  const sink = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      received.push(chunk);
      size += chunk.length;
      if (size > 2 * 1024 * 1024 && !changed) held = cb;
      else cb();
    },
  });
  const packing = writeArchive(
    { tree, omit: null, codec: 'none', marker: { name: marker, content: Buffer.alloc(0) } },
    sink,
    new AbortController().signal,
  );
  await waitUntil(() => held !== null, 10_000, 'the packing to stall in z.bin');
  // The next release's build: both files change, same sizes. a.txt is already in the archive,
  // z.bin's end is not: an archive finished now would hold version 1 of one and 2 of the other.
  overwrite(join(src, 'a.txt'), 'version 2\n');
  overwrite(join(src, 'z.bin'), 'version 2', 7 * 1024 * 1024);
  changed = true;
  (held as unknown as () => void)();
  await expect(packing).rejects.toThrow(`upload source ${src}/`);
  await expect(packing).rejects.toThrow('changed while it was being uploaded: upload it again');
  expect(Buffer.concat(received).includes(marker)).toBe(false);
}, 30_000);

describe('over SSH, with a build writing the tree all along', () => {
  let fleet: SshdFleet;
  beforeAll(async () => {
    fleet = await startSshdFleet({ count: 1 });
  }, 30_000);
  afterAll(() => fleet?.stop());

  it('each upload ships one consistent state, or fails clearly and leaves nothing', async () => {
    const src = join(work, 'busy');
    await mkdir(src);
    for (const f of ['a.txt', 'm.bin', 'z.txt']) await writeFile(join(src, f), 'v00000\n');
    await writeFile(join(src, 'm.bin'), randomBytes(16 * 1024 * 1024));
    // Version N into a.txt then z.txt, over and over, in place (same size), until killed.
    const writer = spawn(
      'sh',
      [
        '-c',
        'n=10000; while :; do n=$((n+1)); for f in a.txt z.txt; do printf "v%s\\n" $n 1<>"$f"; done; done',
      ],
      { cwd: src, stdio: 'ignore' },
    );
    const transport = createSshTransport(fleetOptions(fleet));
    const outcomes: string[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const parent = join(fleet.scratchDir, 'busy');
        const to = join(parent, `r${i}`);
        const r = await transport
          .upload(hostOf(fleet.hosts[0]!), { from: src, to, compress: false }, collect())
          .catch((e: unknown) => e as Error);
        if (r instanceof Error) {
          expect(r.message).toContain('changed while it was being uploaded: upload it again');
          expect(existsSync(to)).toBe(false);
          outcomes.push('refused');
        } else {
          expect(readFileSync(join(to, 'a.txt'), 'utf8')).toBe(readFileSync(join(to, 'z.txt'), 'utf8'));
          outcomes.push('consistent');
        }
        // The host removed its staging directory on the way out (sshd's side, checked).
        await waitUntil(
          () => readdirSync(parent).every((n) => !n.startsWith('.bw-upload-')),
          10_000,
          'the staging directory to go',
        );
      }
    } finally {
      writer.kill('SIGKILL');
      await transport.close();
    }
    expect(outcomes).toHaveLength(4);
  }, 90_000);
});
