/**
 * What an exec channel runs on the host, built without I/O so it is tested by exact strings.
 *
 * The exec request carries only a fixed wrapper, the payload's length and the shell argv (all
 * harmless in `ps`). The variables and the script travel on the channel's stdin as one payload of
 * quoted assignments, which the wrapper `eval`s: values are data, never code, and never appear in
 * any argv. After the payload, stdin stays open as the lifeline (below).
 *
 * Termination on a stock sshd: OpenSSH ignores "signal" channel requests for most logins, and
 * closing a channel without a pty kills nothing. So every wrapper
 *   1. reads exactly the payload's byte length from stdin and evaluates it (exports + script text);
 *      when it cannot, it exits 125 saying so;
 *   2. runs the script with stdin at /dev/null (a command that reads stdin gets EOF, not the
 *      lifeline) in a process group that holds the command and everything it starts: sshd starts
 *      every command in a new session, so the wrapper's group already is one (where that is not
 *      confirmed, the wrapper runs under `setsid`);
 *   3. keeps stdin open as a lifeline: a watchdog blocks reading it, and when it reaches EOF before
 *      the command ended (we sent EOF on timeout/cancel, or the connection died and sshd closed
 *      the pipe) it sends TERM to the whole group, then KILL after REMOTE_KILL_GRACE_S;
 *   4. ends with the command's status when the command ends by itself; the watchdog then stops.
 *   5. announces its process group on stderr before the script runs (GROUP_ANNOUNCEMENT; the
 *      transport takes that line out of the output). When the shell has exited but a background
 *      child still holds the output open, the step is not over, yet sshd has already closed the
 *      lifeline (it does so as soon as it reaps the process it started) and the watchdog is gone:
 *      a timeout or cancel then reaches the group through a second channel (groupKillCommand).
 * Background processes a successful command left behind (`nohup … &`) are not touched; processes
 * that leave the group themselves (`setsid`, daemons) are out of reach, as with any process group.
 *
 * Two wrappers do this:
 * - Any shell (POSIX_WRAPPER): `/bin/sh` reads the payload with `head -c` and starts the step's
 *   shell on the script as the file /dev/fd/4 (a pipe), in the background, and waits for it.
 * - The default shell (INLINE_WRAPPER), ~2 ms cheaper a step (bench/probes/wrapper-variants.ts):
 *   one `bash --noprofile --norc` reads the payload with `read -N` (LC_ALL=C for that read only, so
 *   it counts bytes; the script then runs in the session's locale), forks the watchdog off (twice:
 *   the step's shell has no child it did not start), and then *is* the step's shell: `set -eo
 *   pipefail; eval` the script. So `$$`, `exec`, `wait`, `$!`, traps, LINENO and errexit behave as
 *   in `bash -eo pipefail FILE` (side by side on a real sshd: __tests__/transport/ssh-inline-shell
 *   .test.ts). eval runs the script one command at a time, as bash runs a file: a syntax error on
 *   line 2 stops the script after line 1 ran, with status 2.
 *   What differs: `$0` is `step` (it was /dev/fd/4), so messages read `step: line 2: nosuchcmd:
 *   command not found` (`step: eval: line 2: syntax error …`); BASH_SOURCE is empty; `$-` has a
 *   `c`; `$PPID` is sshd's; as in any `bash -c`, `jobs` does not list jobs `wait` already reaped;
 *   PIPESTATUS is set from the start. The step's shell is the process sshd started, so when it is
 *   killed by a signal (`kill -9 $$`, the OOM killer) the step reports that signal, not 128+N.
 *   The step's environment is the same; its shell variables hold nothing of the wrapper's.
 *   Variables bash gives a meaning to (IFS, UID, SHELLOPTS, BASH_ENV, …), which assigning in a
 *   running bash is not the same as handing to a new one, and a script holding a NUL byte (which
 *   `read -N` does not count) take the POSIX wrapper instead, so their behaviour stays as it was.
 */
import { DEFAULT_SHELL } from '../engine/subtask.js';

/** Seconds between TERM and KILL of a timed-out or cancelled command's process group. */
export const REMOTE_KILL_GRACE_S = 2;

/** Shell variable the payload assigns the script to; not exported, so the command never sees it. */
const SCRIPT_VAR = '__bw_script';

