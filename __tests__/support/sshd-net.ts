/** Loopback network helpers for the sshd harness: free ports, closed ports, silent listeners. */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** A port that was free a moment ago (the OS picks it; bind races are retried by the caller). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/**
 * Ports from `from` upward, each one free when handed out (checked by binding it on loopback);
 * never the same port twice, even to callers that ask at once.
 */
export function portCursor(from: number): () => Promise<number> {
  let next = from;
  return async () => {
    for (;;) {
      const port = next++;
      if (port > 65535) throw new Error(`no free port from ${from} to 65535`);
      if (await portIsFree(port)) return port;
    }
  };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port nobody listens on: connecting is refused at once. */
export const closedPort = freePort;

export interface SilentListener {
  port: number;
  close(): Promise<void>;
}

/** Accepts TCP connections and never says a word: an SSH client must fail on its handshake timeout. */
export function startSilentListener(): Promise<SilentListener> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = address && typeof address === 'object' ? address.port : 0;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Resolves with the SSH identification line once `port` answers, or rejects after `timeoutMs`. */
export async function waitForBanner(port: number, timeoutMs: number, isDead: () => boolean): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (isDead()) throw new Error(`server on port ${port} exited during startup`);
    const banner = await readBanner(port).catch(() => null);
    if (banner) return banner;
    if (Date.now() > deadline) throw new Error(`no SSH banner on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function readBanner(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    const done = (value: string | null): void => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(1000, () => done(null));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const nl = text.indexOf('\n');
      if (nl !== -1) done(text.slice(0, nl).trim());
    });
    socket.on('error', () => done(null));
    socket.on('close', () => done(null));
  });
}
