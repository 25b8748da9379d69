/**
 * Opens one authenticated ssh2 Client. The whole establishment (TCP or jump-host forward,
 * handshake, host-key check, auth) is bounded by `connect-timeout`; transient failures (refused,
 * reset, temporary DNS) are retried inside that budget with exponential backoff and full jitter.
 * Auth and host-key failures are final at once. Each try holds a slot of the global handshake
 * semaphore, so a wide fan-out never trips sshd's MaxStartups.
 */
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig, ParsedKey, PublicKeyAuthMethod } from 'ssh2';
import { CancelledError, type BoereworsError } from '../errors.js';
import { classifyConnectError, type ClassifiedConnectError } from './ssh-errors.js';
import type { HostKeyVerifier } from './ssh-host-keys.js';
import type { ClientAuth } from './ssh-keys.js';
import type { SshHooks } from './ssh-options.js';
import type { Semaphore } from './ssh-semaphore.js';

/** Tries per connection within one connect budget. */
export const CONNECT_ATTEMPTS = 3;
/** First backoff; doubles per try, then a random part of it is used (full jitter, at least half). */
export const CONNECT_BACKOFF_MS = 200;
/**
 * Keepalives ssh2 may send unanswered: it declares the peer dead on the tick after this many, i.e.
 * after 3 silent keepalive intervals.
 */
const KEEPALIVE_COUNT_MAX = 2;

export interface ConnectTarget {
  /** `user@host:port`. */
  readonly label: string;
  readonly user: string;
  readonly address: string;
  readonly port: number;
}

export interface ConnectDeps {
  readonly auth: ClientAuth;
  readonly verifier: HostKeyVerifier;
  readonly handshakes: Semaphore;
  readonly connectTimeoutMs: number;
  readonly keepaliveMs: number;
  readonly hooks: SshHooks;
  /** Through a jump host: opens a forwarded stream to the target (rejects with a classified error). */
  readonly openStream?: (signal: AbortSignal) => Promise<ClientChannel>;
  /**
   * Runs before the first handshake slot is taken: connects the jump host, which needs a slot of
   * its own (holding ours while waiting for it could starve a small `maxHandshakes`).
   */
  readonly prepare?: (signal: AbortSignal) => Promise<unknown>;
}

export async function connectClient(
  target: ConnectTarget,
  deps: ConnectDeps,
  signal: AbortSignal,
): Promise<ssh2.Client> {
  await deps.verifier.load();
  await deps.prepare?.(signal);
  let deadline: number | undefined;
  for (let attempt = 1; ; attempt++) {
    const release = await deps.handshakes.acquire(signal);
    // The budget starts with the first handshake slot: waiting behind other hosts is not our time.
    deadline ??= Date.now() + deps.connectTimeoutMs;
    let failure: ClassifiedConnectError;
    try {
      const started = Date.now();
      const client = await attemptOnce(target, deps, Math.max(1, deadline - Date.now()), signal);
      deps.hooks.onDebug?.(`${target.label}: connected in ${Date.now() - started} ms (attempt ${attempt})`);
      return client;
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? new CancelledError('cancelled');
      failure = err as ClassifiedConnectError;
    } finally {
      release();
    }
    const delay = backoffMs(attempt);
    if (!failure.transient || attempt >= CONNECT_ATTEMPTS || Date.now() + delay >= deadline) {
      // Named apart from the job's own attempts, which the report counts next to this message.
      if (attempt > 1) failure.error.message += `; tried to connect ${attempt} times`;
      throw failure.error;
    }
    deps.hooks.onDebug?.(`${failure.error.message}; retrying in ${delay} ms`);
    await sleep(delay, signal);
  }
}

/** Exponential backoff with full jitter, never below half the step (so retries do not bunch up). */
export function backoffMs(attempt: number): number {
  const step = CONNECT_BACKOFF_MS * 2 ** (attempt - 1);
  return Math.round(step / 2 + Math.random() * (step / 2));
}

function attemptOnce(
  target: ConnectTarget,
  deps: ConnectDeps,
  budgetMs: number,
  signal: AbortSignal,
): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let tcpConnected = false;
    let hostKeyError: BoereworsError | null = null;
    let settled = false;
    const classify = (err: unknown): ClassifiedConnectError =>
      hostKeyError
        ? { error: hostKeyError, transient: false }
        : classifyConnectError(err, {
            label: target.label,
            address: target.address,
            timeoutMs: deps.connectTimeoutMs,
            tcpConnected,
            authSource: deps.auth.source,
          });
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      client.destroy();
      reject(signal.aborted ? err : classify(err));
    };
    const onAbort = (): void => fail(signal.reason ?? new CancelledError('cancelled'));
    // Our own timer covers the jump-host forward too, which ssh2's readyTimeout does not.
    const timer = setTimeout(() => {
      const err = Object.assign(new Error('connect timeout'), { level: 'client-timeout' });
      fail(err);
    }, budgetMs);
    signal.addEventListener('abort', onAbort, { once: true });

    // This listener stays for the client's life: an 'error' without a listener would crash the process.
    client.on('error', (err) => fail(err));
    client.on('close', () => fail(new Error('Connection lost before handshake')));
    client.on('connect', () => {
      tcpConnected = true;
      // Nagle would hold back our small packets for an ACK: a warm command takes ~44 ms instead of ~3.
      client.setNoDelay(true);
    });
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(client);
    });

    const config: ConnectConfig = {
      host: target.address,
      port: target.port,
      username: target.user,
      readyTimeout: 0, // our timer above
      keepaliveInterval: deps.keepaliveMs,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      tryKeyboard: false,
      // Answered asynchronously: accept-new writes a new host's key to known_hosts first.
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void): void => {
        deps.verifier.verify(target, key).then(
          (err) => {
            if (settled) return; // timed out or cancelled meanwhile; the client is gone
            hostKeyError = err;
            verify(err === null);
          },
          (err: unknown) => fail(err),
        );
      },
      algorithms: { serverHostKey: deps.verifier.algorithmsFor(target.address, target.port) as never },
      // The already parsed key goes in through authHandler: `privateKey` would be re-parsed
      // (and re-decrypted) per connection.
      ...(deps.auth.kind === 'key'
        ? { authHandler: [publicKeyAuth(target.user, deps.auth.privateKey)] }
        : { agent: deps.auth.socket }),
    };
    // ssh2 throws synchronously on config it cannot use; that must settle this try, not escape it.
    const start = (cfg: ConnectConfig): void => {
      try {
        client.connect(cfg);
      } catch (err) {
        fail(err);
      }
    };
    if (!deps.openStream) return start(config);
    deps.openStream(signal).then(
      (stream) => {
        if (settled) return void stream.close();
        tcpConnected = true;
        start({ ...config, sock: stream as unknown as Duplex });
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) return reject(signal.reason ?? err);
        // Either a classified forward failure, or the jump host's own connect error (already
        // retried on its own budget, so final here).
        reject(isClassified(err) ? err : { error: err, transient: false });
      },
    );
  });
}

function publicKeyAuth(username: string, key: ParsedKey): PublicKeyAuthMethod {
  return { type: 'publickey', username, key };
}

function isClassified(err: unknown): err is ClassifiedConnectError {
  return typeof err === 'object' && err !== null && 'error' in err && 'transient' in err;
}

/**
 * Ref'd on purpose (as is the attempt timer): between retries to a refusing host it can be the only
 * pending work, and an unref'd timer would let Node exit with the release still unsettled.
 */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason ?? new CancelledError('cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
