import type { Host } from '../contract/host.js';
import type { ExecResult, UploadResult } from '../contract/transport.js';
import type { ExecRequest, Transport, TransportCallContext, UploadRequest } from '../contract/transport.js';

/**
 * Sends `local` hosts (and the controller) to the local transport and every other host to the
 * remote one, which is created on first use: a release over `local:` hosts needs no SSH key.
 */
export class RoutingTransport implements Transport {
  #remote: Transport | undefined;

  constructor(
    private readonly local: Transport,
    private readonly createRemote: () => Transport,
  ) {}

  exec(host: Host, req: ExecRequest, ctx: TransportCallContext): Promise<ExecResult> {
    return this.#for(host).exec(host, req, ctx);
  }

  upload(host: Host, req: UploadRequest, ctx: TransportCallContext): Promise<UploadResult> {
    return this.#for(host).upload(host, req, ctx);
  }

  connectAhead(hosts: readonly Host[], signal: AbortSignal): void {
    const remote = hosts.filter((h) => !h.local);
    const local = hosts.filter((h) => h.local);
    if (local.length > 0) this.local.connectAhead?.(local, signal);
    if (remote.length > 0) this.#for(remote[0] as Host).connectAhead?.(remote, signal);
  }

  async close(): Promise<void> {
    await Promise.all([this.local.close(), this.#remote?.close()]);
  }

  #for(host: Host): Transport {
    if (host.local) return this.local;
    this.#remote ??= this.createRemote();
    return this.#remote;
  }
}
