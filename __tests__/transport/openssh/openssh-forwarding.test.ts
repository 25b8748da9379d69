/**
 * The OpenSSH client forwards nothing, whatever the ssh_config says: the hosts' sshd allow agent and
 * TCP forwarding (its defaults), the ssh_config asks for `ForwardAgent yes`, a `LocalForward`, a
 * `RemoteForward` and a `LocalCommand`, and the key is the inline one held by the run's own
 * ssh-agent. A step sees no `SSH_AUTH_SOCK`, no port is forwarded either way, and no local command
 * ran (docs/ssh.md, "The OpenSSH client"; SECURITY.md).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpensshTransport } from '../../../src/transport/openssh/openssh.js';
import { useSshdFleet } from '../../support/ssh-release-fixture.js';
import { collect, fleetOptions, script } from '../../support/sshd-fixtures.js';
import { noChildSsh } from '../../support/openssh-support.js';

const dir = mkdtempSync(join(tmpdir(), 'bw-osfwd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fleet = useSshdFleet({ count: 1, config: { AllowAgentForwarding: 'yes', AllowTcpForwarding: 'yes' } });

afterEach(() => noChildSsh());

/** A loopback port nothing listens on (bound, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts a TCP connection on 127.0.0.1:`port` (bounded: loopback answers at once). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 2000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

it('forwards no agent, no port and runs no LocalCommand, though the ssh_config asks for all of them', async () => {
  const host = fleet.hosts[0]!;
  const [localPort, remotePort] = [await freePort(), await freePort()];
  const marker = join(dir, 'local-command-ran');
  const configPath = join(dir, 'ssh_config');
  writeFileSync(
    configPath,
    [
      'Host bw-app',
      '  HostName 127.0.0.1',
      `  Port ${host.port}`,
      `  User ${fleet.user}`,
      `  UserKnownHostsFile ${fleet.knownHostsPath}`,
      '  ForwardAgent yes',
      '  ForwardX11 yes',
      `  LocalForward 127.0.0.1:${localPort} 127.0.0.1:${host.port}`,
      `  RemoteForward 127.0.0.1:${remotePort} 127.0.0.1:${host.port}`,
      '  PermitLocalCommand yes',
      `  LocalCommand touch ${marker}`,
      '',
    ].join('\n'),
  );
  const t = createOpensshTransport(
    fleetOptions(fleet, {
      privateKeyPath: undefined,
      privateKey: readFileSync(fleet.keyPath, 'utf8'),
      knownHostsPaths: [fleet.knownHostsPath],
      configFile: configPath,
    }),
  );
  const seen: Record<string, unknown> = {};
  try {
    const ctx = collect();
    const step = script(
      `echo "$\{SSH_AUTH_SOCK:-none}"; (exec 3<>/dev/tcp/127.0.0.1/${remotePort}) 2>/dev/null && echo open || echo closed`,
    );
    const res = await t.exec({ name: 'bw-app', address: 'bw-app', port: 22, local: false }, step, ctx);
    expect(res.exitCode).toBe(0);
    // The master is up while we look: a forward it made would be listening now.
    [seen.agentSocket, seen.remoteForward] = ctx.stdout();
    seen.localForward = (await listening(localPort)) ? 'open' : 'closed';
  } finally {
    await t.close();
  }
  seen.localCommandRan = existsSync(marker);
  expect(seen).toEqual({
    agentSocket: 'none',
    remoteForward: 'closed',
    localForward: 'closed',
    localCommandRan: false,
  });
});
