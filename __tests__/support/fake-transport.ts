/**
 * A Transport for engine tests: commands are scripted per call (exit code, delay, output,
 * rejection), and every call is recorded with its start and end time, the number of calls that
 * had ended when it started (which reveals waves), and the concurrency reached overall and per host.
 */
import { setTimeout } from 'node:timers/promises';
import { sleep } from '../../src/contract/abort.js';
import type { Host } from '../../src/contract/host.js';
import type {
  ExecRequest,
  ExecResult,
  Stream,
  Transport,
  TransportCallContext,
  UploadRequest,
  UploadResult,
} from '../../src/contract/transport.js';

export interface FakeCall {
  readonly kind: 'exec' | 'upload';
  /** Name of the host the engine sent the call to (`controller` for controller commands). */
  readonly host: string;
  /** The script, or `from -> to` for an upload. */
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  /** BW_ATTEMPT as a number (0 when absent, e.g. for uploads). */
  readonly attempt: number;
}

export interface Behaviour {
  /** Default 0. */
  exitCode?: number | null;
  signal?: string | null;
  /** How long the call runs, ms; the AbortSignal ends it early. Default 0 (next timer tick). */
  delayMs?: number;
  /** Printed when the call starts. */
  lines?: readonly (string | readonly [Stream, string])[];
  /** Reject with this after the delay instead of resolving. */
  reject?: Error;
  /** Behave like a slow transport: keep running through an abort, then resolve normally. */
  ignoreAbort?: boolean;
}

export type FakeScript = (call: FakeCall) => Behaviour | undefined | void;

export interface FakeRecord extends FakeCall {
  readonly id: number;
  /** ms since the transport was created. */
  readonly start: number;
  end: number | undefined;
  /** How many calls had ended when this one started: calls of one wave share this number. */
  readonly endedBefore: number;
  /** The AbortSignal the engine passed. */
  readonly signal: AbortSignal;
  /** How the call ended: resolved, rejected by its script, or rejected because the signal aborted. */
  outcome: 'resolved' | 'rejected' | 'aborted' | undefined;
}

export class FakeTransport implements Transport {
  readonly records: FakeRecord[] = [];
  maxConcurrency = 0;
  readonly maxConcurrencyByHost = new Map<string, number>();
  closed = false;
  /** Host names of every `connectAhead` call, with how many calls had started by then. */
  readonly connectedAhead: { hosts: string[]; callsBefore: number }[] = [];
  /** Make `connectAhead` throw (a transport breaking its contract). */
  connectAheadThrows = false;
  readonly #t0 = performance.now();
  readonly #runningByHost = new Map<string, number>();
  #running = 0;
  #ended = 0;
  #waiters: { count: number; resolve: () => void }[] = [];

  constructor(private readonly script: FakeScript = () => undefined) {}

  async exec(host: Host, req: ExecRequest, ctx: TransportCallContext): Promise<ExecResult> {
    const behaviour = await this.#run('exec', host, req.script, req.env, ctx);
    // `exitCode: null` is a real case (killed, or the session ended without a status): keep it.
    const exitCode = behaviour.exitCode === undefined ? 0 : behaviour.exitCode;
    return { exitCode, signal: behaviour.signal ?? null, durationMs: behaviour.delayMs ?? 0 };
  }

  async upload(host: Host, req: UploadRequest, ctx: TransportCallContext): Promise<UploadResult> {
    const behaviour = await this.#run('upload', host, `${req.from} -> ${req.to}`, {}, ctx);
    return { files: 1, bytes: 1, durationMs: behaviour.delayMs ?? 0 };
  }

  connectAhead(hosts: readonly Host[]): void {
    this.connectedAhead.push({ hosts: hosts.map((h) => h.name), callsBefore: this.records.length });
    if (this.connectAheadThrows) throw new Error('connectAhead broke');
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Hosts in the order their first call started. */
  get hostsStarted(): string[] {
    return [...new Set(this.records.map((r) => r.host))];
  }

  /** Sizes of the groups of calls that started with the same number of calls ended before. */
  get waves(): number[] {
    const sizes = new Map<number, number>();
    for (const r of this.records) sizes.set(r.endedBefore, (sizes.get(r.endedBefore) ?? 0) + 1);
    return [...sizes.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
  }

  /** Resolves once `count` calls have started: a synchronisation point for cancel tests. */
  started(count: number): Promise<void> {
    if (this.records.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  async #run(
    kind: FakeCall['kind'],
    host: Host,
    script: string,
    env: Readonly<Record<string, string>>,
    ctx: TransportCallContext,
  ): Promise<Behaviour> {
    const call: FakeCall = { kind, host: host.name, script, env, attempt: Number(env.BW_ATTEMPT ?? 0) };
    const behaviour = this.script(call) ?? {};
    const record: FakeRecord = {
      ...call,
      id: this.records.length,
      start: this.#now(),
      end: undefined,
      endedBefore: this.#ended,
      signal: ctx.signal,
      outcome: undefined,
    };
    this.records.push(record);
    this.#enter(host.name);
    for (const w of this.#waiters.filter((w) => this.records.length >= w.count)) w.resolve();
    this.#waiters = this.#waiters.filter((w) => this.records.length < w.count);
    try {
      ctx.signal.throwIfAborted();
      for (const line of behaviour.lines ?? []) {
        if (typeof line === 'string') ctx.onOutput('stdout', line);
        else ctx.onOutput(line[0], line[1]);
      }
      await delay(behaviour.delayMs ?? 0, behaviour.ignoreAbort ? undefined : ctx.signal);
      if (behaviour.reject) throw behaviour.reject;
      record.outcome = 'resolved';
      return behaviour;
    } catch (error) {
      record.outcome = ctx.signal.aborted && error === ctx.signal.reason ? 'aborted' : 'rejected';
      throw error;
    } finally {
      record.end = this.#now();
      this.#ended += 1;
      this.#leave(host.name);
    }
  }

  #enter(host: string): void {
    this.#running += 1;
    this.maxConcurrency = Math.max(this.maxConcurrency, this.#running);
    const n = (this.#runningByHost.get(host) ?? 0) + 1;
    this.#runningByHost.set(host, n);
    this.maxConcurrencyByHost.set(host, Math.max(this.maxConcurrencyByHost.get(host) ?? 0, n));
  }

  #leave(host: string): void {
    this.#running -= 1;
    this.#runningByHost.set(host, (this.#runningByHost.get(host) ?? 1) - 1);
  }

  #now(): number {
    return performance.now() - this.#t0;
  }
}

/** A timer that honours the signal (rejecting with its reason), or ignores it when none is given. */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  // Ignored work may outlive its test by seconds: it must not hold the Jest worker open.
  return signal ? sleep(ms, signal) : setTimeout(ms, undefined, { ref: false });
}
