/**
 * Observes every SSH handshake our transport performs, from our side: it wraps ssh2's
 * `Client.prototype.connect` (the transport's only way to open a connection) and times each client
 * from `connect()` — TCP connect, key exchange, host-key check, user auth — to `ready`. The number
 * of clients between `connect()` and `ready`/`error`/`close` is the count of concurrent handshakes;
 * its peak must respect the transport's `maxHandshakes`. Waiting in the transport's own queue
 * happens before `connect()` and is not counted as handshake time.
 */
import ssh2 from 'ssh2';

export interface HandshakeStats {
  /** ms from connect() to ready, one per successful handshake. */
  readonly durationsMs: number[];
  readonly failed: number;
  readonly peakConcurrent: number;
}

export function installHandshakeProbe(): () => HandshakeStats {
  const durationsMs: number[] = [];
  let failed = 0;
  let inFlight = 0;
  let peakConcurrent = 0;
  const proto = ssh2.Client.prototype as unknown as { connect: (this: ssh2.Client, cfg: unknown) => unknown };
  const original = proto.connect;
  proto.connect = function connect(this: ssh2.Client, cfg: unknown) {
    const started = performance.now();
    let settled = false;
    inFlight++;
    peakConcurrent = Math.max(peakConcurrent, inFlight);
    const settle = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      inFlight--;
      if (ok) durationsMs.push(performance.now() - started);
      else failed++;
    };
    this.once('ready', () => settle(true));
    this.once('error', () => settle(false));
    this.once('close', () => settle(false));
    return original.call(this, cfg);
  };
  return () => ({ durationsMs: [...durationsMs], failed, peakConcurrent });
}
