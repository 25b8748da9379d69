/**
 * The CLI with `ssh.client: openssh` against real sshd: a release over hosts named by their ssh_config
 * alias (one login per host, an upload), SIGINT → 130 within 5 s with no ssh process and no control
 * socket left, and the config errors of the OpenSSH keys at their line and column.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, signalWhen, tempDir } from '../support/cli.js';
import { pathWithout } from '../support/path-without.js';
import { useSshdFleet } from '../support/ssh-release-fixture.js';
import { waitUntil } from '../support/sshd-fixtures.js';
import { noNewSocketDirs, processesWith, socketDirs } from '../support/openssh-support.js';

const fleet = useSshdFleet({ count: 2 }, 30_000);

let dir = '';
let sshConfig = '';
beforeEach(async () => {
  dir = await tempDir('bw-cli-openssh-');
  sshConfig = join(dir, 'ssh_config');
  const blocks = fleet.hosts.map((h, i) => `Host app-${i}\n  HostName 127.0.0.1\n  Port ${h.port}\n`);
  writeFileSync(
    sshConfig,
    `${blocks.join('')}Host *\n  User ${fleet.user}\n  IdentityFile ${fleet.keyPath}\n  UserKnownHostsFile ${fleet.knownHostsPath}\n`,
  );
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A config whose hosts are the aliases alone; `ssh` lines replace the default block. */
function config(steps: string, ssh = `  config: ${sshConfig}`): string {
  return `version: 1
lock: false
ssh:
${ssh}
hosts:
  web:
    - { name: app-0 }
    - { name: app-1 }
runners:
  deploy:
    stages:
      - name: Deploy
        hosts: [web]
        steps:
${steps}`;
}

/** Nothing of the run is left: no process holding its ssh_config or a control socket, no socket directory. */
async function nothingLeft(before: readonly string[]): Promise<void> {
  await waitUntil(() => processesWith(sshConfig).length === 0, 5000, 'the run’s ssh processes to end');
  await noNewSocketDirs(before);
}

