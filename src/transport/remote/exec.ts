/**
 * Runs one command over an exec channel: output streamed line by line (bounded memory), exit code
 * and signal recorded, and on timeout/cancel the remote process group terminated through the
 * wrapper's stdin lifeline (see remote-command.ts) or, once the command's shell has exited,
 * through a second channel. A channel that closes without an exit status is a lost connection,
 * never a success.
 */
import type { ExecResult } from '../../contract/transport.js';
import { abortReason } from '../../contract/abort.js';
import { ConnectionLostError } from '../../contract/errors.js';
import { LineSplitter, type OutputRedactor } from '../line-splitter.js';
import type { Duplex, Readable } from 'node:stream';
import {
  buildRemoteCommand,
  groupKillCommand,
  parseGroupAnnouncement,
  REMOTE_KILL_GRACE_S,
} from './remote-command.js';
import type { ExecRequest, TransportCallContext } from '../../contract/transport.js';

/**
 * After an abort, how long we wait for the channel to close (the command's group got TERM, and KILL
 * after the grace) before giving up on it. Bounded so a cancelled run still exits promptly.
 */
export const ABORT_WAIT_MS = (REMOTE_KILL_GRACE_S + 1) * 1000;

/**
 * When the shell exits after an abort, it may have done so before our EOF reached the watchdog (which
 * then stood down): if the channel is still open this much later, something of the group holds it.
 */
const LATE_EXIT_WAIT_MS = 250;

/**
 * What a command runs on: an exec channel's streams (stdout on the duplex itself, `stderr` beside
 * it; writing is the command's stdin), `exit` (code, signal) before `close` when the command
 * reported a status. An ssh2 channel is one; so is an OpenSSH client process (openssh/).
 */
export interface ExecChannel extends Duplex {
  readonly stderr: Readable;
}

/** Where channels come from: an ssh2 connection, or an OpenSSH master. */
export interface ExecConnection {
  readonly label: string;
  /** Why the connection (or the channel) failed, when a channel ended without a status. */
  readonly lostError: Error | null;
  exec(command: string, signal: AbortSignal): Promise<ExecChannel>;
  /** Runs `command` on a channel of its own, output dropped, nothing waiting for it. */
  runDetached(command: string): void;
}

export async function execOnConnection(
  conn: ExecConnection,
  req: ExecRequest,
  ctx: TransportCallContext,
  redactor?: OutputRedactor,
): Promise<ExecResult> {
  ctx.signal.throwIfAborted();
  const started = Date.now();
  const input = req.stdin;
  const { command, stdin } = buildRemoteCommand(req.script, req.shell, req.env, input !== undefined);
  const channel = await conn.exec(command, ctx.signal);
  return new Promise<ExecResult>((resolve, reject) => {
    const settled: Settle = {
      resolve: (exit) =>
        resolve({ exitCode: exit.code, signal: exit.signal, durationMs: Date.now() - started }),
      reject,
    };
    new ChannelRun(conn, channel, ctx, input, redactor, settled).start(stdin);
  });
}

interface ChannelExit {
  code: number | null;
  signal: string | null;
}

interface Settle {
  resolve(exit: ChannelExit): void;
  reject(error: unknown): void;
}

/** One command on one channel, from its payload to its settled result. */
class ChannelRun {
  // The wrapper's process group, from the first line it writes on stderr (undefined: not yet).
  #group: number | null | undefined;
  #exit: ChannelExit | null = null;
  #abortTimer: NodeJS.Timeout | undefined;
  #lateExitTimer: NodeJS.Timeout | undefined;
  #groupKilled = false;
  // Settle only when the channel is closed AND both streams delivered their last bytes.
  #pending = 3;
  #settled = false;
  readonly #out: LineSplitter;
  readonly #err: LineSplitter;

  constructor(
    private readonly conn: ExecConnection,
    private readonly channel: ExecChannel,
    private readonly ctx: TransportCallContext,
    private readonly input: Readable | undefined,
    redactor: OutputRedactor | undefined,
    private readonly settled: Settle,
  ) {
    this.#out = new LineSplitter('stdout', ctx.onOutput, { redactor });
    this.#err = new LineSplitter('stderr', ctx.onOutput, { redactor, control: this.#announcement });
  }

  /** Listens to the channel, then writes the payload (`stdin`: the lifeline stays open). */
  start(payload: Buffer): void {
    const { channel, input, ctx } = this;
    channel.on('data', (chunk: Buffer) => this.#out.write(chunk));
    channel.stderr.on('data', (chunk: Buffer) => this.#err.write(chunk));
    channel.once('end', this.#finish);
    channel.stderr.once('end', this.#finish);
    channel.once('close', this.#finish);
    // A command that exits before reading all its input: stop feeding a closed channel.
    if (input) channel.once('close', () => input.unpipe(channel));
    channel.on('exit', (code: number | null, signal?: string) => {
      this.#exit = { code: code ?? null, signal: signal ?? null };
      if (ctx.signal.aborted) this.#lateExitTimer = setTimeout(this.#killGroup, LATE_EXIT_WAIT_MS);
    });
    channel.on('error', () => {
      // Channel errors surface as a close without exit status; the connection error says why.
    });
    ctx.signal.addEventListener('abort', this.#onAbort, { once: true });
    // Not ended: stdin stays open as the lifeline until the command exits or we abort.
    channel.write(payload);
    // With `stdin`, its data follows the payload, and its end is the command's EOF.
    if (input && !ctx.signal.aborted) input.pipe(channel);
    if (ctx.signal.aborted) this.#onAbort();
  }

  readonly #announcement = (line: string): boolean => {
    if (this.#group !== undefined) return false;
    this.#group = parseGroupAnnouncement(line);
    // Aborted before the group was known: with `stdin` nothing else ends the command.
    if (this.#group !== undefined && this.input && this.ctx.signal.aborted) queueMicrotask(this.#killGroup);
    return this.#group !== undefined;
  };

  readonly #finish = (): void => {
    if (--this.#pending > 0 || this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#abortTimer);
    clearTimeout(this.#lateExitTimer);
    this.ctx.signal.removeEventListener('abort', this.#onAbort);
    this.#out.end();
    this.#err.end();
    if (this.ctx.signal.aborted) return this.settled.reject(abortReason(this.ctx.signal));
    if (!this.#exit) {
      return this.settled.reject(
        this.conn.lostError ??
          new ConnectionLostError(
            `${this.conn.label}: connection lost: the command ended without an exit status`,
          ),
      );
    }
    this.settled.resolve(this.#exit);
  };

  // The shell has exited and sshd closed the lifeline with it, yet the channel is open: a child
  // in the group holds the output. No watchdog is left on the host, so the group is ended from
  // a second channel.
  readonly #killGroup = (): void => {
    if (this.#settled || this.#groupKilled || typeof this.#group !== 'number') return;
    this.#groupKilled = true;
    this.conn.runDetached(groupKillCommand(this.#group));
  };

  readonly #onAbort = (): void => {
    const { channel, input } = this;
    // EOF on stdin cuts the lifeline: the remote watchdog terminates the command's process group.
    // With `stdin` there is no watchdog: the group is ended from a second channel at once.
    input?.unpipe(channel);
    channel.end();
    if (this.#exit || input) this.#killGroup();
    this.#abortTimer = setTimeout(() => {
      // The host does not answer (connection hung): stop waiting; sshd kills the group when
      // the connection finally drops, since that closes the lifeline too.
      channel.removeAllListeners('data');
      channel.stderr.removeAllListeners('data');
      this.#pending = 1;
      this.#finish();
      channel.destroy();
    }, ABORT_WAIT_MS);
  };
}
