/**
 * A loopback TCP forwarder whose target can be switched (the same `127.0.0.1:port` then leads to
 * another server, as when a host is re-keyed or someone intercepts the connection), and which can
 * play a bad network: reset every connection (RST both ways), stall them (nothing forwarded,
 * nothing closed: a link gone silent), or delay every chunk by a fixed time each way (bench/'s
 * latency lab). Plain functions, no Jest: bench/ reuses it.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxyOptions {
  /** Holds every chunk this long before passing it on, in each direction (order kept). Default 0. */
  delayMs?: number;
}

export interface TcpProxy {
  readonly port: number;
  /** Where new connections go from now on. */
  target: number;
  /** Bytes passed on from clients to the target so far, over every connection. */
  readonly bytesUp: number;
  /** Ends every open connection with a TCP reset, on both sides (a dropped NAT entry, a reboot). */
  reset(): void;
  /** Stops forwarding on every open connection and drops what arrives; neither side sees a close. */
  stall(): void;
  /** Cuts every connection made so far and, while `refusing`, every new one as soon as it comes. */
  cut(refusing: boolean): void;
  /**
   * From now on nothing goes through, either way: connections made so far stay open but carry no
   * more bytes, new ones are accepted and left unanswered (a host that hangs).
   */
  freeze(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: number, opts: TcpProxyOptions = {}): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const stalled = new WeakSet<Socket>();
  let bytesUp = 0;
  let frozen = false;
  let refusing = false;
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (refusing) {
      client.destroy();
      return;
    }
    if (frozen) {
      client.pause();
      return;
    }
    const upstream = connect(proxy.target, '127.0.0.1');
    track(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    forward(client, upstream, opts.delayMs ?? 0, stalled, (n) => (bytesUp += n));
    forward(upstream, client, opts.delayMs ?? 0, stalled, () => {});
  });
  const proxy: TcpProxy = {
    port: 0,
    target,
    get bytesUp() {
      return bytesUp;
    },
    reset: () => sockets.forEach((s) => s.resetAndDestroy()),
    stall: () => sockets.forEach((s) => stalled.add(s)),
    cut: (refuse) => {
      refusing = refuse;
      sockets.forEach((s) => s.destroy());
    },
    freeze: () => {
      frozen = true;
      sockets.forEach((s) => stalled.add(s));
    },
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (proxy as { port: number }).port = (server.address() as { port: number }).port;
  return proxy;
}

/** `from` → `to`, each chunk `delayMs` later; reading pauses while `to` is full (backpressure). */
function forward(
  from: Socket,
  to: Socket,
  delayMs: number,
  stalled: WeakSet<Socket>,
  count: (n: number) => void,
): void {
  let inFlight = 0;
  const pass = (chunk: Buffer): void => {
    if (stalled.has(from) || to.destroyed) return;
    count(chunk.length);
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  };
  from.on('data', (chunk: Buffer) => {
    if (stalled.has(from)) return;
    if (delayMs === 0) return pass(chunk);
    // Bounded: at most ~8 MB waiting in the delay line per direction.
    inFlight += chunk.length;
    if (inFlight > 8 * 1024 * 1024) from.pause();
    setTimeout(() => {
      inFlight -= chunk.length;
      if (inFlight <= 8 * 1024 * 1024 && from.isPaused() && to.writableLength === 0) from.resume();
      pass(chunk);
    }, delayMs);
  });
  from.on('end', () => {
    if (!stalled.has(from)) setTimeout(() => to.end(), delayMs);
  });
}
