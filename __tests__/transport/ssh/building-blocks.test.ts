/** The small pieces of the SSH transport that need no server: semaphore, error classes, keys, backoff, a connection's channel errors. */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Client } from 'ssh2';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import {
  AuthError,
  CancelledError,
  ConnectError,
  ConnectionLostError,
} from '../../../src/contract/errors.js';
import { backoffMs, CONNECT_BACKOFF_MS } from '../../../src/transport/ssh/connect.js';
import { ChannelOpenError, SshConnection } from '../../../src/transport/ssh/connection.js';
import { classifyConnectError, connectionLostError } from '../../../src/transport/ssh/errors.js';
import { loadClientAuth, normalizeKeyText } from '../../../src/transport/ssh/keys.js';
import { DEFAULT_SSH_OPTIONS } from '../../../src/contract/ssh-options.js';
import { Semaphore } from '../../../src/transport/remote/semaphore.js';
import { generateKey } from '../../support/sshd-keys.js';

describe('Semaphore', () => {
  it('hands out at most `capacity` slots, in order', async () => {
    const s = new Semaphore(2);
    const a = await s.acquire();
    await s.acquire();
    const order: string[] = [];
    const c = s.acquire().then((r) => (order.push('c'), r));
    const d = s.acquire().then((r) => (order.push('d'), r));
    expect(s.inUse).toBe(2);
    a();
    a(); // releasing twice is harmless
    (await c)();
    await d;
    expect(order).toEqual(['c', 'd']);
    expect(s.inUse).toBe(2);
  });

  it('an aborted wait rejects with the reason and gives up its place', async () => {
    const s = new Semaphore(1);
    const held = await s.acquire();
    const ac = new AbortController();
    const waiting = s.acquire(ac.signal);
    ac.abort(new CancelledError('stop'));
    await expect(waiting).rejects.toThrow('stop');
    held();
    expect(s.inUse).toBe(0);
  });

  it('shrinks without revoking, never below one, and can fail all waiters', async () => {
    const s = new Semaphore(8);
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    s.shrinkTo(1);
    expect(s.limit).toBe(1);
    s.shrinkTo(0);
    expect(s.limit).toBe(1);
    const waiting = s.acquire();
    r1();
    r2();
    await waiting;
    const w2 = s.acquire();
    s.rejectWaiters(new Error('gone'));
    await expect(w2).rejects.toThrow('gone');
    expect(() => new Semaphore(0)).toThrow('capacity must be a positive integer, got 0');
  });
});

describe('classifyConnectError', () => {
  const ctx = {
    label: 'u@h:22',
    address: 'h',
    timeoutMs: 10_000,
    tcpConnected: false,
    authSource: 'key file k',
  };
  const err = (props: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), props);

  it.each([
    [{ code: 'ECONNREFUSED' }, ConnectError, true, /u@h:22: connection refused/],
    [{ code: 'ECONNRESET' }, ConnectError, true, /reset/],
    [{ code: 'ENOTFOUND' }, ConnectError, false, /cannot resolve h$/],
    [{ code: 'EAI_AGAIN' }, ConnectError, true, /temporary DNS failure/],
    [{ level: 'client-timeout' }, ConnectError, false, /no TCP connection within 10s/],
    [{ level: 'client-authentication' }, AuthError, false, /rejected the key file k/],
    [{ level: 'handshake' }, ConnectError, false, /SSH connection failed: x/],
  ] as const)('%o → %p (transient %p)', (props, cls, transient, message) => {
    const c = classifyConnectError(err(props), ctx);
    expect(c.error).toBeInstanceOf(cls);
    expect(c.transient).toBe(transient);
    expect(c.error.message).toMatch(message);
  });

  it('says "handshake" when TCP connected but SSH did not', () => {
    const c = classifyConnectError(err({ level: 'client-timeout' }), { ...ctx, tcpConnected: true });
    expect(c.error.message).toMatch(/connected, but the SSH handshake did not complete within 10s/);
  });

  it('explains keepalive failures on established connections', () => {
    const e = connectionLostError('u@h:22', err({ level: 'client-timeout' }, 'Keepalive timeout'), 5000);
    expect(e).toBeInstanceOf(ConnectionLostError);
    expect(e.message).toBe(
      'u@h:22: connection lost: no answer to keepalives for 15s (host hung or network down)',
    );
  });
});

