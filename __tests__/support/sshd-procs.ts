/**
 * Process-tree helpers for the sshd harness (Linux /proc). Faults are injected into exactly the
 * processes a test's sshd started, found by parent pid, never by name.
 */
import { readdirSync, readFileSync } from 'node:fs';

interface ProcEntry {
  pid: number;
  ppid: number;
  comm: string;
}

function readProcs(): ProcEntry[] {
  const procs: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid …"; comm may hold spaces or parentheses, so split at the last ")".
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      procs.push({
        pid: Number(name),
        ppid: Number(fields[1]),
        comm: stat.slice(stat.indexOf('(') + 1, close),
      });
    } catch {
      // exited while we looked
    }
  }
  return procs;
}

/** Every live descendant of `root` (level by level), not `root` itself; `comm` filters by process name. */
export function descendants(root: number, comm?: string): number[] {
  const procs = readProcs();
  const out: ProcEntry[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next = procs.filter((p) => frontier.includes(p.ppid));
    out.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return out.filter((p) => comm === undefined || p.comm === comm).map((p) => p.pid);
}

/** Direct children of `parent`. */
export function children(parent: number): number[] {
  return readProcs()
    .filter((p) => p.ppid === parent)
    .map((p) => p.pid);
}

/** Send `signal` to each pid, ignoring ones that already exited. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Alive and not a zombie (an orphan's zombie lingers until its new parent reaps it). Only "no such
 * process" means ended: any other error is thrown, so a check that cannot look never reads as "gone".
 */
export function isRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return false;
    throw err;
  }
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}
