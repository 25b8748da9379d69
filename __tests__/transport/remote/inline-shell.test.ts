/**
 * The default shell's inline wrapper on a real sshd, side by side with the same shell run as a file
 * through the POSIX wrapper (`FILE_SHELL` differs from DEFAULT_SHELL only in spelling). What
 * ssh-exec.test.ts already proves for every step (streaming, hostile values, stdin at /dev/null,
 * `nohup`, timeout and cancel) is not repeated here.
 *
 * The sessions run in a UTF-8 locale with TMOUT=1 (sshd's SetEnv, as pam_env could set them on a
 * real host): the wrapper must read the payload in bytes all the same, run the script in that
 * locale, and not let TMOUT end its watchdog's wait on the lifeline.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { DEFAULT_SHELL } from '../../../src/contract/transport.js';
import { CancelledError, TimeoutError } from '../../../src/contract/errors.js';
import {
  buildRemoteCommand,
  exportStatements,
  REMOTE_KILL_GRACE_S,
} from '../../../src/transport/remote/remote-command.js';
import { createSshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import type { Transport } from '../../../src/contract/transport.js';
import { itWithOpenSsh } from '../../support/conditional-tests.js';
import { startSshdFleet, type SshdFleet } from '../../support/sshd.js';
import { collect, fleetOptions, hostOf, script, waitUntil } from '../../support/sshd-fixtures.js';
import { isRunning } from '../../support/sshd-procs.js';

const FILE_SHELL = ['bash', '--noprofile', '--norc', '-e', '-o', 'pipefail'];
const SHELLS = [
  ['inline (default shell)', DEFAULT_SHELL],
  ['as a file', FILE_SHELL],
] as const;

let fleet: SshdFleet;
let transport: Transport;
const host = () => hostOf(fleet.hosts[0]!);
/** The in-process fallback server has no SetEnv: its sessions have neither the locale nor TMOUT. */
const withSetEnv = itWithOpenSsh('the fallback server applies no SetEnv (UTF-8 locale, TMOUT=1)');

beforeAll(async () => {
  fleet = await startSshdFleet({ count: 1, config: { SetEnv: 'LC_ALL=C.UTF-8 TMOUT=1' } });
  transport = createSshTransport(fleetOptions(fleet));
}, 20_000);

afterAll(async () => {
  await transport?.close();
  await fleet?.stop();
});

interface Ran {
  exitCode: number | null;
  signal: string | null;
  stdout: string[];
  stderr: string[];
}

/** Runs `text`; a step that has not ended after `withinMs` is cancelled and fails the test. */
async function run(
  text: string,
  shell: readonly string[],
  env: Record<string, string> = {},
  withinMs = 5000,
): Promise<Ran> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new TimeoutError(`no exit within ${withinMs} ms`)), withinMs);
  const out = collect(ac.signal);
  try {
    const r = await transport.exec(host(), script(text, env, shell), out);
    return { exitCode: r.exitCode, signal: r.signal, stdout: out.stdout(), stderr: out.stderr() };
  } finally {
    clearTimeout(timer);
  }
}

/** Both wrappers name the script in bash's messages (and "Killed" names a pid); nothing else may differ. */
const sameShape = (r: Ran): Ran => ({
  ...r,
  stderr: r.stderr.map((l) =>
    l
      .replace(/^\/dev\/fd\/4: /, 'step: ')
      .replace(/^step: eval: /, 'step: ')
      .replace(/^(step: line \d+: ) *\d+ /, '$1PID '),
  ),
});

