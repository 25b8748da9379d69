/** Small builders shared by the SSH transport tests and benchmarks (no Jest APIs here either). */
import type { Host } from '../../src/contract/host.js';
import { DEFAULT_SHELL, type Stream } from '../../src/contract/transport.js';
import { DEFAULT_SSH_OPTIONS, type SshOptions } from '../../src/contract/ssh-options.js';
import type { ExecRequest, TransportCallContext } from '../../src/contract/transport.js';
import type { SshdFleet, SshdHost } from './sshd.js';

/** `ssh:` options that reach `fleet` with its key and known_hosts, quick timeouts for tests. */
export function fleetOptions(fleet: SshdFleet, overrides: Partial<SshOptions> = {}): SshOptions {
  return {
    ...DEFAULT_SSH_OPTIONS,
    user: fleet.user,
    privateKeyPath: fleet.keyPath,
    knownHostsPaths: [fleet.knownHostsPath],
    connectTimeoutMs: 5000,
    keepaliveMs: 5000,
    ...overrides,
  };
}

export function hostOf(h: SshdHost | { name: string; address: string; port: number }): Host {
  return { name: h.name, address: h.address, port: h.port, local: false };
}

export function script(text: string, env: Record<string, string> = {}, shell = DEFAULT_SHELL): ExecRequest {
  return { script: text, shell, env };
}

export interface Collected extends TransportCallContext {
  lines: [Stream, string][];
  stdout(): string[];
  stderr(): string[];
}

/** A call context that records output lines; `signal` defaults to one that never aborts. */
export function collect(signal: AbortSignal = new AbortController().signal): Collected {
  const lines: [Stream, string][] = [];
  return {
    signal,
    lines,
    onOutput: (stream, line) => lines.push([stream, line]),
    stdout: () => lines.filter(([s]) => s === 'stdout').map(([, l]) => l),
    stderr: () => lines.filter(([s]) => s === 'stderr').map(([, l]) => l),
  };
}

/** Resolves when `fn` returns true, polling; rejects after `timeoutMs`. */
export async function waitUntil(
  fn: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `promise`, or a rejection naming `what` once `timeoutMs` have passed without it settling. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
