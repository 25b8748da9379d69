/**
 * An `ssh` session process as an exec channel (src/transport/remote/exec.ts runs commands on either): its stdout
 * is the duplex's readable side, its stdin the writable side, its stderr beside. On exit, a status
 * other than 255 is the command's; 255 is the command's too unless `ssh` wrote about the
 * connection (then no `exit` is emitted and `failure` says why: a lost connection).
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { Duplex, type Readable } from 'node:stream';
import type { ExecChannel } from '../remote/exec.js';
import { sessionFailure } from './openssh-errors.js';

/** Keep this much of stderr's end for classifying an exit 255. */
const STDERR_TAIL = 4096;

export class ProcessChannel extends Duplex implements ExecChannel {
  readonly stderr: Readable;
  #failure: Error | null = null;
  #stderrTail = '';

  constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    label: string,
    masterAlive: () => boolean,
  ) {
    // `close` is ours alone: after the process has exited (a stream's own would come too early).
    super({ allowHalfOpen: true, autoDestroy: false, emitClose: false });
    this.stderr = child.stderr;
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stdout.once('end', () => this.push(null));
    // A command that stops reading (or exits) before its input is all sent: not our error.
    child.stdin.on('error', () => {});
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (code === 255) {
        const lastLines = this.#stderrTail.split('\n').slice(-4).join('\n');
        this.#failure = sessionFailure(label, lastLines);
        if (!this.#failure && !masterAlive())
          this.#failure = sessionFailure(label, 'Connection to the host closed (its master is gone)');
      }
      if (!this.#failure && signal === null) this.emit('exit', code, undefined);
      this.emit('close');
    });
    child.once('error', (err) => {
      this.#failure = err;
      this.emit('close');
    });
  }

  /** Why the session ended without a status of the command's (null: it has one, or has not ended). */
  get failure(): Error | null {
    return this.#failure;
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.child.stdin.destroyed) return callback();
    this.child.stdin.write(chunk, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.child.stdin.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    callback(error);
  }
}
