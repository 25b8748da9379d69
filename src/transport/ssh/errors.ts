/**
 * Turns what ssh2 and the socket report into our error classes, once, so retry decisions are made
 * from the class. Messages name `user@host:port` and say what happened in plain words; ssh2's own
 * text is appended only where it carries protocol detail (it never contains key material).
 */
import { AuthError, ConnectError, ConnectionLostError, type BoereworsError } from '../../contract/errors.js';

export interface ConnectErrorContext {
  /** `user@host:port`. */
  readonly label: string;
  /** The name we tried to resolve (for DNS errors). */
  readonly address: string;
  /** The whole connect budget, for "within 10s" messages. */
  readonly timeoutMs: number;
  /** Whether the TCP connection was established before the failure. */
  readonly tcpConnected: boolean;
  /** Where the credentials came from (`private key file …`, `ssh-agent at …`). */
  readonly authSource: string;
}

export interface ClassifiedConnectError {
  readonly error: BoereworsError;
  /** Worth another try within the same connect budget (refused, reset, temporary DNS failure). */
  readonly transient: boolean;
}

interface Ssh2Error extends Error {
  code?: string;
  level?: string;
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

const SOCKET_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is sshd running and listening on that port?)',
  ECONNRESET: 'connection reset by the server during the handshake',
  EPIPE: 'connection closed by the server during the handshake',
  ETIMEDOUT: 'TCP connect timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
};

const LOST_WORDS: Record<string, string> = {
  ECONNRESET: 'reset by the server (sshd restarted or killed?)',
  EPIPE: 'closed by the server',
  ETIMEDOUT: 'TCP timeout',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

export function classifyConnectError(err: unknown, ctx: ConnectErrorContext): ClassifiedConnectError {
  const e = (err instanceof Error ? err : new Error(String(err))) as Ssh2Error;
  const code = e.code ?? /\b(E[A-Z]{4,})\b/.exec(e.message)?.[1];
  if (e.level === 'client-authentication') {
    return {
      error: new AuthError(`${ctx.label}: authentication failed: the server rejected the ${ctx.authSource}`),
      transient: false,
    };
  }
  if (e.level === 'agent') {
    return { error: new AuthError(`${ctx.label}: ssh-agent failed: ${e.message}`), transient: false };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || e.level === 'client-dns') {
    const temporary = code === 'EAI_AGAIN';
    return {
      error: new ConnectError(
        `${ctx.label}: cannot resolve ${ctx.address}${temporary ? ' (temporary DNS failure)' : ''}`,
      ),
      transient: temporary,
    };
  }
  if (e.level === 'client-timeout' || code === 'ETIMEDOUT') {
    const what = ctx.tcpConnected
      ? `connected, but the SSH handshake did not complete within ${seconds(ctx.timeoutMs)} (is it an SSH server?)`
      : `no TCP connection within ${seconds(ctx.timeoutMs)}`;
    return { error: new ConnectError(`${ctx.label}: ${what}`), transient: false };
  }
  if (code && SOCKET_WORDS[code]) {
    return {
      error: new ConnectError(`${ctx.label}: ${SOCKET_WORDS[code]}`),
      transient: TRANSIENT_CODES.has(code),
    };
  }
  if (/Connection lost before handshake/i.test(e.message)) {
    return {
      error: new ConnectError(`${ctx.label}: the server closed the connection before the SSH handshake`),
      transient: true,
    };
  }
  return { error: new ConnectError(`${ctx.label}: SSH connection failed: ${e.message}`), transient: false };
}

/** Why an established connection went away, for the commands that were running on it. */
export function connectionLostError(label: string, cause: unknown, keepaliveMs: number): ConnectionLostError {
  const e = cause as Ssh2Error | undefined;
  if (e?.level === 'client-timeout' && /keepalive/i.test(e.message)) {
    return new ConnectionLostError(
      `${label}: connection lost: no answer to keepalives for ${seconds(3 * keepaliveMs)} (host hung or network down)`,
    );
  }
  if (e instanceof Error) {
    const words = e.code && LOST_WORDS[e.code] ? LOST_WORDS[e.code] : e.message;
    return new ConnectionLostError(`${label}: connection lost: ${words}`);
  }
  return new ConnectionLostError(`${label}: connection lost: closed by the server`);
}
