import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_SHELL, type Stream } from '../../src/contract/transport.js';
import { TimeoutError } from '../../src/contract/errors.js';
import { REDACTED, Redactor } from '../../src/pipeline/secrets.js';
import { MAX_LINE_CHARS } from '../../src/transport/line-splitter.js';
import { LocalTransport } from '../../src/transport/local.js';
import { tempDir } from '../support/cli.js';
import { waitUntil, within } from '../support/sshd-fixtures.js';
import { isRunning } from '../support/sshd-procs.js';
import { readPids, waitForExit } from '../support/survivors.js';

const HOST = { name: 'local:a', address: 'localhost', port: 0, local: true };

function collect() {
  const lines: [Stream, string][] = [];
  return { lines, onOutput: (s: Stream, l: string) => lines.push([s, l]) };
}

describe('LocalTransport', () => {
  const transport = new LocalTransport();
  afterAll(() => transport.close());

  it('streams stdout and stderr lines and returns the exit code', async () => {
    const out = collect();
    const r = await transport.exec(
      HOST,
      { script: 'echo one\necho two >&2\nprintf three\nexit 3', shell: DEFAULT_SHELL, env: {} },
      { signal: new AbortController().signal, onOutput: out.onOutput },
    );
    expect(r.exitCode).toBe(3);
    expect(out.lines).toEqual(
      expect.arrayContaining([
        ['stdout', 'one'],
        ['stderr', 'two'],
        ['stdout', 'three'],
      ]),
    );
  });

  it('with a redactor, a secret straddling the cut of a long line is removed before the cut', async () => {
    const secret = 'local-secret-8d777f385d3dfec8815d';
    const redacting = new LocalTransport(process.env, new Redactor([secret]));
    const out = collect();
    // The secret starts 10 characters before the cut, and is printed in several writes.
    const script = `head -c ${MAX_LINE_CHARS - 10} /dev/zero | tr '\\0' x; printf %s "$S"; printf 'y%.0s' $(seq 100)`;
    const r = await redacting.exec(
      HOST,
      { script, shell: DEFAULT_SHELL, env: { S: secret } },
      { signal: new AbortController().signal, onOutput: out.onOutput },
    );
    expect(r.exitCode).toBe(0);
    const text = out.lines.map(([, l]) => l);
    expect(text.join('')).toBe(`${'x'.repeat(MAX_LINE_CHARS - 10)}${REDACTED}${'y'.repeat(100)}`);
    expect(text.some((l) => l.includes(secret.slice(0, 10)) || l.includes(secret.slice(10)))).toBe(false);
  });

  it('a long line is cut at a code-point boundary: an emoji at the cut is printed whole', async () => {
    const out = collect();
    const script = `head -c ${MAX_LINE_CHARS - 1} /dev/zero | tr '\\0' x; printf '\\360\\237\\230\\200yz\\n'`;
    const r = await transport.exec(
      HOST,
      { script, shell: DEFAULT_SHELL, env: {} },
      { signal: new AbortController().signal, onOutput: out.onOutput },
    );
    expect(r.exitCode).toBe(0);
    const text = out.lines.map(([, l]) => l);
    expect(text).toEqual(['x'.repeat(MAX_LINE_CHARS - 1), '😀yz']);
  });

  it('a failing middle line fails the script (-e -o pipefail)', async () => {
    const out = collect();
    const r = await transport.exec(
      HOST,
      { script: 'echo a\nfalse | cat\necho never', shell: DEFAULT_SHELL, env: {} },
      { signal: new AbortController().signal, onOutput: out.onOutput },
    );
    expect(r.exitCode).toBe(1);
    expect(out.lines).toEqual([['stdout', 'a']]);
  });

  it('commands that read stdin get EOF and cannot swallow the rest of the script', async () => {
    const out = collect();
    const r = await transport.exec(
      HOST,
      { script: 'echo start\ncat\nread -r x || echo "read: EOF"\necho end', shell: DEFAULT_SHELL, env: {} },
      { signal: new AbortController().signal, onOutput: out.onOutput },
    );
    expect(r.exitCode).toBe(0);
    expect(out.lines).toEqual([
      ['stdout', 'start'],
      ['stdout', 'read: EOF'],
      ['stdout', 'end'],
    ]);
  });

  it('delivers variables as environment, verbatim', async () => {
    const out = collect();
    const value = `'; echo injected #$(echo sub)\`echo tick\``;
    await transport.exec(
      HOST,
      { script: 'printf "%s\\n" "$V"', shell: DEFAULT_SHELL, env: { V: value } },
      { signal: new AbortController().signal, onOutput: out.onOutput },
    );
    expect(out.lines).toEqual([['stdout', value]]);
  });

  it('on abort terminates the whole process group and rejects with the reason', async () => {
    const dir = await tempDir();
    const marker = join(dir, 'late');
    const pids = join(dir, 'pids');
    const ctl = new AbortController();
    const out = collect();
    const started = Date.now();
    const p = transport.exec(
      HOST,
      {
        // a background grandchild that would write the marker 8 s in, plus a foreground sleep
        script: `(sleep 8; touch ${marker}) &\necho $! >> ${pids}\necho $$ >> ${pids}\necho ready\nsleep 30`,
        shell: DEFAULT_SHELL,
        env: {},
      },
      {
        signal: ctl.signal,
        onOutput: (s, l) => {
          out.onOutput(s, l);
          if (l === 'ready') ctl.abort(new TimeoutError('timed out after 1s'));
        },
      },
    );
    const error = await within(
      p.catch((e: unknown) => e),
      10_000,
      'the step to end',
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe('timed out after 1s');
    // Waiting for the foreground `sleep 30` would take 3x this bound.
    expect(Date.now() - started).toBeLessThan(10_000);
    // Had the grandchild survived, it would end by writing the marker: wait for both, then look.
    const group = readPids(pids);
    expect(group).toHaveLength(2);
    await waitForExit(group, 15_000);
    expect(existsSync(marker)).toBe(false);
  }, 20_000);

  it('a timeout after the shell exited still ends its background children (they hold the output)', async () => {
    const dir = await tempDir();
    const marker = join(dir, 'orphan');
    const ctl = new AbortController();
    const out = collect();
    const p = transport.exec(
      HOST,
      // 8 s: the abort comes only once the shell's exit was seen; on a loaded machine that may take seconds.
      { script: `(sleep 8; touch ${marker}) &\necho "$! $$"`, shell: DEFAULT_SHELL, env: {} },
      { signal: ctl.signal, onOutput: out.onOutput },
    );
    await waitUntil(() => out.lines.length > 0, 5000, 'the shell to start');
    const [child, shellPid] = out.lines[0]![1].split(' ').map(Number) as [number, number];
    await waitUntil(() => !isRunning(shellPid), 5000, 'the shell to exit');
    ctl.abort(new TimeoutError('timed out after 1s'));
    await expect(p).rejects.toThrow('timed out after 1s');
    // Had the child survived, it would end by writing the marker: wait for it to end, then look.
    await waitForExit([child], 15_000);
    expect(existsSync(marker)).toBe(false);
  });

  it('uploads a directory tree with modes, creating parents', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'src/sub'), { recursive: true });
    await writeFile(join(dir, 'src/run.sh'), '#!/bin/sh\n');
    await chmod(join(dir, 'src/run.sh'), 0o750);
    await writeFile(join(dir, 'src/sub/data.txt'), 'hello');
    const r = await transport.upload(
      HOST,
      { from: join(dir, 'src'), to: join(dir, 'dest/deep/there') },
      { signal: new AbortController().signal, onOutput: () => {} },
    );
    expect(r.files).toBe(2);
    expect(r.bytes).toBe(15);
    expect(statSync(join(dir, 'dest/deep/there/run.sh')).mode & 0o777).toBe(0o750);
    expect(readFileSync(join(dir, 'dest/deep/there/sub/data.txt'), 'utf8')).toBe('hello');
  });

  it('a missing upload source says so, and where it was looked for', async () => {
    const dir = await tempDir();
    const ctx = { signal: new AbortController().signal, onOutput: () => {} };
    await expect(
      transport.upload(HOST, { from: join(dir, 'build'), to: join(dir, 'x') }, ctx),
    ).rejects.toThrow(`upload source ${join(dir, 'build')} not found: nothing to upload`);
    await expect(transport.upload(HOST, { from: 'no-such-build/', to: join(dir, 'x') }, ctx)).rejects.toThrow(
      `upload source no-such-build/ not found (looked for ${join(process.cwd(), 'no-such-build')}): nothing to upload`,
    );
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});
