/**
 * Connection establishment: failures are bounded by connect-timeout and classified; auth works
 * with every key format users have (and the agent), and bad keys fail at once without leaking.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuthError, ConnectError } from '../../../src/contract/errors.js';
import type { SshOptions } from '../../../src/contract/ssh-options.js';
import type { SshHooks } from '../../../src/transport/remote/hooks.js';
import { createSshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { startSshdFleet, type SshdFleet } from '../../support/sshd.js';
import { collect, fleetOptions, hostOf, script, waitUntil } from '../../support/sshd-fixtures.js';
import { generateKey, type GeneratedKey, type KeyOptions } from '../../support/sshd-keys.js';
import { closedPort, startSilentListener } from '../../support/sshd-net.js';

let fleet: SshdFleet;
const h0 = () => fleet.hosts[0]!;

beforeAll(async () => {
  fleet = await startSshdFleet({ count: 1 });
}, 20_000);

afterAll(() => fleet?.stop());

async function run(overrides: Partial<SshOptions>, target = hostOf(h0()), hooks: SshHooks = {}) {
  const transport = createSshTransport(fleetOptions(fleet, overrides), hooks);
  const started = Date.now();
  try {
    const result = await transport.exec(target, script('echo ran'), collect()).catch((e: unknown) => e);
    return { result, ms: Date.now() - started };
  } finally {
    await transport.close();
  }
}

describe('SSH connect failures', () => {
  it('a closed port fails after three quick attempts, long before connect-timeout, naming the port', async () => {
    // Refused is retried twice with a short backoff (~0.1-0.6 s in all), not for the whole budget:
    // a client that kept retrying until connect-timeout (20 s) would take 4x the bound.
    const port = await closedPort();
    const { result, ms } = await run({ connectTimeoutMs: 20_000 }, { ...hostOf(h0()), port });
    expect(result).toBeInstanceOf(ConnectError);
    expect((result as Error).message).toContain(`@127.0.0.1:${port}`);
    expect((result as Error).message).toMatch(/connection refused .*; tried to connect 3 times$/);
    expect(ms).toBeLessThan(5000);
  }, 30_000);

  it('a refused connect is retried with backoff inside the budget: a server that comes up meanwhile is reached', async () => {
    const port = await closedPort();
    // A TCP forwarder to h0 that starts listening only once the first attempt was refused.
    const sockets = new Set<Socket>();
    const proxy = createServer((inbound) => {
      const outbound = connect(h0().port, '127.0.0.1');
      sockets.add(inbound).add(outbound);
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
    });
    let listening: Promise<void> | undefined;
    const debug: string[] = [];
    const onDebug = (message: string): void => {
      debug.push(message);
      if (!listening && /connection refused.*retrying in \d+ ms/.test(message))
        listening = new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
    };
    try {
      const { result } = await run(
        {
          connectTimeoutMs: 5000,
          knownHostsPaths: [],
          knownHosts: `[127.0.0.1]:${port} ${h0().hostPublicKey}`,
        },
        { ...hostOf(h0()), port },
        { onDebug },
      );
      expect(result).toMatchObject({ exitCode: 0 });
      // The first attempt was refused (the forwarder was not listening yet), a later one got through.
      expect(debug[0]).toMatch(
        new RegExp(`@127\\.0\\.0\\.1:${port}: connection refused.*; retrying in \\d+ ms$`),
      );
      expect(debug).toContainEqual(expect.stringMatching(/: connected in \d+ ms \(attempt [23]\)$/));
    } finally {
      await listening;
      for (const s of sockets) s.destroy();
      if (proxy.listening) await new Promise((r) => proxy.close(r));
    }
  }, 10_000);

  it('a listener that never speaks SSH fails on the handshake timeout', async () => {
    // A client without the timeout would hang; one that used the default (10 s) would take 2x the bound.
    const silent = await startSilentListener();
    try {
      const { result, ms } = await run({ connectTimeoutMs: 1000 }, { ...hostOf(h0()), port: silent.port });
      expect(result).toBeInstanceOf(ConnectError);
      expect((result as Error).message).toMatch(/handshake did not complete within 1s/);
      expect(ms).toBeGreaterThanOrEqual(950);
      expect(ms).toBeLessThan(5000);
    } finally {
      await silent.close();
    }
  }, 20_000);

  it('an unresolvable name is a ConnectError naming it', async () => {
    const { result } = await run({}, { ...hostOf(h0()), address: 'no-such-host.invalid' });
    expect(result).toBeInstanceOf(ConnectError);
    expect((result as Error).message).toMatch(/cannot resolve no-such-host\.invalid/);
  }, 10_000);
});

describe('SSH auth', () => {
  const keys: Record<string, GeneratedKey> = {};
  const make = async (name: string, opts: KeyOptions, authorize = true): Promise<GeneratedKey> => {
    keys[name] = await generateKey(join(fleet.dir, `client_${name}`), opts);
    if (authorize) await fleet.authorize(keys[name].publicLine);
    return keys[name];
  };

  it.each([
    ['ecdsa, PEM', { type: 'ecdsa', format: 'PEM' }],
    ['rsa, PEM (rsa-sha2 signatures: OpenSSH refuses ssh-rsa)', { type: 'rsa', format: 'PEM' }],
    ['rsa, OpenSSH format, with passphrase', { type: 'rsa', passphrase: 'open sesame' }],
    ['ed25519, OpenSSH format, with passphrase', { type: 'ed25519', passphrase: 'open sesame' }],
  ] as const)(
    'logs in with a %s key file',
    async (name, opts) => {
      const key = await make(name, opts);
      const { result } = await run({
        privateKeyPath: key.privatePath,
        ...('passphrase' in opts ? { passphrase: opts.passphrase } : {}),
      });
      expect(result).toMatchObject({ exitCode: 0 });
    },
    15_000,
  );

  it('accepts key text with CRLF line ends and no final newline', async () => {
    const text = (await readFile(fleet.keyPath, 'utf8')).trimEnd().replaceAll('\n', '\r\n');
    const { result } = await run({ privateKeyPath: undefined, privateKey: text });
    expect(result).toMatchObject({ exitCode: 0 });
  }, 10_000);

  it('uses the ssh-agent when no key is given', async () => {
    const socket = join(fleet.dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      await waitUntil(() => existsSync(socket), 5000, 'ssh-agent');
      await new Promise<void>((resolve, reject) => {
        const add = spawn('ssh-add', [fleet.keyPath], {
          env: { ...process.env, SSH_AUTH_SOCK: socket },
          stdio: 'ignore',
        });
        add.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ssh-add exited ${code}`))));
      });
      const saved = process.env.SSH_AUTH_SOCK;
      process.env.SSH_AUTH_SOCK = socket;
      try {
        const { result } = await run({ privateKeyPath: undefined });
        expect(result).toMatchObject({ exitCode: 0 });
      } finally {
        if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
        else process.env.SSH_AUTH_SOCK = saved;
      }
    } finally {
      agent.kill('SIGTERM');
    }
  }, 10_000);

  it('a key the server does not accept is an AuthError, never retried', async () => {
    const key = await make('unauthorized', { type: 'ed25519' }, false);
    const before = await h0().connections();
    const { result } = await run({ privateKeyPath: key.privatePath });
    expect(result).toBeInstanceOf(AuthError);
    expect((result as AuthError).retryable).toBe(false);
    expect((result as Error).message).toContain(`${fleet.user}@127.0.0.1:${h0().port}`);
    expect((result as Error).message).toContain(key.privatePath);
    expect(await h0().connections()).toBe(before + 1);
  }, 10_000);

  it('an encrypted key without passphrase fails at once, without connecting and without key material', async () => {
    const key = await make('encrypted', { type: 'ed25519', passphrase: 'secret words' });
    const text = await readFile(key.privatePath, 'utf8');
    const before = await h0().connections();
    const { result } = await run({ privateKeyPath: undefined, privateKey: text });
    expect(result).toBeInstanceOf(AuthError);
    expect((result as Error).message).toMatch(/encrypted, but no passphrase/);
    expect(await h0().connections()).toBe(before);
    const body = text.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
    for (const line of body) expect((result as Error).message).not.toContain(line.slice(0, 16));
  }, 10_000);

  it('a wrong passphrase and a malformed key are clear AuthErrors', async () => {
    const key = await make('pw', { type: 'ecdsa', passphrase: 'right one' });
    const wrong = await run({ privateKeyPath: key.privatePath, passphrase: 'wrong one' });
    expect(wrong.result).toBeInstanceOf(AuthError);
    expect((wrong.result as Error).message).toMatch(/wrong passphrase/);
    // Neither the passphrase given nor the right one is ever in the message.
    expect(String(wrong.result)).not.toContain('wrong one');
    expect(String(wrong.result)).not.toContain('right one');
    const malformed = await run({
      privateKeyPath: undefined,
      privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAnotakeyatall\n-----END OPENSSH PRIVATE KEY-----',
    });
    expect(malformed.result).toBeInstanceOf(AuthError);
    expect((malformed.result as Error).message).toMatch(/not a private key in a supported format/);
    expect((malformed.result as Error).message).not.toContain('AAAAnotakeyatall');
  }, 10_000);
});

describe('SSH options', () => {
  it('createSshTransport fills in every option left out (or undefined) from DEFAULT_SSH_OPTIONS', async () => {
    const transport = createSshTransport({
      user: fleet.user,
      privateKeyPath: fleet.keyPath,
      knownHostsPaths: [fleet.knownHostsPath],
      connectTimeoutMs: undefined,
    });
    try {
      const out = collect();
      // Without the defaults, maxHandshakes, maxSessions and the timeouts would be undefined.
      const result = await transport.exec(hostOf(h0()), script('echo ran'), out);
      expect(result.exitCode).toBe(0);
      expect(out.stdout()).toEqual(['ran']);
    } finally {
      await transport.close();
    }
  }, 10_000);
});
