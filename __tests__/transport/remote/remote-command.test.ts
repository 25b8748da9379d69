/**
 * The remote command builder, by exact strings (no I/O), plus both wrappers run by the local `sh`
 * to check their contract without an SSH server: payload on stdin, exit status, lifeline kill.
 * Their semantics on a real sshd: ssh-exec.test.ts and ssh-inline-shell.test.ts.
 */
import { spawn } from 'node:child_process';
import { DEFAULT_SHELL } from '../../../src/contract/transport.js';
import {
  buildRemoteCommand,
  exportStatements,
  GROUP_ANNOUNCEMENT,
  groupKillCommand,
  inlineWrapperCommand,
  parseGroupAnnouncement,
  posixWrapperCommand,
  runsInline,
  shellQuote,
} from '../../../src/transport/remote/remote-command.js';
import { waitUntil } from '../../support/sshd-fixtures.js';
import { isRunning } from '../../support/sshd-procs.js';

describe('shellQuote / exportStatements', () => {
  it('single-quotes, escaping only the single quote', () => {
    expect(shellQuote(`it's $(x) \`y\` "z" \\`)).toBe(`'it'\\''s $(x) \`y\` "z" \\'`);
    expect(shellQuote('')).toBe(`''`);
  });

  it('writes one export per variable, in order', () => {
    expect(exportStatements({ APP: 'shop', EVIL: `'; rm -rf / #`, MULTI: 'a\nb' })).toBe(
      `export APP='shop'\nexport EVIL=''\\''; rm -rf / #'\nexport MULTI='a\nb'\n`,
    );
  });

  it('rejects bad names and NUL bytes without echoing the value', () => {
    expect(() => exportStatements({ 'BAD-NAME': 'x' })).toThrow('invalid variable name "BAD-NAME"');
    expect(() => exportStatements({ TOKEN: 'sec\0ret' })).toThrow(/TOKEN contains a NUL byte/);
    expect(() => exportStatements({ TOKEN: 'sec\0ret' })).not.toThrow(/sec/);
  });
});

/** The exact wrappers: a change to either must show up here, and be checked on a real sshd. */
const POSIX_WRAPPER = [
  'exec 3<&0',
  'eval "$(head -c "$1")" || exit 125',
  '[ -n "${__bw_script+x}" ] || { echo "boerewors: could not read the script from stdin" >&2; exit 125; }',
  'shift',
  'g= k=',
  'read -r _ _ _ _ pg _ 2>/dev/null </proc/$$/stat',
  'if [ "$pg" = "$$" ]; then k=0; elif command -v setsid >/dev/null 2>&1; then g=setsid; fi',
  'if [ "$k" = 0 ]; then printf "\\037boerewors-group %s\\n" $$; else printf "\\037boerewors-group %s\\n" -; fi >&2',
  'printf "%s" "$__bw_script" | $g "$@" /dev/fd/4 4<&0 </dev/null 3<&- &',
  'p=$!',
  'if [ -n "$g" ]; then k=-$p; fi',
  ': "${k:=$p}"',
  '( while read -r _; do :; done; trap "" TERM; kill -s TERM -- "$k"; sleep 2; kill -s KILL -- "$k" ) <&3 >/dev/null 2>&1 &',
  'w=$!',
  'exec 3<&-',
  'wait "$p"; r=$?',
  'kill "$w" 2>/dev/null',
  'exit "$r"',
].join('\n');

const INLINE_WRAPPER = [
  'kill -0 -- -$$ 2>/dev/null || ! command -v setsid >/dev/null || exec setsid "$BASH" --noprofile --norc -c "$BASH_EXECUTION_STRING" "$0" "$@"',
  'exec 3<&0',
  '{ TMOUT= LC_ALL=C read -r -N "$1" __bw_p 2>/dev/null || __bw_p=$(head -c "$1"); } && eval "$__bw_p" && [ -n "${__bw_script+x}" ] || { echo "boerewors: could not read the script from stdin" >&2; exit 125; }',
  'shift; unset __bw_p BASH_EXECUTION_STRING',
  '{ kill -0 -- -$$ 2>/dev/null && printf "\\037boerewors-group %s\\n" $$ || printf "\\037boerewors-group %s\\n" -; } >&2',
  '( ( unset TMOUT; while read -r _; do :; done; kill -0 $$ 2>/dev/null || [ -d /proc/$$ ] || exit; trap "" TERM; k=-$$; kill -0 -- "$k" || k=$$; kill -s TERM -- "$k"; sleep 2; kill -s KILL -- "$k" ) <&3 >/dev/null 2>&1 & )',
  'exec 3<&- </dev/null',
  'set -eo pipefail',
  'eval "unset __bw_script; $__bw_script"',
].join('; ');