describe('backoffMs', () => {
  it('doubles per attempt, with jitter between half and the full step', () => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const step = CONNECT_BACKOFF_MS * 2 ** (attempt - 1);
      for (let i = 0; i < 50; i++) {
        const d = backoffMs(attempt);
        expect(d).toBeGreaterThanOrEqual(step / 2);
        expect(d).toBeLessThanOrEqual(step);
      }
    }
  });
});

describe('private keys', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bw-keys-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('normalises layout: CRLF, indentation, missing final newline, literal \\n', () => {
    const want = '-----BEGIN X-----\nAAAA\nBBBB\n-----END X-----\n';
    expect(normalizeKeyText('\r\n  -----BEGIN X-----\r\n  AAAA\r\n  BBBB  \r\n  -----END X-----')).toBe(want);
    expect(normalizeKeyText('-----BEGIN X-----\\nAAAA\\nBBBB\\n-----END X-----\\n')).toBe(want);
  });

  it('without key or agent: a clear AuthError', async () => {
    await expect(loadClientAuth(DEFAULT_SSH_OPTIONS, {})).rejects.toThrow(
      new AuthError('no SSH private key given and no ssh-agent (SSH_AUTH_SOCK)'),
    );
  });

  it('an unreadable key file names the path and the reason', async () => {
    await expect(
      loadClientAuth({ ...DEFAULT_SSH_OPTIONS, privateKeyPath: join(dir, 'nope') }, {}),
    ).rejects.toThrow(`private key file ${join(dir, 'nope')}: cannot read it (ENOENT)`);
  });

  it('a public key where the private one belongs is refused', async () => {
    const key = await generateKey(join(dir, 'k'));
    await expect(
      loadClientAuth({ ...DEFAULT_SSH_OPTIONS, privateKeyPath: key.publicPath }, {}),
    ).rejects.toThrow(/this is a public key/);
    const auth = await loadClientAuth({ ...DEFAULT_SSH_OPTIONS, privateKeyPath: key.privatePath }, {});
    expect(auth).toMatchObject({
      kind: 'key',
      keyType: 'ssh-ed25519',
      source: `private key file ${key.privatePath}`,
    });
  });

  it('the agent is used only when no key is configured', async () => {
    const auth = await loadClientAuth(DEFAULT_SSH_OPTIONS, { SSH_AUTH_SOCK: '/tmp/agent.sock' });
    expect(auth).toEqual({
      kind: 'agent',
      socket: '/tmp/agent.sock',
      source: 'ssh-agent at /tmp/agent.sock',
    });
  });
});

describe('SshConnection', () => {
  it('a channel refused with "Not connected" before the close event: a ChannelOpenError, and the connection counts as lost', async () => {
    // The server has closed the connection (UnusedConnectionTimeout, a restart) and ssh2 knows, but
    // its 'close' event is still on its way: exec throws synchronously. Seen against a real sshd
    // only now and then, so the state is built here.
    const client = Object.assign(new EventEmitter(), {
      exec: () => {
        throw new Error('Not connected');
      },
    });
    const conn = new SshConnection(client as unknown as Client, 'deploy@127.0.0.1:22', 10, 5000, {});
    const err = await conn.exec('true', new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelOpenError);
    expect((err as Error).message).toBe('deploy@127.0.0.1:22: connection closed (Not connected)');
    // …and the pool, which asks `alive`, opens a new one for the retry instead of handing this back.
    expect(conn.alive).toBe(false);
  });
});
