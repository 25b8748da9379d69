/**
 * The SSH transport over the system's OpenSSH client, for what ssh2 cannot do: certificates (user
 * and host), ssh_config (aliases, ProxyCommand, ProxyJump chains, Match). One ControlMaster per
 * host for the run; every step is a session through it, run by the same remote wrapper, uploads
 * by the same tar stream, as the built-in client. See docs/ssh.md, "The OpenSSH client".
 */
import type { Host } from '../../contract/host.js';
import { ConfigError, errorMessage, UploadError } from '../../contract/errors.js';
import { DEFAULT_SSH_OPTIONS, type SshOptions } from '../../contract/ssh-options.js';
import type {
  ExecRequest,
  ExecResult,
  Transport,
  TransportCallContext,
  UploadRequest,
  UploadResult,
} from '../../contract/transport.js';
import { execOnConnection } from '../remote/exec.js';
import type { SshHooks } from '../remote/hooks.js';
import { ConnectionPool } from '../remote/pool.js';
import { Semaphore } from '../remote/semaphore.js';
import { ArchiveCache } from '../upload/archive-cache.js';
import { afterConnecting, tarUpload } from '../upload/tar-upload.js';
import { startAgent, type Agent } from './openssh-agent.js';
import { commonArgs, targetOf, type OpensshTarget } from './openssh-args.js';
import { findOpenssh, type OpensshBinaries } from './openssh-binaries.js';
import { createRunFiles, type RunFiles } from './openssh-files.js';
import { OpensshMaster } from './openssh-master.js';
import { undefinedAlias } from './ssh-config-hosts.js';

/** Create the OpenSSH transport; options left out take their defaults. Nothing starts until a host is used. */
export function createOpensshTransport(
  options: Partial<SshOptions> = {},
  hooks: SshHooks = {},
  env: NodeJS.ProcessEnv = process.env,
): Transport {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return new OpensshTransport({ ...DEFAULT_SSH_OPTIONS, ...given }, hooks, env);
}

interface Setup {
  readonly binaries: OpensshBinaries;
  readonly run: RunFiles;
  readonly agent?: Agent;
  readonly common: readonly string[];
}

export class OpensshTransport implements Transport {
  readonly #handshakes: Semaphore;
  readonly #pool: ConnectionPool<OpensshTarget, OpensshMaster>;
  readonly #archives = new ArchiveCache();
  readonly #paths = new Map<string, string>();
  #setup: Promise<Setup> | undefined;
  #closed = false;

  constructor(
    private readonly options: SshOptions,
    private readonly hooks: SshHooks = {},
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.#handshakes = new Semaphore(options.maxHandshakes);
    this.#pool = new ConnectionPool((target, signal) => this.#connect(target, signal), hooks);
  }

  async exec(host: Host, req: ExecRequest, ctx: TransportCallContext): Promise<ExecResult> {
    ctx.signal.throwIfAborted();
    const master = await this.#pool.get(await this.#target(host), ctx.signal);
    return execOnConnection(master, req, ctx, this.hooks.redactor);
  }

  /** The tar stream over one session, as the built-in client; no SFTP fallback. */
  async upload(host: Host, req: UploadRequest, ctx: TransportCallContext): Promise<UploadResult> {
    const target = await this.#target(host);
    const exec = afterConnecting(this.#pool.get(target, ctx.signal), this.exec.bind(this));
    const outcome = await tarUpload(exec, this.#archives, host, target.label, req, ctx);
    if (outcome !== 'no-tar') return outcome;
    throw new UploadError(
      `${target.label}: cannot upload: the host has no tar on its PATH (the OpenSSH client uploads with tar only)`,
    );
  }

  /** As the built-in client: the first host first, the others once it is connected; failures kept quiet. */
  connectAhead(hosts: readonly Host[], signal: AbortSignal): void {
    const [first, ...rest] = hosts;
    if (!first || signal.aborted) return;
    const ahead = async (host: Host): Promise<void> => {
      const target = await this.#target(host);
      await this.#pool.get(target).catch((err: unknown) => {
        if (!signal.aborted)
          this.hooks.onDebug?.(`${target.label}: connecting ahead failed: ${errorMessage(err)}`);
        throw err;
      });
    };
    ahead(first).then(
      () => {
        for (const host of rest) if (!signal.aborted) ahead(host).catch(() => {});
      },
      () => {},
    );
  }

  /** Closes every master (`-O exit`), stops the agent, removes the run's files. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#archives.close();
    await this.#pool.close();
    const setup = await this.#setup?.catch(() => undefined);
    await setup?.agent?.stop();
    await setup?.run.remove();
  }

  #prepare(): Promise<Setup> {
    this.#setup ??= (async () => {
      const binaries = findOpenssh(this.env);
      if (this.options.hostKeyChecking === 'off') {
        this.hooks.onWarning?.(
          'host-key-checking is OFF: host keys are not verified, so anyone on the network path can ' +
            'impersonate a host and receive every command and secret sent to it. Use strict or accept-new.',
        );
      }
      const run = await createRunFiles(this.options, this.env);
      if (this.options.hostKeyChecking === 'accept-new' && run.files.knownHosts?.length === 0) {
        this.hooks.onWarning?.(
          'host-key-checking is accept-new with no known-hosts file: a new host key is trusted for this run only',
        );
      }
      try {
        const agent = this.options.privateKey
          ? await startAgent(binaries, run.socketDir, this.options.privateKey, this.options.passphrase)
          : undefined;
        const files = { ...run.files, ...(agent ? { agentSocket: agent.socket } : {}) };
        return { binaries, run, common: commonArgs(this.options, files), ...(agent ? { agent } : {}) };
      } catch (err) {
        await run.remove();
        throw err;
      }
    })();
    return this.#setup;
  }

  async #target(host: Host): Promise<OpensshTarget> {
    const { run } = await this.#prepare();
    const key = `${host.user ?? ''}@${host.address}:${host.port}`;
    let socket = this.#paths.get(key);
    if (socket === undefined) {
      socket = `${run.socketDir}/${this.#paths.size}`;
      this.#paths.set(key, socket);
    }
    return targetOf(host, this.options, socket, run.configPath !== undefined);
  }

  async #connect(target: OpensshTarget, signal: AbortSignal): Promise<OpensshMaster> {
    const setup = await this.#prepare();
    if (setup.run.configPath && undefinedAlias(setup.run.configText, target.destination)) {
      throw new ConfigError(
        `${target.label}: the ssh_config ${setup.run.configPath} defines no Host "${target.destination}" (a host named by an alias alone must be defined there)`,
      );
    }
    const release = await this.#handshakes.acquire(signal);
    try {
      if (this.#closed) throw new ConfigError(`${target.label}: the SSH transport is closed`);
      return await OpensshMaster.open(
        target,
        {
          ssh: setup.binaries.ssh,
          common: setup.common,
          env: this.env,
          maxSessions: this.options.maxSessions,
          connectTimeoutMs: this.options.connectTimeoutMs,
        },
        signal,
      );
    } finally {
      release();
    }
  }
}
