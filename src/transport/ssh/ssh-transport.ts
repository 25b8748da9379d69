/**
 * The SSH transport: `run` and `upload` steps on real hosts over pooled ssh2 connections. See
 * docs/ssh.md for the user-facing contract (the `ssh:` block, auth, host-key modes, termination).
 */
import { userInfo } from 'node:os';
import type { Host } from '../../contract/host.js';
import { hostLabel } from '../../contract/host.js';
import type { ExecResult, UploadResult } from '../../contract/transport.js';
import { ConnectError, errorMessage, UploadError } from '../../contract/errors.js';
import { connectClient, type ConnectTarget } from './connect.js';
import { ChannelOpenError, SshConnection } from './connection.js';
import { execOnConnection } from '../remote/exec.js';
import { HostKeyVerifier } from './host-keys.js';
import { loadClientAuth, type ClientAuth } from './keys.js';
import { DEFAULT_SSH_OPTIONS, type SshOptions } from '../../contract/ssh-options.js';
import type { SshHooks } from '../remote/hooks.js';
import { ConnectionPool } from '../remote/pool.js';
import { Semaphore } from '../remote/semaphore.js';
import { uploadOnConnection } from './sftp-upload.js';
import { ArchiveCache } from '../upload/archive-cache.js';
import { afterConnecting, tarUpload } from '../upload/tar-upload.js';
import type {
  ExecRequest,
  Transport,
  TransportCallContext,
  UploadRequest,
} from '../../contract/transport.js';

/** SSH_OPEN_CONNECT_FAILED: the jump host could not reach the target. */
const OPEN_CONNECT_FAILED = 2;

/**
 * Create the SSH transport. Every option left out (or `undefined`) takes its default from
 * `DEFAULT_SSH_OPTIONS`. Nothing connects until a stage starts (`connectAhead`) or a step needs a host;
 * `close()` ends every connection.
 */
export function createSshTransport(options: Partial<SshOptions> = {}, hooks: SshHooks = {}): Transport {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return new SshTransport({ ...DEFAULT_SSH_OPTIONS, ...given }, hooks);
}

export class SshTransport implements Transport {
  readonly #verifier: HostKeyVerifier;
  readonly #handshakes: Semaphore;
  readonly #pool: ConnectionPool<ConnectTarget, SshConnection>;
  readonly #defaultUser: string;
  readonly #jump: ConnectTarget | undefined;
  readonly #archives = new ArchiveCache();
  #auth: Promise<ClientAuth> | undefined;

