/**
 * A loopback TCP forwarder whose target can be switched: the same `127.0.0.1:port` then leads to
 * another server, as when a host is re-keyed or someone intercepts the connection.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Where new connections go from now on. */
  target: number;
  /** Cuts every connection made so far and, while `refusing`, every new one as soon as it comes. */
  cut(refusing: boolean): void;
  /**
   * From now on nothing goes through, either way: connections made so far stay open but carry no
   * more bytes, new ones are accepted and left unanswered (a host that hangs).
   */
  freeze(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const pairs = new Set<[Socket, Socket]>();
  let frozen = false;
  let refusing = false;
  const proxy: { -readonly [K in keyof TcpProxy]: TcpProxy[K] } = {
    port: 0,
    target,
    cut: (refuse) => {
      refusing = refuse;
      sockets.forEach((s) => s.destroy());
    },
    freeze: () => {
      frozen = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    close: async () => {},
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
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.on('close', () => {
      pairs.delete(pair);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as { port: number }).port;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      sockets.forEach((s) => s.destroy());
      server.close(() => resolve());
    });
  return proxy;
}
