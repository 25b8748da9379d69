/**
 * One error class per kind of failure. Classify once (here), decide retries from the class.
 * Every message that concerns a host names it as `user@host:port`.
 */
export type ErrorKind =
  | 'usage'
  | 'config'
  | 'connect'
  | 'auth'
  | 'host-key'
  | 'exit'
  | 'timeout'
  | 'connection-lost'
  | 'cancelled'
  | 'job'
  | 'upload';

export abstract class BoereworsError extends Error {
  abstract readonly kind: ErrorKind;
  /** Whether another attempt of the job may help. */
  abstract readonly retryable: boolean;
  override get name(): string {
    return this.constructor.name;
  }
}

/** Bad command line or action input. Exit code 2. */
export class UsageError extends BoereworsError {
  readonly kind = 'usage';
  readonly retryable = false;
}

/** Bad release config; the message starts with `file:line:col: path:` when a position is known. */
export class ConfigError extends BoereworsError {
  readonly kind = 'config';
  readonly retryable = false;
}

/** TCP/DNS/handshake failures: refused, timeout, unreachable. Transient. */
export class ConnectError extends BoereworsError {
  readonly kind = 'connect';
  readonly retryable = true;
}

/** The server rejected our credentials, or the key could not be used. Never retried. */
export class AuthError extends BoereworsError {
  readonly kind = 'auth';
  readonly retryable = false;
}

/** Host key unknown, mismatched or revoked. Fails closed, never retried. */
export class HostKeyError extends BoereworsError {
  readonly kind = 'host-key';
  readonly retryable = false;
}

/**
 * An upload failed on the host (permission, disk full, not a directory, refused path…); the
 * message names the host. Retried only through the stage's `retries`, like a failed command.
 */
export class UploadError extends BoereworsError {
  readonly kind = 'upload';
  readonly retryable = true;
}

/** A command exited non-zero (or died of a signal). Retried only through the stage's `retries`. */
export class CommandExitError extends BoereworsError {
  readonly kind = 'exit';
  readonly retryable = true;
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly signal: string | null = null,
  ) {
    super(message);
  }
}

/** An attempt ran past its `timeout`. */
export class TimeoutError extends BoereworsError {
  readonly kind = 'timeout';
  readonly retryable = true;
}

/** The connection died under a running command (no exit status), or keepalive detected a dead peer. */
export class ConnectionLostError extends BoereworsError {
  readonly kind = 'connection-lost';
  readonly retryable = true;
}

/** The run was cancelled (SIGINT/SIGTERM or an aborted signal). */
export class CancelledError extends BoereworsError {
  readonly kind = 'cancelled';
  readonly retryable = false;
}

/** A job ended with `Err(reason)`, or a nested job failed. */
export class JobFailedError extends BoereworsError {
  readonly kind = 'job';
  readonly retryable = true;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