const NO_SCRIPT = '{ echo "boerewors: could not read the script from stdin" >&2; exit 125; }';

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Start of the line both wrappers write on stderr before the script runs: then the process group
 * (or `-` where the wrapper could not confirm one). The unit separator in front keeps it apart
 * from anything a host prints; only the first such line counts, and it always comes first.
 */
export const GROUP_ANNOUNCEMENT = '\x1fboerewors-group ';

/** printf format (single quotes are not allowed in the wrappers) writing GROUP_ANNOUNCEMENT + `%s`. */
const ANNOUNCE = 'printf "\\037boerewors-group %s\\n"';

/**
 * POSIX sh, no single quotes (it is itself single-quoted below). `$1` is the payload length; the
 * rest is the shell argv. `k` is what the watchdog signals: 0 (our own group), -PID (the group
 * `setsid` made) or, with neither available, just the shell's PID. The script reaches the shell
 * through a pipe from the `printf` builtin, opened as `/dev/fd/4` (a here-document would need a
 * temp file on older bash).
 */
const POSIX_WRAPPER = [
  'exec 3<&0',
  'eval "$(head -c "$1")" || exit 125',
  // Never run an empty script as if it were ours: a host without `head -c` must fail loudly.
  `[ -n "\${${SCRIPT_VAR}+x}" ] || ${NO_SCRIPT}`,
  'shift',
  'g= k=',
  'read -r _ _ _ _ pg _ 2>/dev/null </proc/$$/stat',
  'if [ "$pg" = "$$" ]; then k=0; elif command -v setsid >/dev/null 2>&1; then g=setsid; fi',
  // Named only when it is our own group: under setsid, its id is known once the step may be writing.
  `if [ "$k" = 0 ]; then ${ANNOUNCE} $$; else ${ANNOUNCE} -; fi >&2`,
  // The script reaches the shell as the file /dev/fd/4 (a pipe), and the shell's stdin is
  // /dev/null: a command in the script that reads stdin (cat, ssh, read) must not eat the script.
  `printf "%s" "$${SCRIPT_VAR}" | $g "$@" /dev/fd/4 4<&0 </dev/null 3<&- &`,
  'p=$!',
  'if [ -n "$g" ]; then k=-$p; fi',
  ': "${k:=$p}"',
  '( while read -r _; do :; done; trap "" TERM; kill -s TERM -- "$k"; ' +
    `sleep ${REMOTE_KILL_GRACE_S}; kill -s KILL -- "$k" ) <&3 >/dev/null 2>&1 &`,
  'w=$!',
  'exec 3<&-',
  'wait "$p"; r=$?',
  'kill "$w" 2>/dev/null',
  'exit "$r"',
].join('\n');

/**
 * POSIX_WRAPPER with `stdin`: no lifeline; what follows the payload is the shell's stdin. `head -c`
 * must then read exactly the payload (GNU coreutils does; BusyBox's reads ahead), so the default
 * shell, which reads it with bash's `read -N`, is the one to use with `stdin`.
 */
const POSIX_STDIN_WRAPPER = [
  'eval "$(head -c "$1")" || exit 125',
  `[ -n "\${${SCRIPT_VAR}+x}" ] || ${NO_SCRIPT}`,
  'shift',
  'read -r _ _ _ _ pg _ 2>/dev/null </proc/$$/stat',
  `if [ "$pg" = "$$" ]; then ${ANNOUNCE} $$; else ${ANNOUNCE} -; fi >&2`,
  'exec 5<&0',
  `printf "%s" "$${SCRIPT_VAR}" | "$@" /dev/fd/4 4<&0 <&5 5<&-`,
].join('\n');

/**
 * `$0` of the inline wrapper, hence of the step's shell: bash's messages start `step: line N:`.
 * (With `$0` = `bash`, bash 5.2 leaves the line number out of its messages.)
 */
const INLINE_ARGV0 = 'step';

/**
 * bash, no single quotes, all on line 1: eval'd code counts its lines from the eval's line, so
 * LINENO and `line N:` in messages are the script's own. `$1` is the payload length.
 */
/** Not a group leader (not under sshd): run again as one, or the watchdog could signal our caller. */
const INLINE_LEADER =
  'kill -0 -- -$$ 2>/dev/null || ! command -v setsid >/dev/null ||' +
  ' exec setsid "$BASH" --noprofile --norc -c "$BASH_EXECUTION_STRING" "$0" "$@"';

