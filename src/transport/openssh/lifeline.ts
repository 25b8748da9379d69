/**
 * The OpenSSH client's processes must not outlive the process that started them, even when it is
 * killed outright (SIGKILL, the OOM killer: no `exit` event, no cleanup). An `ssh -M -N` master in
 * the foreground with its stdin closed would live on, logged in, holding a connection to its host.
 *
 * The lifeline: one small `sh` per process, started on first use, reads lines from a pipe of ours.
 * We tell it each process we start (`+PID`) and end (`-PID`), and each directory to remove
 * (`dDIR`, `fDIR` to forget it). When the pipe closes — we exited, however — it sends SIGTERM to
 * every process still listed, SIGKILL to any left after about 2 s, and removes the directories.
 * POSIX sh only, so it works on Linux and macOS alike; in its own process group, ignoring SIGINT
 * and SIGHUP, so a Ctrl-C or a closed terminal does not end it before us. Node never waits for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';

const SCRIPT = `trap '' INT HUP
pids=' '
dirs=''
nl='
'
while IFS= read -r line; do
  case $line in
    +*) pids="$pids\${line#+} " ;;
    -*) keep=' '
        for p in $pids; do [ "$p" = "\${line#-}" ] || keep="$keep$p "; done
        pids=$keep ;;
    d*) dirs="$dirs\${line#d}$nl" ;;
    f*) keep=''
        IFS=$nl
        for d in $dirs; do [ "$d" = "\${line#f}" ] || keep="$keep$d$nl"; done
        unset IFS
        dirs=$keep ;;
  esac
done
if [ "$pids" != ' ' ]; then
  kill -TERM $pids 2>/dev/null
  n=0
  while [ $n -lt 20 ]; do
    alive=''
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && break
    sleep 0.1 2>/dev/null || sleep 1
    n=$((n + 1))
  done
  [ -n "$alive" ] && kill -KILL $alive 2>/dev/null
fi
IFS=$nl
for d in $dirs; do rm -rf -- "$d"; done
`;

let pipe: Writable | undefined;
let broken = false;

function lifeline(): Writable | undefined {
  if (pipe || broken) return pipe;
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  } catch {
    broken = true;
    return undefined;
  }
  child.on('error', () => (broken = true));
  child.unref();
  const stdin = child.stdin!;
  stdin.on('error', () => (broken = true));
  // The pipe must not keep the event loop alive: the lifeline ends when we do, not the other way.
  (stdin as Writable & { unref?: () => void }).unref?.();
  pipe = stdin;
  return pipe;
}

function send(line: string): void {
  if (line.includes('\n')) return;
  const out = lifeline();
  if (out && !broken) out.write(`${line}\n`);
}

/** `child` is ended by the lifeline should this process die first; forgotten once it exits. */
export function tieToLifeline(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  send(`+${pid}`);
  child.once('exit', () => send(`-${pid}`));
}

/** `dir` is removed by the lifeline should this process die first, unless `untieDir` is called. */
export function tieDirToLifeline(dir: string): void {
  send(`d${dir}`);
}

export function untieDir(dir: string): void {
  send(`f${dir}`);
}
