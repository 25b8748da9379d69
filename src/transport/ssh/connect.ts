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
import { abortReason, settleOnce, sleep } from '../../contract/abort.js';
import type { BoereworsError } from '../../contract/errors.js';
import { classifyConnectError, type ClassifiedConnectError } from './errors.js';
import type { HostKeyVerifier } from './host-keys.js';
import type { ClientAuth } from './keys.js';
import type { SshHooks } from '../remote/hooks.js';
import type { Semaphore } from '../remote/semaphore.js';

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
  readonly connectJumpHost?: (signal: AbortSignal) => Promise<unknown>;
}

export async function connectClient(
  target: ConnectTarget,
  deps: ConnectDeps,
  signal: AbortSignal,
): Promise<ssh2.Client> {
  await deps.verifier.load();
  await deps.connectJumpHost?.(signal);
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
      if (signal.aborted) throw abortReason(signal);
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

/** What one try learnt before it failed: it decides how the failure is classified. */
interface TryState {
  tcpConnected: boolean;
  /** The verifier's verdict, when it refused the host key (ssh2 then reports only a generic error). */
  hostKeyError: BoereworsError | null;
}

/** One try: TCP (or the jump-host forward), handshake, host-key check and auth, within `budgetMs`. */
function attemptOnce(
  target: ConnectTarget,
  deps: ConnectDeps,
  budgetMs: number,
  signal: AbortSignal,
): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const state: TryState = { tcpConnected: false, hostKeyError: null };
    const settle = settleOnce<ssh2.Client>(resolve, reject, () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
    const fail = (err: unknown): void => {
      if (settle.settled) return;
      client.destroy();
      settle.reject(signal.aborted ? err : classifyTry(err, target, deps, state));
    };
    const onAbort = (): void => fail(abortReason(signal));
    // Our own timer covers the jump-host forward too, which ssh2's readyTimeout does not.
    const timer = setTimeout(
      () => fail(Object.assign(new Error('connect timeout'), { level: 'client-timeout' })),
      budgetMs,
    );
    signal.addEventListener('abort', onAbort, { once: true });
    watchClient(client, state, fail, () => settle.resolve(client));

    const config = clientConfig(target, deps, (key, verify) => {
      // Answered asynchronously: accept-new writes a new host's key to known_hosts first.
      deps.verifier.verify(target, key).then((err) => {
        if (settle.settled) return; // timed out or cancelled meanwhile; the client is gone
        state.hostKeyError = err;
        verify(err === null);
      }, fail);
    });
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
        if (settle.settled) return void stream.close();
        state.tcpConnected = true;
        start({ ...config, sock: stream as unknown as Duplex });
      },
      (err: unknown) => {
        if (signal.aborted) return settle.reject(abortReason(signal));
        // Either a classified forward failure, or the jump host's own connect error (already
        // retried on its own budget, so final here).
        settle.reject(isClassified(err) ? err : { error: err, transient: false });
      },
    );
  });
}

/** The client's events: `error` and `close` fail the try, `ready` ends it. */
function watchClient(
  client: ssh2.Client,
  state: TryState,
  fail: (err: unknown) => void,
  ready: () => void,
): void {
  // This listener stays for the client's life: an 'error' without a listener would crash the process.
  client.on('error', (err) => fail(err));
  client.on('close', () => fail(new Error('Connection lost before handshake')));
  client.on('connect', () => {
    state.tcpConnected = true;
    // Nagle would hold back our small packets for an ACK: a warm command takes ~44 ms instead of ~3.
    client.setNoDelay(true);
  });
  client.on('ready', ready);
}

function clientConfig(
  target: ConnectTarget,
  deps: ConnectDeps,
  hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => void,
): ConnectConfig {
  return {
    host: target.address,
    port: target.port,
    username: target.user,
    readyTimeout: 0, // our timer in attemptOnce
    keepaliveInterval: deps.keepaliveMs,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    tryKeyboard: false,
    hostVerifier,
    algorithms: { serverHostKey: deps.verifier.algorithmsFor(target.address, target.port) as never },
    // The already parsed key goes in through authHandler: `privateKey` would be re-parsed
    // (and re-decrypted) per connection.
    ...(deps.auth.kind === 'key'
      ? { authHandler: [publicKeyAuth(target.user, deps.auth.privateKey)] }
      : { agent: deps.auth.socket }),
  };
}

function classifyTry(
  err: unknown,
  target: ConnectTarget,
  deps: ConnectDeps,
  state: TryState,
): ClassifiedConnectError {
  if (state.hostKeyError) return { error: state.hostKeyError, transient: false };
  return classifyConnectError(err, {
    label: target.label,
    address: target.address,
    timeoutMs: deps.connectTimeoutMs,
    tcpConnected: state.tcpConnected,
    authSource: deps.auth.source,
  });
}

function publicKeyAuth(username: string, key: ParsedKey): PublicKeyAuthMethod {
  return { type: 'publickey', username, key };
}

function isClassified(err: unknown): err is ClassifiedConnectError {
  return typeof err === 'object' && err !== null && 'error' in err && 'transient' in err;
}
