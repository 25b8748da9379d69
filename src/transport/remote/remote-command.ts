/**
 * What an exec channel runs on the host, built without I/O so it is tested by exact strings: a
 * fixed wrapper that reads the variables and the script from stdin (never from an argv), runs the
 * script in a process group of its own, and keeps stdin open as the lifeline whose EOF terminates
 * that group. Why and how, wrapper by wrapper: docs/ssh.md ("What a `run` step executes", "How the
 * two wrappers work").
 */
import { DEFAULT_SHELL, VAR_NAME } from '../../contract/transport.js';

/** Seconds between TERM and KILL of a timed-out or cancelled command's process group. */
export const REMOTE_KILL_GRACE_S = 2;

/** Shell variable the payload assigns the script to; not exported, so the command never sees it. */
const SCRIPT_VAR = '__bw_script';

const NO_SCRIPT = '{ echo "boerewors: could not read the script from stdin" >&2; exit 125; }';

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
