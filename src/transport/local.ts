import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { Host } from '../contract/host.js';
import type { ExecResult, UploadResult } from '../contract/transport.js';
import { abortReason } from '../contract/abort.js';
import { LineSplitter, type OutputRedactor } from './line-splitter.js';
import { copyLocal } from './local-upload.js';
import { ArchiveCache } from './upload/archive-cache.js';
import { tarUpload } from './upload/tar-upload.js';
import type { ExecRequest, Transport, TransportCallContext, UploadRequest } from '../contract/transport.js';

/**
 * The shell runs the script as the file /dev/fd/4 with stdin at /dev/null, exactly as on SSH hosts,
 * so a command that reads stdin (cat, ssh, read) cannot swallow the rest of the script. `cat`
 * turns Node's stdin socket into a real pipe: Linux cannot open a socket through /dev/fd.
 */
const SCRIPT_ON_FD4 = 'cat | "$@" /dev/fd/4 4<&0 </dev/null';

/** With `stdin`: the script arrives on fd 3 instead, and stdin is the shell's input. */
const SCRIPT_ON_FD4_WITH_STDIN = 'exec 5<&0; cat <&3 3<&- | "$@" /dev/fd/4 4<&0 <&5 5<&-';

/** Grace between SIGTERM and SIGKILL for a timed-out or cancelled command's process group. */
export const KILL_GRACE_MS = 2000;

/**
 * Runs commands on this machine: `local:NAME` hosts and `local` steps. The shell runs the script
 * from /dev/fd/4 with an empty stdin; variables arrive as environment, never as text. Each command gets its own
 * process group so a timeout or cancel terminates everything it started.
 */
export class LocalTransport implements Transport {
  readonly #running = new Set<number>();
  readonly #archives = new ArchiveCache();

  /** `redactor`: removes secrets from the output before it is split into lines (see LineSplitter). */
  constructor(
    private readonly baseEnv: NodeJS.ProcessEnv = process.env,
    private readonly redactor?: OutputRedactor,
  ) {}

  exec(_host: Host, req: ExecRequest, ctx: TransportCallContext): Promise<ExecResult> {
    ctx.signal.throwIfAborted();
    const started = Date.now();
    if (req.shell.length === 0) throw new TypeError('shell must name a program');
    const input = req.stdin;
    const wrapper = input ? SCRIPT_ON_FD4_WITH_STDIN : SCRIPT_ON_FD4;
    const child = spawn('/bin/sh', ['-c', wrapper, 'bw', ...req.shell], {
      env: { ...this.baseEnv, ...req.env },
      stdio: input ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const pid = child.pid;
    if (pid !== undefined) this.#running.add(pid);
    const out = new LineSplitter('stdout', ctx.onOutput, { redactor: this.redactor });
    const err = new LineSplitter('stderr', ctx.onOutput, { redactor: this.redactor });
    child.stdout.on('data', (c: Buffer) => out.write(c));
    child.stderr.on('data', (c: Buffer) => err.write(c));
    const text = req.script.endsWith('\n') ? req.script : `${req.script}\n`;
    child.stdin.on('error', () => {}); // the shell may exit before reading all of the script (or input)
    if (input) {
      const scriptPipe = child.stdio[3] as Writable;
      scriptPipe.on('error', () => {});
      scriptPipe.end(text);
      input.pipe(child.stdin);
      child.once('close', () => input.unpipe(child.stdin));
    } else {
      child.stdin.end(text);
    }

    return new Promise<ExecResult>((resolve, reject) => {
      let killTimer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        input?.unpipe(child.stdin);
        child.stdin.end();
        terminateGroup(pid, 'SIGTERM');
        killTimer = setTimeout(() => terminateGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
        killTimer.unref();
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      child.on('error', (e) => {
        ctx.signal.removeEventListener('abort', onAbort);
        reject(e);
      });
      // 'close' waits for stdio to end, so every line is emitted before the result.
      child.on('close', (code, signal) => {
        ctx.signal.removeEventListener('abort', onAbort);
        if (pid !== undefined) this.#running.delete(pid);
        out.end();
        err.end();
        if (ctx.signal.aborted) {
          // Leftovers of the group (a background child holding no stdio) get the KILL now.
          clearTimeout(killTimer);
          terminateGroup(pid, 'SIGKILL');
          reject(abortReason(ctx.signal));
          return;
        }
        resolve({ exitCode: code, signal: signal ?? null, durationMs: Date.now() - started });
      });
    });
  }

  /** The same tar stream as over SSH, into a local shell; a plain copy where there is no `tar`. */
  async upload(host: Host, req: UploadRequest, ctx: TransportCallContext): Promise<UploadResult> {
    const outcome = await tarUpload(this.exec.bind(this), this.#archives, host, host.name, req, ctx);
    if (outcome !== 'no-tar') return outcome;
    ctx.onOutput('stderr', `${host.name}: no tar on this machine's PATH: copying the files instead`);
    return copyLocal(req.from, req.to, ctx.signal);
  }

  async close(): Promise<void> {
    this.#archives.close();
    for (const pid of this.#running) terminateGroup(pid, 'SIGKILL');
    this.#running.clear();
  }
}

function terminateGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