  constructor(
    private readonly options: SshOptions,
    private readonly hooks: SshHooks = {},
  ) {
    this.#verifier = new HostKeyVerifier(
      options.hostKeyChecking,
      { paths: options.knownHostsPaths, ...(options.knownHosts ? { inline: options.knownHosts } : {}) },
      hooks,
    );
    this.#handshakes = new Semaphore(options.maxHandshakes);
    this.#pool = new ConnectionPool((target, signal) => this.#connect(target, signal), hooks);
    this.#defaultUser = options.user ?? currentUser();
    const jump = options.jumpHost;
    this.#jump = jump
      ? this.#target({
          name: jump.address,
          address: jump.address,
          port: jump.port,
          local: false,
          ...userOf(jump),
        })
      : undefined;
  }

  exec(host: Host, req: ExecRequest, ctx: TransportCallContext): Promise<ExecResult> {
    return this.#withConnection(host, ctx.signal, (conn) =>
      execOnConnection(conn, req, ctx, this.hooks.redactor),
    );
  }

  /** A tar stream over one exec channel; SFTP when the host has no `tar` (said in the log). */
  async upload(host: Host, req: UploadRequest, ctx: TransportCallContext): Promise<UploadResult> {
    const target = this.#target(host);
    const { label } = target;
    const exec = afterConnecting(this.#pool.get(target, ctx.signal), this.exec.bind(this));
    const outcome = await tarUpload(exec, this.#archives, host, label, req, ctx);
    if (outcome !== 'no-tar') return outcome;
    const linking = req.linkFrom ? ', every file (link-from needs tar)' : '';
    ctx.onOutput('stderr', `${label}: no tar on the host's PATH: uploading over SFTP${linking}`);
    try {
      return await this.#withConnection(host, ctx.signal, (conn) => uploadOnConnection(conn, req, ctx));
    } catch (err) {
      if (ctx.signal.aborted || !/subsystem/i.test(errorMessage(err))) throw err;
      throw new UploadError(
        `${label}: cannot upload: the host has no tar on its PATH and no SFTP subsystem (${errorMessage(err)})`,
      );
    }
  }

  /**
   * Opens the connections of `hosts` ahead, in order, within the same handshake cap; nothing runs
   * on them. The first host (the canary) goes first and gates the rest, as its job gates theirs: only
   * once it is connected — so the key, the known_hosts and the network are known to work — are the
   * others opened. A wrong key or an unknown host key therefore fails on one host, not on every
   * host of the stage. A failure is not kept: the step that uses the host connects again and
   * reports its own error.
   */
  connectAhead(hosts: readonly Host[], signal: AbortSignal): void {
    const [first, ...rest] = hosts;
    if (!first || signal.aborted) return;
    this.#connectAhead(first, signal).then(
      () => {
        for (const host of rest) {
          if (signal.aborted) return;
          this.#connectAhead(host, signal).catch(() => {});
        }
      },
      () => {
        if (rest.length > 0 && !signal.aborted)
          this.hooks.onDebug?.(`not connecting ${rest.length} more host(s) ahead: the first one failed`);
      },
    );
  }

  /** Connects `host` (or shares its connect); a failure is only a debug line. */
  async #connectAhead(host: Host, signal: AbortSignal): Promise<void> {
    const target = this.#target(host);
    try {
      // No signal on the wait: one abort listener per host on the run's signal would be noise, and
      // the connect itself is shared with the step and ended by close().
      await this.#pool.get(target);
    } catch (err) {
      if (!signal.aborted)
        this.hooks.onDebug?.(`${target.label}: connecting ahead failed: ${errorMessage(err)}`);
      throw err;
    }
  }

  close(): Promise<void> {
    this.#archives.close();
    return this.#pool.close((label) => label === this.#jump?.label);
  }

  async #withConnection<T>(
    host: Host,
    signal: AbortSignal,
    use: (conn: SshConnection) => Promise<T>,
  ): Promise<T> {
    signal.throwIfAborted();
    const target = this.#target(host);
    const conn = await this.#pool.get(target, signal);
    try {
      return await use(conn);
    } catch (err) {
      // The connection died before our channel opened (typically: the server dropped it while it
      // sat idle, and we learnt it just now). Nothing ran, so it is safe to reconnect once.
      if (!(err instanceof ChannelOpenError) || signal.aborted) throw err;
      this.hooks.onDebug?.(`${target.label}: connection gone before the step started; reconnecting once`);
      return use(await this.#pool.get(target, signal));
    }
  }

  #target(host: Host): ConnectTarget {
    const port = host.port || this.options.port;
    const user = host.user ?? this.#defaultUser;
    return { label: hostLabel({ ...host, port, user }), user, address: host.address, port };
  }

  async #connect(target: ConnectTarget, signal: AbortSignal): Promise<SshConnection> {
    this.#auth ??= loadClientAuth(this.options);
    const auth = await this.#auth;
    const jump = this.#jump;
    const viaJump = jump && target.label !== jump.label;
    const client = await connectClient(
      target,
      {
        auth,
        verifier: this.#verifier,
        handshakes: this.#handshakes,
        connectTimeoutMs: this.options.connectTimeoutMs,
        keepaliveMs: this.options.keepaliveMs,
        hooks: this.hooks,
        ...(viaJump
          ? {
              connectJumpHost: (s: AbortSignal) => this.#pool.get(jump, s),
              openStream: (s: AbortSignal) => this.#forward(jump, target, s),
            }
          : {}),
      },
      signal,
    );
    return new SshConnection(
      client,
      target.label,
      this.options.maxSessions,
      this.options.keepaliveMs,
      this.hooks,
    );
  }

  /** A stream to `target` through the jump host's connection (opened or reused). */
  async #forward(jump: ConnectTarget, target: ConnectTarget, signal: AbortSignal) {
    const jumpConn = await this.#pool.get(jump, signal);
    try {
      return await jumpConn.forwardOut(target.address, target.port);
    } catch (err) {
      const refused = (err as { reason?: number }).reason === OPEN_CONNECT_FAILED;
      const error = new ConnectError(
        `${target.label}: jump host ${jump.label} could not connect to it: ${(err as Error).message}`,
      );
      throw { error, transient: refused };
    }
  }
}

function userOf(jump: { user?: string }): { user?: string } {
  return jump.user ? { user: jump.user } : {};
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}
