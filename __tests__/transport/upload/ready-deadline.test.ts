/**
 * The upload's host must say `ready` in bounded time: a host that goes silent (or chatters without
 * end) before it fails the upload, naming what it did, instead of holding the run. Each line it says
 * starts the silence again; while it hashes (`linking from hashes`) only the overall deadline holds.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadError } from '../../../src/contract/errors.js';
import type { ExecRequest, ExecResult, TransportCallContext } from '../../../src/contract/transport.js';
import { ArchiveCache } from '../../../src/transport/upload/archive-cache.js';
import { UploadReplies } from '../../../src/transport/upload/host-replies.js';
import { tarUpload } from '../../../src/transport/upload/tar-upload.js';

describe('the deadlines before "ready"', () => {
  afterEach(() => jest.useRealTimers());

  it('silence ends the upload; every line the host says starts the silence again', () => {
    jest.useFakeTimers();
    const replies = new UploadReplies(10, false, () => {}, { silenceMs: 1000, readyWithinMs: 60_000 });
    for (let i = 0; i < 5; i++) {
      jest.advanceTimersByTime(900);
      replies.onOutput('stdout', `bw-upload: have ${i + 1}`);
    }
    expect(replies.stop.signal.aborted).toBe(false);
    jest.advanceTimersByTime(1000);
    expect(replies.stop.signal.aborted).toBe(true);
    expect(replies.violation).toBe('said nothing for 1 s before "ready"');
  });

  it('a host hashing its link-from tree is bounded by the overall deadline only, a chatty one too', () => {
    jest.useFakeTimers();
    const hashing = new UploadReplies(3, false, () => {}, { silenceMs: 1000, readyWithinMs: 5000 });
    hashing.onOutput('stdout', 'bw-upload: linking from hashes');
    jest.advanceTimersByTime(4900);
    expect(hashing.stop.signal.aborted).toBe(false);
    jest.advanceTimersByTime(100);
    expect(hashing.violation).toBe('did not say "ready" within 5 s of the upload\'s start');
    const chatty = new UploadReplies(null, false, () => {}, { silenceMs: 1000, readyWithinMs: 5000 });
    for (let i = 0; i < 10 && !chatty.stop.signal.aborted; i++) {
      jest.advanceTimersByTime(600);
      chatty.onOutput('stdout', 'bw-upload: linking from manifest');
    }
    expect(chatty.violation).toBe('did not say "ready" within 5 s of the upload\'s start');
  });

  it('no deadline runs once the host said "ready" (the archive may take long to send)', () => {
    jest.useFakeTimers();
    let ready = 0;
    const replies = new UploadReplies(null, false, () => ready++, { silenceMs: 1000, readyWithinMs: 5000 });
    replies.onOutput('stdout', 'bw-upload: ready');
    jest.advanceTimersByTime(60_000);
    expect(ready).toBe(1);
    expect(replies.stop.signal.aborted).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('an upload to a host that never says "ready"', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'bw-ready-deadline-'));
    await writeFile(join(work, 'index.html'), 'x\n');
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('fails within its deadline, naming what the host did', async () => {
    // The host: takes the command, says nothing, ends only when told to stop (as a transport does).
    let stopped = false;
    const silent = (_host: unknown, _req: ExecRequest, ctx: TransportCallContext): Promise<ExecResult> =>
      new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          stopped = true;
          reject(ctx.signal.reason);
        });
      });
    const host = { name: 'web-1', address: 'web-1.test', port: 22, local: false };
    const started = Date.now();
    // Closed as a transport closes it: it holds the archive packed while the host was starting.
    const cache = new ArchiveCache();
    const upload = tarUpload(
      silent,
      cache,
      host,
      'web-1',
      { from: work, to: 'app/' },
      { signal: new AbortController().signal, onOutput: () => {} },
      { silenceMs: 200, readyWithinMs: 60_000 },
    );
    await expect(upload).rejects.toThrow(UploadError);
    await expect(upload).rejects.toThrow(
      'web-1: upload to app/ failed: the host said nothing for 0.2 s before "ready"',
    );
    expect(stopped).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    cache.close();
  });
});

describe('what a host may say about zstd', () => {
  it('`no-zstd` once, before "ready", when asked for zstd: it takes gzip; anything else is a lie', () => {
    const asked = new UploadReplies(null, true, () => {});
    asked.onOutput('stdout', 'bw-upload: no-zstd');
    expect(asked.noZstd).toBe(true);
    expect(asked.violation).toBeUndefined();
    asked.onOutput('stdout', 'bw-upload: no-zstd');
    expect(asked.violation).toBe('answered "no-zstd" twice');
    expect(asked.stop.signal.aborted).toBe(true);
    asked.dispose();
    const late = new UploadReplies(null, true, () => {});
    late.onOutput('stdout', 'bw-upload: ready');
    late.onOutput('stdout', 'bw-upload: no-zstd');
    expect(late.violation).toBe('answered "no-zstd" after "ready"');
    const unasked = new UploadReplies(null, false, () => {});
    unasked.onOutput('stdout', 'bw-upload: no-zstd');
    expect(unasked.violation).toBe('answered "no-zstd" to an upload that did not ask for zstd');
    unasked.dispose();
  });
});
