/**
 * What an exec channel runs on the host, built without I/O so it is tested by exact strings.
 *
 * The exec request carries only a fixed wrapper and the shell argv (both harmless in `ps`). The
 * variables and the script travel on the channel's stdin as one payload of quoted assignments,
 * which the wrapper `eval`s: values are data, never code, and never appear in any argv.
 *
 * Termination on a stock sshd: OpenSSH ignores "signal" channel requests for most logins, and
 * closing a channel without a pty kills nothing. So the wrapper
 *   1. reads exactly the payload's byte length from stdin and evaluates it (exports + script text),
 *   2. starts the step's shell on the script (as the file /dev/fd/4, stdin /dev/null) in the
 *      background, in a process group of its own:
 *      sshd starts every command in a new session, so the wrapper's group already is one (checked
 *      in /proc; where that is not confirmed, the shell is started under `setsid` instead),
 *   3. keeps stdin open as a lifeline: a watchdog blocks reading it, and when it reaches EOF before
 *      the command ended (we sent EOF on timeout/cancel, or the connection died and sshd closed
 *      the pipe) it sends TERM to the whole group, then KILL after a grace period,
 *   4. exits with the command's status (and stops the watchdog) when the command ends by itself.
 * Background processes a successful command left behind (`nohup … &`) are not touched; processes
 * that leave the group themselves (`setsid`, daemons) are out of reach, as with any process group.
 */

/** Seconds between TERM and KILL of a timed-out or cancelled command's process group. */
export const REMOTE_KILL_GRACE_S = 2;

/** Shell variable the payload assigns the script to; not exported, so the command never sees it. */
const SCRIPT_VAR = '__bw_script';

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * POSIX sh, no single quotes (it is itself single-quoted below). `$1` is the payload length; the
 * rest is the shell argv. `k` is what the watchdog signals: 0 (our own group), -PID (the group
 * `setsid` made) or, with neither available, just the shell's PID. The script reaches the shell
 * through a pipe from the `printf` builtin, opened as `/dev/fd/4` (a here-document would need a
 * temp file on older bash).
 */
const WRAPPER = [
  'exec 3<&0',
  'eval "$(head -c "$1")" || exit 125',
  // Never run an empty script as if it were ours: a host without `head -c` must fail loudly.
  '[ -n "${' +
    SCRIPT_VAR +
    '+x}" ] || { echo "boerewors: could not read the script from stdin" >&2; exit 125; }',
  'shift',
  'g= k=',
  'read -r _ _ _ _ pg _ 2>/dev/null </proc/$$/stat',
  'if [ "$pg" = "$$" ]; then k=0; elif command -v setsid >/dev/null 2>&1; then g=setsid; fi',
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

export interface RemoteCommand {
  /** The exec request's command: contains no variable value and no script text. */
  readonly command: string;
  /** Written to the channel's stdin, which then stays open as the lifeline. */
  readonly stdin: Buffer;
}

export function buildRemoteCommand(
  script: string,
  shell: readonly string[],
  env: Readonly<Record<string, string>>,
): RemoteCommand {
  if (shell.length === 0) throw new TypeError('shell must name a program');
  const text = script.endsWith('\n') ? script : `${script}\n`;
  const stdin = Buffer.from(`${exportStatements(env)}${SCRIPT_VAR}=${shellQuote(text)}\n`, 'utf8');
  // /bin/sh, whatever the login shell is; `bw` becomes $0 of the wrapper.
  const command = [
    'exec',
    '/bin/sh',
    '-c',
    shellQuote(WRAPPER),
    'bw',
    String(stdin.length),
    ...shell.map(shellQuote),
  ];
  return { command: command.join(' '), stdin };
}