describe('the inline wrapper runs the script as `bash -eo pipefail FILE` would', () => {
  it('the two shells take different wrappers (else this file compares nothing)', () => {
    expect(buildRemoteCommand('true', DEFAULT_SHELL, {}).command).toMatch(
      /^exec bash --noprofile --norc -c /,
    );
    expect(buildRemoteCommand('true', FILE_SHELL, {}).command).toMatch(/^exec \/bin\/sh -c /);
  });

  it.each([
    ['exit status', 'echo hi\nexit 3', 3],
    ['errexit', 'echo a\nfalse\necho never', 1],
    ['pipefail', 'false | true\necho never', 1],
    ['errexit ignored in conditions', 'if false; then :; fi\nfalse || echo or\n! false\necho end', 0],
    ['errexit in a function', 'f() { false; echo in-f; }\nf || echo "f failed"\nf\necho never', 1],
    ['a failed command substitution in an assignment', 'x=$(false)\necho never', 1],
    ['a failed command substitution in an argument', 'echo "[$(false)]"\necho end', 0],
    ['a failed subshell', '(exit 4)\necho never', 4],
    ['EXIT trap', `trap 'echo "bye $?"' EXIT\necho a\nfalse`, 1],
    ['ERR trap and LINENO', `trap 'echo "ERR at line $LINENO"' ERR\necho "$LINENO"\n\nfalse`, 1],
    [
      '$$ is the shell, and exec replaces it',
      'a=$$\n[ "$a" = "$BASHPID" ] && echo same\nexec sh -c "[ \\$\\$ = $a ] && echo exec-same"',
      0,
    ],
    [
      'jobs, wait and $! see only the script’s own',
      'echo "[$!]"\njobs\nsleep 0.3 &\nsleep 0.2 &\njobs -p | wc -l\nwait\necho waited',
      0,
    ],
    ['parameters', 'echo "$#|$*|$BASH_SUBSHELL|$SHLVL"', 0],
    ['a syntax error on line 3 after lines 1 and 2 ran', 'echo one\necho two\necho three (\necho never', 2],
    [
      'a syntax error closing a compound command',
      'echo one\nif true; then\n  echo in-if\nfi fi\necho never',
      2,
    ],
    ['command not found', 'echo one\nnosuchcmd\necho never', 127],
    ['return at top level', 'return 3\necho never', 2],
    ['aliases defined on an earlier line', 'shopt -s expand_aliases\nalias hi="echo alias-hi"\nhi', 0],
    ['set +e', 'set +e\nfalse\necho "status $?"', 0],
    [
      'a command killed by a signal',
      'sh -c "kill -9 \\$\\$" || echo "status $?"\nsleep 5 & kill $!; wait $!',
      143,
    ],
    ['stdin is /dev/null', 'cat\nread -r x || echo "read: EOF"', 0],
    ['multibyte text in the script and a variable', `x='é🌭'\nprintf '%s\\n' "$x" "\${#x}" "$X" "\${#X}"`, 0],
  ])(
    '%s',
    async (_what, text, exitCode) => {
      const env = { X: 'grüße 🌭', APP: `it's "quoted"` };
      const inline = await run(text, DEFAULT_SHELL, env);
      expect(inline.exitCode).toBe(exitCode);
      expect(sameShape(inline)).toEqual(sameShape(await run(text, FILE_SHELL, env)));
    },
    15_000,
  );

  it('a successful step leaves no job-control notice and no watchdog behind', async () => {
    const r = await run('true &\nsleep 0.2 &\nwait\nsleep 0.1\necho end', DEFAULT_SHELL);
    expect(r).toEqual({ exitCode: 0, signal: null, stdout: ['end'], stderr: [] });
  }, 10_000);

  it("bash's messages name the step and the script's own line", async () => {
    const notFound = 'echo one\nnosuchcmd';
    expect((await run(notFound, DEFAULT_SHELL)).stderr).toEqual([
      'step: line 2: nosuchcmd: command not found',
    ]);
    expect((await run(notFound, FILE_SHELL)).stderr).toEqual([
      '/dev/fd/4: line 2: nosuchcmd: command not found',
    ]);
    const syntax = 'echo one\necho two (';
    expect(await run(syntax, DEFAULT_SHELL)).toEqual({
      exitCode: 2,
      signal: null,
      stdout: ['one'],
      stderr: ["step: eval: line 2: syntax error near unexpected token `('"],
    });
  }, 10_000);

  it("the step's environment is the same, and its shell variables hold nothing of the wrapper", async () => {
    const text = 'compgen -v\necho ---\nenv | cut -d= -f1 | sort';
    const env = { APP: 'shop' };
    const split = (r: Ran) => {
      expect(r.exitCode).toBe(0);
      const at = r.stdout.indexOf('---');
      return { vars: r.stdout.slice(0, at), env: r.stdout.slice(at + 1) };
    };
    const inline = split(await run(text, DEFAULT_SHELL, env));
    const file = split(await run(text, FILE_SHELL, env));
    expect(inline.env).toEqual(file.env);
    expect(inline.env).toContain('APP');
    // Only PIPESTATUS: the script's first command is not the first the inline shell ran.
    expect(inline.vars.filter((v) => !file.vars.includes(v))).toEqual(['PIPESTATUS']);
    expect(file.vars.filter((v) => !inline.vars.includes(v))).toEqual([]);
  }, 10_000);

  it('variables bash gives a meaning to keep the meaning a new bash gives them', async () => {
    // Assigned in a running bash, UID is readonly (the step would fail) and IFS would split words.
    const text = 'printenv UID\nx=a:b\nfor w in $x; do echo "$w"; done';
    const r = await run(text, DEFAULT_SHELL, { UID: '1000', IFS: ':' });
    expect(r).toEqual({ exitCode: 0, signal: null, stdout: ['1000', 'a:b'], stderr: [] });
  }, 10_000);
});

