/**
 * Exec over real OpenSSH: streaming, exit status, shell semantics, variable delivery, and
 * termination of the remote command on timeout/cancel (proved by a marker that never appears).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CancelledError, TimeoutError } from '../../../src/contract/errors.js';
import { ABORT_WAIT_MS } from '../../../src/transport/remote/exec.js';
import { REMOTE_KILL_GRACE_S } from '../../../src/transport/remote/remote-command.js';
import { createSshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import type { Transport } from '../../../src/contract/transport.js';
import { startSshdFleet, type SshdFleet } from '../../support/sshd.js';
import { collect, fleetOptions, hostOf, script, waitUntil, within } from '../../support/sshd-fixtures.js';
import { descendants, isRunning } from '../../support/sshd-procs.js';
import { readPids, waitForExit } from '../../support/survivors.js';

let fleet: SshdFleet;
let transport: Transport;
const host = () => hostOf(fleet.hosts[0]!);

beforeAll(async () => {
  fleet = await startSshdFleet({ count: 1 });
  transport = createSshTransport(fleetOptions(fleet));
}, 20_000);

afterAll(async () => {
  await transport?.close();
  await fleet?.stop();
});

describe('SSH exec', () => {
  it('streams stdout and stderr lines and returns the exit code', async () => {
    const out = collect();
    const r = await transport.exec(host(), script('echo one\necho two >&2\nprintf three\nexit 3'), out);
    expect(r).toMatchObject({ exitCode: 3, signal: null });
    expect(out.stdout()).toEqual(['one', 'three']);
    expect(out.stderr()).toEqual(['two']);
  }, 10_000);

  it('delivers lines as they are printed, not at the end', async () => {
    // A handshake, not a stopwatch: the command prints "b" only once the test has received "a"
    // (it waits for a file the test creates on that line). Output held back until the command
    // ended would leave it waiting out its 10 s, and it would print "no go" instead.
    const go = join(fleet.scratchDir, 'streamed-go');
    const out = collect();
    const r = await transport.exec(
      host(),
      script(
        `echo a\ni=0; while [ ! -e ${go} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done\n` +
          `if [ -e ${go} ]; then echo b; else echo "no go"; fi`,
      ),
      {
        ...out,
        onOutput: (stream, line) => {
          out.onOutput(stream, line);
          if (line === 'a') writeFileSync(go, '');
        },
      },
    );
    expect(r.exitCode).toBe(0);
    expect(out.stdout()).toEqual(['a', 'b']);
  }, 20_000);

  it('a failing middle line fails the step (-e -o pipefail)', async () => {
    const out = collect();
    const r = await transport.exec(host(), script('echo a\nfalse | cat\necho never'), out);
    expect(r.exitCode).toBe(1);
    expect(out.stdout()).toEqual(['a']);
  }, 10_000);

  it('hostile variable values arrive verbatim and execute nothing', async () => {
    const dir = fleet.scratchDir;
    const env = {
      QUOTE: `'; touch ${dir}/pwned-quote #`,
      SUBST: `$(touch ${dir}/pwned-subst)`,
      TICKS: `\`touch ${dir}/pwned-ticks\``,
      DQUOTE: `"; touch ${dir}/pwned-dq; "`,
      NEWLINES: 'line1\nline2\n\n',
      BACKSLASH: 'a\\b\\\\c\\n',
      UNICODE: 'grüße 🌭',
      EMPTY: '',
    };
    const out = collect();
    const lines = Object.keys(env).map(
      (k) => `printf '%s|' "$${k}" | od -An -c | tr -s ' ' | tr -d '\\n'; echo`,
    );
    const r = await transport.exec(host(), script(lines.join('\n'), env), out);
    expect(r.exitCode).toBe(0);
    // Round trip through printf: what the command sees equals what we sent, byte for byte.
    const check = await transport.exec(
      host(),
      script(
        Object.keys(env)
          .map((k) => `printf '%s' "$${k}" | base64 -w0; echo`)
          .join('\n'),
        env,
      ),
      ((out.lines.length = 0), out),
    );
    expect(check.exitCode).toBe(0);
    expect(out.stdout().map((b64) => Buffer.from(b64, 'base64').toString('utf8'))).toEqual(
      Object.values(env),
    );
    for (const f of ['pwned-quote', 'pwned-subst', 'pwned-ticks', 'pwned-dq'])
      expect(existsSync(join(dir, f))).toBe(false);
  }, 10_000);

  it('variable values never appear in the remote process list', async () => {
    const secret = 'S3cr3t-value-that-must-not-leak';
    const ac = new AbortController();
    const p = transport.exec(host(), script(`sleep 30`, { TOKEN: secret }), collect(ac.signal));
    const cmdlines = () =>
      descendants(fleet.hosts[0]!.pid).map((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        } catch {
          return '';
        }
      });
    // Look while the command runs: once its `sleep` shows in the host's process tree.
    await waitUntil(() => cmdlines().some((c) => c.includes('sleep 30')), 10_000, 'the command to start');
    expect(cmdlines().filter((c) => c.includes(secret))).toEqual([]);
    ac.abort(new CancelledError('done looking'));
    await expect(p).rejects.toBeInstanceOf(CancelledError);
  }, 20_000);

  it('runs the step with the shell it names', async () => {
    const out = collect();
    const r = await transport.exec(
      host(),
      script(`tr '\\0' ' ' </proc/$$/cmdline; echo; echo $((6*7)); false; echo never`, {}, ['sh', '-e']),
      out,
    );
    expect(r.exitCode).toBe(1);
    expect(out.stdout()).toEqual(['sh -e /dev/fd/4 ', '42']);
  }, 10_000);

  it('a command reading stdin gets EOF, not the lifeline', async () => {
    const out = collect();
    const started = Date.now();
    // The script is read from /dev/fd/4, stdin is /dev/null: `cat` and `read` cannot eat the script.
    const r = await transport.exec(host(), script('cat\nread -r x || echo "read: EOF"\necho after'), out);
    expect(r.exitCode).toBe(0);
    expect(out.stdout()).toEqual(['read: EOF', 'after']);
    // A `cat` reading the lifeline would wait for it to close: until the test's timeout.
    expect(Date.now() - started).toBeLessThan(5000);
  }, 10_000);

  it('`nohup cmd >/dev/null 2>&1 &` does not hang the step, and the background process survives', async () => {
    // The background process waits for a file the test creates only after the step has returned:
    // a step that waited for it would never return (and the marker would never appear).
    const go = join(fleet.scratchDir, 'nohup-go');
    const marker = join(fleet.scratchDir, 'nohup-marker');
    const background =
      `i=0; while [ ! -e ${go} ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; ` +
      `[ -e ${go} ] && touch ${marker}`;
    const r = await within(
      transport.exec(
        host(),
        script(`nohup sh -c '${background}' >/dev/null 2>&1 &\necho started`),
        collect(),
      ),
      5000,
      'the step to return',
    );
    expect(r.exitCode).toBe(0);
    await writeFile(go, '');
    await waitUntil(() => existsSync(marker), 10_000, 'the background process to finish');
  }, 20_000);

  it('a timeout terminates the remote command: the marker it would write later never appears', async () => {
    const marker = join(fleet.scratchDir, 'late-marker');
    const pids = join(fleet.scratchDir, 'late-pids');
    const ac = new AbortController();
    const out = collect(ac.signal);
    const p = transport.exec(
      host(),
      script(`echo $$ >> ${pids}\necho started\nsleep 8\ntouch ${marker}`),
      out,
    );
    await waitUntil(() => out.stdout().includes('started'), 5000, 'the command to start');
    const aborted = Date.now();
    ac.abort(new TimeoutError('timed out after 1s'));
    await expect(p).rejects.toBeInstanceOf(TimeoutError);
    // Ended with the channel (its group got the TERM), not given up on after ABORT_WAIT_MS (3 s,
    // a timer, so never sooner): 2 s leaves a loaded machine room and still tells them apart.
    expect(Date.now() - aborted).toBeLessThan(ABORT_WAIT_MS - 1000);
    // Had the shell survived, it would end 8 s in by writing the marker: wait for it to end, then look.
    // (8 s, not less: the kill must come before it however slowly a loaded machine delivers it.)
    const shell = readPids(pids);
    expect(shell).toHaveLength(1);
    await waitForExit(shell, 15_000);
    expect(existsSync(marker)).toBe(false);
  }, 20_000);

  it('a command that ignores TERM is killed after the grace period, its children too', async () => {
    const marker = join(fleet.scratchDir, 'stubborn-marker');
    const pids = join(fleet.scratchDir, 'stubborn-pids');
    const ac = new AbortController();
    const out = collect(ac.signal);
    // Shell and child ignore TERM; both would write the marker 15 s in, long after the KILL is due.
    const p = transport.exec(
      host(),
      script(
        `trap '' TERM\necho $$ >> ${pids}\n(sleep 15; touch ${marker}) &\necho $! >> ${pids}\n` +
          `echo started\nsleep 15\ntouch ${marker}`,
      ),
      out,
    );
    await waitUntil(() => out.stdout().includes('started'), 5000, 'the command to start');
    const aborted = Date.now();
    ac.abort(new CancelledError('cancelled'));
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    // KILLed after the grace, or given up on after ABORT_WAIT_MS: either way far from the 15 s
    // a wait for the command would take.
    expect(Date.now() - aborted).toBeLessThan(ABORT_WAIT_MS + 5000);
    const stubborn = readPids(pids);
    expect(stubborn).toHaveLength(2);
    await waitForExit(stubborn, REMOTE_KILL_GRACE_S * 1000 + 8000);
    expect(existsSync(marker)).toBe(false);
  }, 30_000);

  it.each([
    ['the default shell (inline wrapper)', undefined],
    ['another shell (POSIX wrapper)', ['bash', '-e']],
  ])(
    'a timeout after the shell exited still ends its background children: %s',
    async (_name, shell) => {
      // The background child keeps the output open, so the step goes on after its shell exited. It
      // writes its marker 8 s in: the abort comes after the shell's exit was seen, then a second
      // channel kills the group, and a loaded machine may take seconds for that (2 s was too close).
      const marker = join(fleet.scratchDir, `orphan-marker-${shell ? 'posix' : 'inline'}`);
      const ac = new AbortController();
      const out = collect(ac.signal);
      const p = transport.exec(host(), script(`(sleep 8; touch ${marker}) &\necho "$! $$"`, {}, shell), out);
      await waitUntil(() => out.stdout().length > 0, 5000, 'the shell to start');
      const [child, shellPid] = out.stdout()[0]!.split(' ').map(Number) as [number, number];
      await waitUntil(() => !isRunning(shellPid), 5000, 'the shell to exit');
      const aborted = Date.now();
      ac.abort(new TimeoutError('timed out after 1s'));
      await expect(p).rejects.toBeInstanceOf(TimeoutError);
      // Ended by the TERM to its group (the channel closed), not given up on after ABORT_WAIT_MS.
      expect(Date.now() - aborted).toBeLessThan(ABORT_WAIT_MS - 1000);
      // Had the child survived, it would end by writing the marker: wait for it to end, then look.
      await waitForExit([child], 15_000);
      expect(existsSync(marker)).toBe(false);
    },
    40_000,
  );

  it('the connection stays usable after an aborted command', async () => {
    const ac = new AbortController();
    const p = transport.exec(host(), script('sleep 5'), collect(ac.signal));
    setTimeout(() => ac.abort(new TimeoutError('t')), 200);
    await expect(p).rejects.toBeInstanceOf(TimeoutError);
    const out = collect();
    expect((await transport.exec(host(), script('echo ok'), out)).exitCode).toBe(0);
    expect(out.stdout()).toEqual(['ok']);
    expect(await fleet.hosts[0]!.logins()).toBe(1);
  }, 10_000);

  it('an already aborted signal rejects without running anything', async () => {
    const ac = new AbortController();
    ac.abort(new CancelledError('cancelled'));
    await expect(transport.exec(host(), script('echo no'), collect(ac.signal))).rejects.toBeInstanceOf(
      CancelledError,
    );
  }, 5_000);

  it('reports a shell that kills itself: as 128+N when run as a file, as the signal when inline', async () => {
    // The POSIX wrapper waits for the shell and exits with what `wait` says; the default shell's
    // script runs in the process sshd started, so sshd reports the signal itself.
    const asFile = await transport.exec(host(), script('kill -9 $$', {}, ['bash', '-e']), collect());
    expect(asFile).toMatchObject({ exitCode: 137, signal: null });
    const inline = await transport.exec(host(), script('kill -9 $$'), collect());
    expect(inline).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
  }, 10_000);
});