/** Same program and options as DEFAULT_SHELL, spelled differently: takes the POSIX wrapper. */
const FILE_SHELL = ['bash', '--noprofile', '--norc', '-e', '-o', 'pipefail'];

describe('buildRemoteCommand', () => {
  it('default shell: the inline bash wrapper, the payload length, nothing else', () => {
    const { command, stdin } = buildRemoteCommand('echo "$TOKEN"', DEFAULT_SHELL, { TOKEN: 'hunter2' });
    expect(stdin.toString()).toBe(`export TOKEN='hunter2'\n__bw_script='echo "$TOKEN"\n'\n`);
    expect(command).toBe(
      `exec bash --noprofile --norc -c ${shellQuote(INLINE_WRAPPER)} step ${stdin.length}`,
    );
    expect(INLINE_WRAPPER).not.toContain('\n'); // all on line 1: LINENO in the script is its own
    expect(command).toBe(inlineWrapperCommand(stdin.length));
  });

  it('any other shell: the POSIX wrapper with the shell argv, values and script on stdin only', () => {
    const { command, stdin } = buildRemoteCommand('echo "$TOKEN"', ['sh', '-eu'], { TOKEN: 'hunter2' });
    expect(stdin.toString()).toBe(`export TOKEN='hunter2'\n__bw_script='echo "$TOKEN"\n'\n`);
    expect(command).toBe(`exec /bin/sh -c ${shellQuote(POSIX_WRAPPER)} bw ${stdin.length} 'sh' '-eu'`);
    expect(command).not.toContain('hunter2');
    expect(command).toBe(posixWrapperCommand(stdin.length, ['sh', '-eu']));
  });

  it.each([
    ['the same options spelled apart', FILE_SHELL],
    ['one more option', [...DEFAULT_SHELL, '-x']],
    ['one option fewer', DEFAULT_SHELL.slice(0, -1)],
    ['another bash', ['/usr/local/bin/bash', ...DEFAULT_SHELL.slice(1)]],
  ])('a shell that is not DEFAULT_SHELL element by element takes the POSIX wrapper: %s', (_what, shell) => {
    const { command, stdin } = buildRemoteCommand('true', shell, {});
    expect(command).toBe(posixWrapperCommand(stdin.length, shell));
  });

  it("variables bash gives a meaning to, the wrapper's own names, and NUL bytes take the POSIX wrapper", () => {
    for (const name of 'IFS UID SHELLOPTS BASH_ENV BASHOPTS TMOUT LINENO PWD SHLVL _ __bw_p'.split(' '))
      expect([name, runsInline('true', DEFAULT_SHELL, { APP: 'x', [name]: '1' })]).toEqual([name, false]);
    for (const name of 'APP PATH HOME SHELL TMPDIR LANG LC_ALL TZ BW_HOST UIDS MY_IFS'.split(' '))
      expect([name, runsInline('true', DEFAULT_SHELL, { [name]: '1' })]).toEqual([name, true]);
    expect(runsInline('echo a\0b', DEFAULT_SHELL, {})).toBe(false);
    const { command, stdin } = buildRemoteCommand('echo "$UID"', DEFAULT_SHELL, { UID: '1000' });
    expect(command).toBe(posixWrapperCommand(stdin.length, DEFAULT_SHELL));
  });

  it('counts the payload in bytes, not characters', () => {
    for (const shell of [DEFAULT_SHELL, ['sh']]) {
      const { command, stdin } = buildRemoteCommand('echo 🌭', shell, { X: 'grüße' });
      expect(stdin.length).toBe(Buffer.byteLength(stdin.toString()));
      expect(stdin.length).toBeGreaterThan(stdin.toString().length);
      expect(command).toMatch(new RegExp(`' (bw|step) ${stdin.length}( |$)`));
    }
  });

  it('rejects an empty shell', () => {
    expect(() => buildRemoteCommand('true', [], {})).toThrow('shell must name a program');
  });
});