it('runs a release over ssh_config aliases: one login per host, an upload', async () => {
  mkdirSync(join(dir, 'site'));
  writeFileSync(join(dir, 'site', 'index.html'), 'hello\n');
  const to = join(fleet.scratchDir, 'cli-openssh-${BW_HOST}');
  const cfg = join(dir, 'release.yml');
  writeFileSync(
    cfg,
    config(
      `          - run: echo "one on $BW_HOST"\n          - upload: { from: ${join(dir, 'site')}, to: "${to}" }\n          - run: cat "${to}/index.html"\n`,
    ),
  );
  const logins = await Promise.all(fleet.hosts.map((h) => h.logins()));
  const before = socketDirs();
  const r = await runCli(['run', '-c', cfg], { timeoutMs: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('one on app-0');
  expect(r.stdout).toMatch(/app-1.*hello/);
  for (const [i, h] of fleet.hosts.entries()) expect((await h.logins()) - logins[i]!).toBe(1);
  await nothingLeft(before);
}, 90_000);

it('SIGINT: exit 130 within 5 s, no ssh process and no control socket left', async () => {
  const cfg = join(dir, 'release.yml');
  writeFileSync(cfg, config(`          - run: echo "started on $BW_HOST"; sleep 60\n`));
  const before = socketDirs();
  // The canary's step: the other host waits behind it.
  const interrupt = signalWhen((out) => out.includes('started on app-0'));
  const r = await runCli(['run', '-c', cfg], { timeoutMs: 30_000, onStdout: interrupt.onStdout });
  expect(interrupt.sentAt()).toBeGreaterThan(0);
  expect(r.code).toBe(130);
  expect(Date.now() - interrupt.sentAt()).toBeLessThan(5000);
  await nothingLeft(before);
}, 60_000);

it('SIGKILL of the controller: its ssh masters, the remote step and the socket directory go too', async () => {
  const cfg = join(dir, 'release.yml');
  const pidFile = join(fleet.scratchDir, `killed-step-${process.pid}`);
  writeFileSync(
    cfg,
    config(`          - run: sleep 60 & echo $! > ${pidFile}; echo "started on $BW_HOST"; wait\n`),
  );
  const before = socketDirs();
  let mastersAtKill: number[] = [];
  const r = await runCli(['run', '-c', cfg], {
    timeoutMs: 30_000,
    onStdout: (out, child) => {
      if (mastersAtKill.length > 0 || !out.includes('started on app-0')) return;
      mastersAtKill = processesWith(sshConfig);
      child.kill('SIGKILL');
    },
  });
  try {
    expect(r.signal).toBe('SIGKILL');
    // The kill came with the run's master(s) up: what must not outlive it was there.
    expect(mastersAtKill.length).toBeGreaterThan(0);
    await waitUntil(() => processesWith(sshConfig).length === 0, 5000, 'the killed run’s ssh masters to end');
    await noNewSocketDirs(before, 5000);
    // The master's end closes its connection: sshd ends the session, the wrapper the step's group.
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    await waitUntil(
      () => !existsSync(`/proc/${sleeper}`),
      10_000,
      'the remote step’s background sleep to end',
    );
  } finally {
    // Whatever this test failed on, no process of it is left for the next.
    for (const pid of processesWith(sshConfig)) process.kill(pid, 'SIGKILL');
    await rm(pidFile, { force: true });
  }
}, 60_000);

describe('config errors, at their line and column', () => {
  const validate = async (text: string) => {
    const cfg = join(dir, 'release.yml');
    writeFileSync(cfg, text);
    return { cfg, r: await runCli(['run', '-c', cfg], { timeoutMs: 30_000 }) };
  };

  it('client: builtin with ssh.config', async () => {
    const { cfg, r } = await validate(
      config('          - run: "true"\n', `  client: builtin\n  config: ${sshConfig}`),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${cfg}:5:11: ssh.config: ssh.config needs the OpenSSH client`);
  });

  it('an ssh.options name OpenSSH does not know, with did-you-mean', async () => {
    const { cfg, r } = await validate(
      config('          - run: "true"\n', `  config: ${sshConfig}\n  options:\n    ServerAliveIntervall: 10`),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${cfg}:6:5: ssh.options.ServerAliveIntervall: ServerAliveIntervall is not an OpenSSH option, did you mean "ServerAliveInterval"?`,
    );
  });

  it('an unreadable certificate: not found, and a directory', async () => {
    const missing = join(dir, 'no-such-cert.pub');
    const first = await validate(
      config('          - run: "true"\n', `  config: ${sshConfig}\n  certificate: ${missing}`),
    );
    expect(first.r.code).toBe(2);
    expect(first.r.stderr).toContain(
      `${first.cfg}:5:16: ssh.certificate: certificate file ${missing}: not found`,
    );
    const second = await validate(
      config('          - run: "true"\n', `  config: ${sshConfig}\n  certificate: ${dir}`),
    );
    expect(second.r.code).toBe(2);
    expect(second.r.stderr).toContain(`ssh.certificate: certificate file ${dir}: is a directory, not a file`);
  });

  it('no ssh on PATH: the error names the openssh-client package, nothing runs', async () => {
    const bin = await pathWithout(join(dir, 'bin'), ['ssh']);
    const cfg = join(dir, 'release.yml');
    writeFileSync(cfg, config(`          - run: echo ran on $BW_HOST\n`));
    const r = await runCli(['run', '-c', cfg], { timeoutMs: 30_000, env: { PATH: bin } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ssh is not on PATH: install the OpenSSH client (the openssh-client package');
    expect(r.stdout).not.toContain('ran on');
  });

  it('validate: an unreadable ssh_config or certificate, at its line and column', async () => {
    const cfg = join(dir, 'release.yml');
    const [noConfig, noCert] = [join(dir, 'no-such-config'), join(dir, 'no-such-cert.pub')];
    writeFileSync(
      cfg,
      config('          - run: "true"\n', `  config: ${noConfig}\n  certificate: ${noCert}`),
    );
    const r = await runCli(['validate', '-c', cfg], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${cfg}:4:11: ssh.config: ssh_config file ${noConfig}: not found`);
    expect(r.stderr).toContain(`${cfg}:5:16: ssh.certificate: certificate file ${noCert}: not found`);
  });

  it('an unreadable ssh_config', async () => {
    const missing = join(dir, 'no-such-config');
    const { cfg, r } = await validate(config('          - run: "true"\n', `  config: ${missing}`));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${cfg}:4:11: ssh.config: ssh_config file ${missing}: not found`);
  });
});