/** The inline wrapper's payload read and evaluation, and the group announcement. */
const INLINE_HEAD = [
  // read -N counts characters: in the C locale those are bytes. bash < 4.1 has no -N: head -c.
  // TMOUT (say, from pam_env) would make read give up early. Reading from stdin itself (not a copy
  // of it) matters with `stdin`: what follows the payload is the script's input, byte for byte.
  '{ TMOUT= LC_ALL=C read -r -N "$1" __bw_p 2>/dev/null || __bw_p=$(head -c "$1"); }' +
    ` && eval "$__bw_p" && [ -n "\${${SCRIPT_VAR}+x}" ] || ${NO_SCRIPT}`,
  'shift; unset __bw_p BASH_EXECUTION_STRING',
  `{ kill -0 -- -$$ 2>/dev/null && ${ANNOUNCE} $$ || ${ANNOUNCE} -; } >&2`,
];

/** The inline wrapper's last lines: the step's shell options, then the script. */
const INLINE_TAIL = [
  'set -eo pipefail',
  // Unset by the script's own first command, on its line 1, so it is not among its variables.
  `eval "unset ${SCRIPT_VAR}; $${SCRIPT_VAR}"`,
];

const INLINE_WRAPPER = [
  INLINE_LEADER,
  'exec 3<&0',
  ...INLINE_HEAD,
  // The watchdog, forked off twice so the step's shell has no child it did not start (`wait`,
  // `jobs`, `$!`, a program it execs). On EOF it acts only while the step's shell lives: after a
  // normal exit sshd reaps the shell first and only then closes the lifeline. (/proc: a shell that
  // exec'd `sudo …` lives on but is no longer ours to signal.)
  '( ( unset TMOUT; while read -r _; do :; done; kill -0 $$ 2>/dev/null || [ -d /proc/$$ ] || exit;' +
    ' trap "" TERM;' +
    ' k=-$$; kill -0 -- "$k" || k=$$; kill -s TERM -- "$k";' +
    ` sleep ${REMOTE_KILL_GRACE_S}; kill -s KILL -- "$k" ) <&3 >/dev/null 2>&1 & )`,
  'exec 3<&- </dev/null',
  ...INLINE_TAIL,
].join('; ');

/**
 * With `stdin`: the same, minus the lifeline. Whatever follows the payload is the script's stdin;
 * a timeout or cancel ends it and reaches the group from a second channel (groupKillCommand).
 */
const INLINE_STDIN_WRAPPER = [INLINE_LEADER, ...INLINE_HEAD, ...INLINE_TAIL].join('; ');

/**
 * Names bash gives a meaning to, whose `export` in the running wrapper is not what a new bash
 * makes of them in its environment (readonly UID, IFS reset, BASH_ENV read at startup, …). Not
 * here: PATH, HOME, SHELL, TMPDIR and the locale, which behave the same either way. `__bw_` are
 * the wrapper's own.
 */
const BASH_SPECIAL = new RegExp(
  '^(?:BASH\\w*|COMP_\\w+|READLINE_\\w+|HIST\\w+|histchars|__bw_\\w*|_|CDPATH|CHILD_MAX|COLUMNS|' +
    'COMPREPLY|COPROC|DIRSTACK|EMACS|ENV|EPOCHREALTIME|EPOCHSECONDS|EUID|EXECIGNORE|FCEDIT|' +
    'FIGNORE|FUNCNAME|FUNCNEST|GLOBIGNORE|GLOBSORT|GROUPS|HOSTFILE|HOSTNAME|HOSTTYPE|IFS|' +
    'IGNOREEOF|INPUTRC|INSIDE_EMACS|LINENO|LINES|MACHTYPE|MAIL|MAILCHECK|MAILPATH|MAPFILE|' +
    'OLDPWD|OPTARG|OPTERR|OPTIND|OSTYPE|PIPESTATUS|POSIXLY_CORRECT|PPID|PROMPT_COMMAND|' +
    'PROMPT_DIRTRIM|PS[0-4]|PWD|RANDOM|REPLY|SECONDS|SHELLOPTS|SHLVL|SRANDOM|TIMEFORMAT|TMOUT|UID)$',
);

/** Single-quote for POSIX sh: the only special character inside '…' is ' itself. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `export NAME='value'` lines, in the order given. Throws (naming the variable, never the value) on bad input. */
export function exportStatements(env: Readonly<Record<string, string>>): string {
  let out = '';
  for (const [name, value] of Object.entries(env)) {
    if (!VAR_NAME.test(name)) throw new TypeError(`invalid variable name ${JSON.stringify(name)}`);
    if (value.includes('\0'))
      throw new TypeError(`variable ${name} contains a NUL byte, which no environment can hold`);
    out += `export ${name}=${shellQuote(value)}\n`;
  }
  return out;
}