describe('the process group announcement and its kill', () => {
  it('reads the group, or its absence, from the wrapper line only', () => {
    expect(GROUP_ANNOUNCEMENT).toBe('\x1fboerewors-group ');
    expect(parseGroupAnnouncement('\x1fboerewors-group 4242')).toBe(4242);
    expect(parseGroupAnnouncement('\x1fboerewors-group -')).toBeNull();
    for (const line of [
      'boerewors-group 4242',
      '\x1fboerewors-group ',
      '\x1fboerewors-group 0',
      '\x1fboerewors-group 12 x',
      'hello',
    ])
      expect([line, parseGroupAnnouncement(line)]).toEqual([line, undefined]);
  });

  it('kills the group from its own shell: TERM now, KILL after the grace in the background', () => {
    expect(groupKillCommand(4242)).toBe(
      `exec /bin/sh -c 'kill -s TERM -- -4242 2>/dev/null; ( sleep 2; kill -s KILL -- -4242 ) </dev/null >/dev/null 2>&1 &'`,
    );
    for (const bad of [0, 1, -5, 1.5, Number.NaN]) expect(() => groupKillCommand(bad)).toThrow(TypeError);
  });
});

/**
 * Runs the built command with the local /bin/sh, as sshd would run it with the login shell.
 * `newSession`: like sshd, start it as a session leader (the wrapper then signals its own group);
 * otherwise it shares our group: the POSIX wrapper starts the shell under `setsid`, the inline
 * one runs itself again under `setsid` (either way, never a signal to our own group).
 * `cutLifelineOn`: end stdin once stdout holds this many lines.
 */
function runLocally(
  shell: readonly string[],
  script: string,
  env: Record<string, string>,
  opts: { cutLifelineOn?: number; newSession?: boolean } = {},
) {
  const { command, stdin } = buildRemoteCommand(script, shell, env);
  const child = spawn('/bin/sh', ['-c', command], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: opts.newSession ?? false,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (opts.cutLifelineOn !== undefined && stdout.split('\n').length > opts.cutLifelineOn) child.stdin.end();
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.write(stdin);
  const started = Date.now();
  return new Promise<{
    code: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
    ms: number;
    pid: number | undefined;
  }>((resolve) =>
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, pid: child.pid }),
    ),
  );
}

describe.each([
  ['inline bash wrapper (default shell)', DEFAULT_SHELL],
  ['POSIX wrapper', FILE_SHELL],
])('the %s, run by the local sh', (_name, shell) => {
  const inline = shell === DEFAULT_SHELL;

  it('runs the script with the variables as environment and returns its status, lifeline still open', async () => {
    expect(
      buildRemoteCommand('true', shell, {}).command.startsWith(inline ? 'exec bash ' : 'exec /bin/sh '),
    ).toBe(true);
    const r = await runLocally(shell, 'echo "$A|$B"\nexit 4', { A: `x'y`, B: '$(echo no)' });
    // The announcement: inline, the wrapper made its own group (setsid); the POSIX one gave the
    // shell a group of its own it cannot name in time.
    expect(r).toMatchObject({ code: 4, signal: null, stdout: `x'y|$(echo no)\n` });
    const [announced, last] = r.stderr.split('\n');
    const group = parseGroupAnnouncement(announced ?? '');
    if (inline) expect(group).toBeGreaterThan(1);
    else expect(group).toBeNull();
    expect(last).toBe('');
  }, 15_000);

  it('in its own session, like under sshd, announces its own process group before the script runs', async () => {
    const r = await runLocally(shell, 'echo "$$" >&2', {}, { newSession: true });
    const [announced, , last] = r.stderr.split('\n');
    expect(parseGroupAnnouncement(announced ?? '')).toBe(r.pid);
    expect(last).toBe('');
    expect(r.code).toBe(0);
  }, 15_000);

  it.each([
    ['in its own session, like under sshd', true],
    ["in the caller's group", false],
  ])(
    'cutting the lifeline terminates the whole process group: %s',
    async (_how, newSession) => {
      const r = await runLocally(
        shell,
        'sleep 30 &\necho "$!"\nsleep 30',
        {},
        { cutLifelineOn: 1, newSession },
      );
      // The wrapper in the group gets the TERM too; the POSIX one under setsid reports the shell's 128+15.
      if (inline || newSession) expect(r).toMatchObject({ code: null, signal: 'SIGTERM' });
      else expect(r).toMatchObject({ code: 143, signal: null });
      // Without the TERM the shell and its background sleep would run 30 s: over 3x these bounds.
      expect(r.ms).toBeLessThan(8000);
      const grandchild = Number(r.stdout.trim());
      expect(grandchild).toBeGreaterThan(1);
      await waitUntil(() => !isRunning(grandchild), 8000, 'the background sleep to be terminated');
    },
    40_000,
  );
});
