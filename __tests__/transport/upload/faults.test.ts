/**
 * Network faults in the middle of an upload, through a TCP proxy in front of a real sshd: the
 * connection reset, or stalled (nothing arrives, nothing closes). The host is left with the
 * complete target or none at all — never a partial one — sshd's side cleans its staging directory
 * up, and the next upload works from there.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionLostError } from '../../../src/contract/errors.js';
import type { Transport } from '../../../src/contract/transport.js';
import { createSshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { itWithOpenSsh } from '../../support/conditional-tests.js';
import { startSshdFleet, type SshdFleet } from '../../support/sshd.js';
import { collect, fleetOptions, waitUntil } from '../../support/sshd-fixtures.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';

let work: string;
let src: string;
let fleet: SshdFleet;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'bw-upload-faults-'));
  await chmod(work, 0o755);
  src = join(work, 'build');
  await mkdir(join(src, 'assets'), { recursive: true });
  await writeFile(join(src, 'index.html'), 'release 2\n');
  for (let i = 0; i < 6; i++)
    await writeFile(join(src, 'assets', `blob${i}.bin`), randomBytes(8 * 1024 * 1024));
  // ClientAlive: how the host notices a client gone silent (docs/ssh.md recommends it).
  fleet = await startSshdFleet({ count: 1, config: { ClientAliveInterval: 1, ClientAliveCountMax: 3 } });
}, 30_000);

afterAll(async () => {
  await fleet?.stop();
  await rm(work, { recursive: true, force: true });
});

/** A transport reaching the fleet's host through `proxy` (its own known_hosts entry for the proxy's port). */
async function through(proxy: TcpProxy, name: string): Promise<Transport> {
  const knownHosts = join(work, `known_hosts_${name}`);
  await writeFile(knownHosts, `[127.0.0.1]:${proxy.port} ${fleet.hosts[0]!.hostPublicKey}\n`);
  return createSshTransport(fleetOptions(fleet, { knownHostsPaths: [knownHosts], keepaliveMs: 1000 }));
}

const host = (proxy: TcpProxy) => ({ name: 'h0', address: '127.0.0.1', port: proxy.port, local: false });
const staging = (parent: string): string[] => readdirSync(parent).filter((n) => n.startsWith('.bw-upload-'));

/** `parent/current` holds release 1, complete: what a fault must leave alone. `parent` is the login user's. */
async function previousRelease(parent: string): Promise<void> {
  await mkdir(join(parent, 'current'), { recursive: true });
  await writeFile(join(parent, 'current', 'index.html'), 'release 1\n');
  if (process.getuid?.() === 0) await chown(parent, fleet.uid, fleet.uid);
}

/** The upload's error, and how long after the fault it came. */
async function faultMidUpload(
  name: string,
  fault: (proxy: TcpProxy) => void,
): Promise<{ err: unknown; ms: number }> {
  const parent = join(fleet.scratchDir, name);
  await previousRelease(parent);
  const proxy = await startTcpProxy(fleet.hosts[0]!.port);
  const transport = await through(proxy, name);
  try {
    const to = join(parent, 'r2');
    const upload = transport.upload(host(proxy), { from: src, to, compress: false }, collect());
    upload.catch(() => {});
    // 4 MB of 12 MB on their way: the host is unpacking into its staging directory.
    await waitUntil(() => proxy.bytesUp > 4 * 1024 * 1024, 60_000, '4 MB to cross');
    expect(staging(parent)).toHaveLength(1);
    const faultAt = Date.now();
    fault(proxy);
    const err = await upload.then(
      () => new Error('the upload succeeded'),
      (e: unknown) => e,
    );
    const ms = Date.now() - faultAt;
    // sshd's side: the session ends, the script removes its staging directory, and nothing moved.
    await waitUntil(() => staging(parent).length === 0, 20_000, 'the host to remove its staging directory');
    expect(existsSync(to)).toBe(false);
    expect(readFileSync(join(parent, 'current', 'index.html'), 'utf8')).toBe('release 1\n');
    // The next run (a new controller process: a new transport, through a working link) works from there.
    const link = await startTcpProxy(fleet.hosts[0]!.port);
    const next = await through(link, `${name}-next`);
    const again = await next
      .upload(host(link), { from: src, to }, collect())
      .finally(() => next.close().then(() => link.close()));
    expect(again.files).toBe(7);
    expect(readFileSync(join(to, 'assets', 'blob5.bin'))).toEqual(
      readFileSync(join(src, 'assets', 'blob5.bin')),
    );
    expect(staging(parent)).toEqual([]);
    return { err, ms };
  } finally {
    await transport.close();
    await proxy.close();
  }
}

describe('a fault in the middle of an upload', () => {
  it('a connection reset: the upload fails as a lost connection naming the host; the target is absent, not partial', async () => {
    const { err } = await faultMidUpload('reset', (proxy) => proxy.reset());
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect((err as Error).message).toMatch(/@127\.0\.0\.1:\d+/);
  }, 300_000);

  itWithOpenSsh('ClientAliveInterval is sshd’s; the fallback servers never drop a silent client')(
    'a stalled connection: the controller gives up after its keepalives, sshd after its own; nothing partial',
    async () => {
      const { err, ms } = await faultMidUpload('stall', (proxy) => proxy.stall());
      expect(err).toBeInstanceOf(ConnectionLostError);
      expect((err as Error).message).toContain('no answer to keepalives');
      // Three missed keepalives of 1 s: within seconds, not at TCP's own timeout (minutes).
      expect(ms).toBeLessThan(30_000);
    },
    300_000,
  );
});