/** What goes to the channel's stdin first: the exports, then the script (newline-terminated). */
export function remotePayload(script: string, env: Readonly<Record<string, string>>): Buffer {
  const text = script.endsWith('\n') ? script : `${script}\n`;
  return Buffer.from(`${exportStatements(env)}${SCRIPT_VAR}=${shellQuote(text)}\n`, 'utf8');
}

/** `exec /bin/sh -c '<wrapper>' bw LEN 'shell' 'args'…`: the shell runs the script as /dev/fd/4. */
export function posixWrapperCommand(payloadBytes: number, shell: readonly string[], stdin = false): string {
  if (shell.length === 0) throw new TypeError('shell must name a program');
  // /bin/sh, whatever the login shell is; `bw` becomes $0 of the wrapper.
  const wrapper = stdin ? POSIX_STDIN_WRAPPER : POSIX_WRAPPER;
  const argv = ['/bin/sh', '-c', shellQuote(wrapper), 'bw', String(payloadBytes)];
  return ['exec', ...argv, ...shell.map(shellQuote)].join(' ');
}

/** `exec bash --noprofile --norc -c '<wrapper>' step LEN`: that bash runs the script itself. */
export function inlineWrapperCommand(payloadBytes: number, stdin = false): string {
  const wrapper = stdin ? INLINE_STDIN_WRAPPER : INLINE_WRAPPER;
  return `exec bash --noprofile --norc -c ${shellQuote(wrapper)} ${INLINE_ARGV0} ${payloadBytes}`;
}

/** Whether the step takes the inline wrapper: the default shell, no NUL byte, no variable bash gives a meaning to. */
export function runsInline(
  script: string,
  shell: readonly string[],
  env: Readonly<Record<string, string>>,
): boolean {
  return (
    shell.length === DEFAULT_SHELL.length &&
    shell.every((arg, i) => arg === DEFAULT_SHELL[i]) &&
    !script.includes('\0') &&
    !Object.keys(env).some((name) => BASH_SPECIAL.test(name))
  );
}

/**
 * What a line of stderr announces: the group (a number), no group (null), or nothing (undefined:
 * an ordinary line).
 */
export function parseGroupAnnouncement(line: string): number | null | undefined {
  if (!line.startsWith(GROUP_ANNOUNCEMENT)) return undefined;
  const rest = line.slice(GROUP_ANNOUNCEMENT.length);
  if (rest === '-') return null;
  return /^[1-9][0-9]{0,9}$/.test(rest) ? Number(rest) : undefined;
}

/**
 * Ends a step's process group from a second channel: TERM now, KILL after the grace, like the
 * watchdog. The KILL runs in the background with no tie to the channel, so the channel closes at
 * once and the grace runs out on the host even if our connection is gone by then.
 */
export function groupKillCommand(group: number): string {
  if (!Number.isSafeInteger(group) || group <= 1) throw new TypeError(`invalid process group ${group}`);
  const script =
    `kill -s TERM -- -${group} 2>/dev/null; ` +
    `( sleep ${REMOTE_KILL_GRACE_S}; kill -s KILL -- -${group} ) </dev/null >/dev/null 2>&1 &`;
  return `exec /bin/sh -c ${shellQuote(script)}`;
}

export interface RemoteCommand {
  /** The exec request's command: contains no variable value and no script text. */
  readonly command: string;
  /**
   * Written to the channel's stdin, which then stays open as the lifeline — or, with `withStdin`,
   * carries the script's input next.
   */
  readonly stdin: Buffer;
}

/** `withStdin`: the channel's stdin after the payload is the script's input (no lifeline). */
export function buildRemoteCommand(
  script: string,
  shell: readonly string[],
  env: Readonly<Record<string, string>>,
  withStdin = false,
): RemoteCommand {
  if (shell.length === 0) throw new TypeError('shell must name a program');
  const stdin = remotePayload(script, env);
  const command = runsInline(script, shell, env)
    ? inlineWrapperCommand(stdin.length, withStdin)
    : posixWrapperCommand(stdin.length, shell, withStdin);
  return { command, stdin };
}