describe('the payload and the locale', () => {
  withSetEnv(
    'the session is UTF-8 with TMOUT=1 (else the tests below prove less)',
    async () => {
      const r = await run('locale charmap\necho "$TMOUT"', DEFAULT_SHELL);
      expect(r.stdout).toEqual(['UTF-8', '1']);
    },
    10_000,
  );

  it.each(SHELLS)(
    'a 700 kB multibyte script arrives byte for byte (%s)',
    async (_how, shell) => {
      const body = Array.from({ length: 40_000 }, (_, i) => `é🌭 '"\\ $x ${i}\n`).join('');
      const digest = createHash('sha256').update(body).digest('hex');
      const r = await run(`cat <<'EOF' | sha256sum\n${body}EOF`, shell, { X: '🌭' }, 10_000);
      expect(r).toEqual({ exitCode: 0, signal: null, stdout: [`${digest}  -`], stderr: [] });
    },
    15_000,
  );

  withSetEnv.each(SHELLS)(
    'a step outlasting TMOUT is not cut short by the watchdog (%s)',
    async (_how: string, shell: readonly string[]) => {
      const r = await run('sleep 1.5\necho done', shell);
      expect(r).toEqual({ exitCode: 0, signal: null, stdout: ['done'], stderr: [] });
    },
    10_000,
  );

  it.each(SHELLS)(
    'a payload cut short: exit 125, says so, runs nothing (%s)',
    async (_how, shell) => {
      const env = { APP: 'shop' };
      const { command } = buildRemoteCommand('echo ran', shell, env);
      const exportsOnly = Buffer.from(exportStatements(env));
      expect(await rawExec(command, exportsOnly)).toEqual({
        code: 125,
        stdout: '',
        stderr: 'boerewors: could not read the script from stdin\n',
      });
    },
    10_000,
  );

  it('a payload cut inside the script: exit 125, says so, runs nothing (inline)', async () => {
    const { command, stdin } = buildRemoteCommand('echo ran\necho more', DEFAULT_SHELL, {});
    expect(await rawExec(command, stdin.subarray(0, stdin.length - 6))).toEqual({
      code: 125,
      stdout: '',
      stderr: 'boerewors: could not read the script from stdin\n',
    });
  }, 10_000);
});

describe.each(SHELLS)('cutting the lifeline (%s)', (_how, shell) => {
  it('TERMs the whole group at once, then KILLs what ignored it after the grace', async () => {
    const ac = new AbortController();
    const out = collect(ac.signal);
    // Each process names itself; the stubborn one only once its TERM is ignored (a child that
    // reported its pid before its trap was set could still die of the TERM under load).
    const text = [
      'sleep 30 &',
      'echo "plain $!"',
      `sh -c 'trap "" TERM; echo "stubborn $$"; exec sleep 30' &`,
      'echo "shell $$"',
      'sleep 30',
    ].join('\n');
    const p = transport.exec(host(), script(text, {}, shell), out);
    const ended = p.then(
      () => 'resolved',
      (err: unknown) => err,
    );
    await waitUntil(() => out.stdout().length === 3, 10_000, 'the step to start its children');
    const pid = (name: string): number => {
      const line = out.stdout().find((l) => l.startsWith(`${name} `));
      if (line === undefined) throw new Error(`no "${name}" line in ${JSON.stringify(out.stdout())}`);
      return Number(line.slice(name.length + 1));
    };
    const [plain, stubborn, shellPid] = [pid('plain'), pid('stubborn'), pid('shell')];
    expect([plain, stubborn, shellPid].every(isRunning)).toBe(true);
    const aborted = Date.now();
    ac.abort(new CancelledError('cancelled'));
    // "At once" is told by order, not by a stopwatch: the TERM ends the shell and the plain sleep
    // while the stubborn child, KILLed only REMOTE_KILL_GRACE_S later, still runs. Were the group
    // only KILLed, all three would end together; were it never TERMed, the shell would outlive
    // the grace. The wait is wide for a loaded machine; the order is what is checked.
    await waitUntil(
      () => !isRunning(plain) && !isRunning(shellPid),
      REMOTE_KILL_GRACE_S * 1000 + 8000,
      'TERM to end the shell and sleep',
    );
    expect(isRunning(stubborn)).toBe(true);
    await waitUntil(() => !isRunning(stubborn), REMOTE_KILL_GRACE_S * 1000 + 8000, 'KILL after the grace');
    expect(Date.now() - aborted).toBeGreaterThanOrEqual(REMOTE_KILL_GRACE_S * 1000 - 50);
    expect(await ended).toBeInstanceOf(CancelledError);
  }, 40_000);
});

/** One exec on a raw connection: what it prints and its exit status, given exactly `stdin` then EOF. */
async function rawExec(
  command: string,
  stdin: Buffer,
): Promise<{ code: unknown; stdout: string; stderr: string }> {
  const client = new ssh2.Client();
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve).once('error', reject);
      const h = fleet.hosts[0]!;
      client.connect({
        host: h.address,
        port: h.port,
        username: fleet.user,
        privateKey: readFileSync(fleet.keyPath),
        hostVerifier: () => true,
        readyTimeout: 5000,
      });
    });
    return await new Promise((resolve, reject) => {
      client.exec(command, (err, ch) => {
        if (err) return reject(err);
        let code: unknown = null;
        let stdout = '';
        let stderr = '';
        ch.on('exit', (status: number | null, signal?: string) => (code = status ?? signal));
        ch.on('data', (d: Buffer) => (stdout += d.toString()));
        ch.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        ch.once('close', () => resolve({ code, stdout, stderr }));
        ch.end(stdin);
      });
    });
  } finally {
    client.end();
  }
}
