import type { Host } from '../contract/host.js';
import type { ExecResult, UploadResult } from '../contract/transport.js';
import type { ExecRequest, Transport, TransportCallContext, UploadRequest } from '../contract/transport.js';

export interface PlannedCall {
  host: string;
  kind: 'exec' | 'upload';
  /** The script, or `from → to`. */
  what: string;
}

/**
 * Connects to nothing and runs nothing: every command "succeeds" at once and its script is
 * echoed as output, so a run with this transport prints the whole plan (stages → hosts → steps).
 */
export class DryRunTransport implements Transport {
  readonly calls: PlannedCall[] = [];

  async exec(host: Host, req: ExecRequest, ctx: TransportCallContext): Promise<ExecResult> {
    ctx.signal.throwIfAborted();
    this.calls.push({ host: host.name, kind: 'exec', what: req.summary ?? req.script });
    if (req.summary !== undefined) ctx.onOutput('stdout', `  ${req.summary}`);
    else for (const line of req.script.replace(/\n+$/, '').split('\n')) ctx.onOutput('stdout', `  $ ${line}`);
    return { exitCode: 0, signal: null, durationMs: 0 };
  }

  async upload(host: Host, req: UploadRequest, ctx: TransportCallContext): Promise<UploadResult> {
    ctx.signal.throwIfAborted();
    const linking = req.linkFrom ? ` (link-from ${req.linkFrom})` : '';
    const what = `${req.from} → ${host.name}:${req.to}${linking}`;
    this.calls.push({ host: host.name, kind: 'upload', what });
    ctx.onOutput('stdout', `  upload ${what}`);
    return { files: 0, bytes: 0, durationMs: 0 };
  }

  async close(): Promise<void> {}
}
