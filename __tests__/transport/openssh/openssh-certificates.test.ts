/**
 * The OpenSSH client against real sshd with certificates: user certificates signed by a CA
 * (TrustedUserCAKeys, no authorized_keys at all), and host certificates checked with a
 * `@cert-authority` known_hosts line alone.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthError, HostKeyError } from '../../../src/contract/errors.js';
import { createOpensshTransport } from '../../../src/transport/openssh/openssh.js';
import type { SshdConfig } from '../../support/sshd.js';
import { useSshdFleet } from '../../support/ssh-release-fixture.js';
import { collect, fleetOptions, hostOf, script } from '../../support/sshd-fixtures.js';
import { generateKey } from '../../support/sshd-keys.js';
import { makeCa, noChildSsh, sign } from '../../support/openssh-support.js';

const dir = mkdtempSync(join(tmpdir(), 'bw-oscert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config: SshdConfig = {};
const perHost: SshdConfig[] = [{}, {}];
let hostCa = '';
beforeAll(async () => {
  const userCa = await makeCa(join(dir, 'user_ca'));
  const hca = await makeCa(join(dir, 'host_ca'));
  hostCa = hca.publicLine;
  Object.assign(config, { TrustedUserCAKeys: userCa.publicPath, AuthorizedKeysFile: 'none' });
  // h0: a host key signed by the host CA; h1: an impostor with a key of its own, unsigned.
  const signed = await generateKey(join(dir, 'h0_host'), { comment: 'h0' });
  const cert = await sign(hca.privatePath, signed.publicPath, '127.0.0.1', { host: true });
  const impostor = await generateKey(join(dir, 'h1_host'), { comment: 'h1' });
  perHost[0] = { HostKey: signed.privatePath, HostCertificate: cert };
  perHost[1] = { HostKey: impostor.privatePath };
});
const fleet = useSshdFleet({ count: 2, config, hostConfig: (i) => perHost[i] ?? {} });

let userKey = '';
let certificate = '';
let wrongPrincipal = '';
let caKnownHosts = '';
beforeAll(async () => {
  // Copies of the fleet's key: the fleet's own stays certificate-free (ssh would load a
  // KEY-cert.pub beside it by itself); the certificates are moved away from their keys so that only
  // CertificateFile can bring them.
  userKey = join(dir, 'user');
  copyFileSync(fleet.keyPath, userKey);
  copyFileSync(`${fleet.keyPath}.pub`, `${userKey}.pub`);
  copyFileSync(fleet.keyPath, join(dir, 'other'));
  copyFileSync(`${fleet.keyPath}.pub`, join(dir, 'other.pub'));
  certificate = join(dir, 'user.certificate');
  renameSync(await sign(join(dir, 'user_ca'), `${userKey}.pub`, fleet.user), certificate);
  wrongPrincipal = join(dir, 'other.certificate');
  renameSync(await sign(join(dir, 'user_ca'), join(dir, 'other.pub'), 'somebody-else'), wrongPrincipal);
  caKnownHosts = join(dir, 'ca_known_hosts');
  writeFileSync(caKnownHosts, `@cert-authority * ${hostCa}\n`);
  chmodSync(userKey, 0o600);
  chmodSync(join(dir, 'other'), 0o600);
});

afterEach(() => noChildSsh());

// Both hosts' keys are checked against the host CA alone (h0 is signed by it).
describe('user certificates', () => {
  it('logs in with the certificate (no authorized_keys on the host), once for several steps', async () => {
    const t = createOpensshTransport(
      fleetOptions(fleet, {
        privateKeyPath: userKey,
        certificateFile: certificate,
        knownHostsPaths: [caKnownHosts],
      }),
    );
    const h0 = hostOf(fleet.hosts[0]!);
    const before = await fleet.hosts[0]!.logins();
    try {
      for (const n of [1, 2, 3]) {
        const ctx = collect();
        const res = await t.exec(h0, script(`echo step-${n} as $(id -un)`), ctx);
        expect(res.exitCode).toBe(0);
        expect(ctx.stdout()).toEqual([`step-${n} as ${fleet.user}`]);
      }
    } finally {
      await t.close();
    }
    expect((await fleet.hosts[0]!.logins()) - before).toBe(1);
  });

  it('takes an encrypted key given as text (per-run agent, passphrase via askpass) with the certificate', async () => {
    const encrypted = join(dir, 'encrypted');
    copyFileSync(userKey, encrypted);
    chmodSync(encrypted, 0o600);
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-q', '-p', '-a', '2', '-N', 'correct horse', '-f', encrypted]);
    const t = createOpensshTransport(
      fleetOptions(fleet, {
        privateKeyPath: undefined,
        privateKey: readFileSync(encrypted, 'utf8'),
        passphrase: 'correct horse',
        certificateFile: certificate,
        knownHostsPaths: [caKnownHosts],
      }),
    );
    try {
      const ctx = collect();
      await expect(t.exec(hostOf(fleet.hosts[0]!), script('echo agent'), ctx)).resolves.toMatchObject({
        exitCode: 0,
      });
      expect(ctx.stdout()).toEqual(['agent']);
    } finally {
      await t.close();
    }
  });

  it('refuses a certificate for another principal: an auth error, not retried', async () => {
    const t = createOpensshTransport(
      fleetOptions(fleet, {
        privateKeyPath: join(dir, 'other'),
        certificateFile: wrongPrincipal,
        knownHostsPaths: [caKnownHosts],
      }),
    );
    try {
      const err = await t
        .exec(hostOf(fleet.hosts[0]!), script('echo ran'), collect())
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthError);
      expect((err as AuthError).retryable).toBe(false);
      expect((err as Error).message).toContain(`${fleet.user}@127.0.0.1:${fleet.hosts[0]!.port}`);
    } finally {
      await t.close();
    }
  });

  it('refuses the key alone', async () => {
    const t = createOpensshTransport(fleetOptions(fleet, { knownHostsPaths: [caKnownHosts] }));
    try {
      await expect(t.exec(hostOf(fleet.hosts[0]!), script('echo ran'), collect())).rejects.toBeInstanceOf(
        AuthError,
      );
    } finally {
      await t.close();
    }
  });
});

describe('host certificates', () => {
  it('accepts a host whose key the @cert-authority signed, with no other known_hosts line', async () => {
    const t = createOpensshTransport(
      fleetOptions(fleet, {
        privateKeyPath: userKey,
        certificateFile: certificate,
        knownHostsPaths: [caKnownHosts],
      }),
    );
    try {
      const ctx = collect();
      await expect(t.exec(hostOf(fleet.hosts[0]!), script('echo signed'), ctx)).resolves.toMatchObject({
        exitCode: 0,
      });
      expect(ctx.stdout()).toEqual(['signed']);
    } finally {
      await t.close();
    }
  });

  it('refuses an unsigned impostor: a host-key error, nothing run', async () => {
    const marker = join(fleet.scratchDir, 'impostor-ran');
    const t = createOpensshTransport(
      fleetOptions(fleet, {
        privateKeyPath: userKey,
        certificateFile: certificate,
        knownHostsPaths: [caKnownHosts],
      }),
    );
    try {
      const err = await t
        .exec(hostOf(fleet.hosts[1]!), script(`touch ${marker}`), collect())
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyError);
      expect((err as Error).message).toContain(`127.0.0.1:${fleet.hosts[1]!.port}`);
    } finally {
      await t.close();
    }
    expect(existsSync(marker)).toBe(false);
    expect(await fleet.hosts[1]!.logins()).toBe(0);
  });
});
