/**
 * The OpenSSH client's command lines as exact arrays, and the ssh: keys that choose it: no sshd
 * needed here (the real-sshd suites beside this file run them).
 */
import { loadYamlConfig } from '../../../src/config/index.js';
import { DEFAULT_SSH_OPTIONS, resolvedClient, type SshOptions } from '../../../src/contract/ssh-options.js';
import {
  commonArgs,
  hostKeyOptions,
  masterArgs,
  sessionArgs,
  targetOf,
} from '../../../src/transport/openssh/openssh-args.js';
import { undefinedAlias } from '../../../src/transport/openssh/ssh-config-hosts.js';

const o = (over: Partial<SshOptions> = {}): SshOptions => ({ ...DEFAULT_SSH_OPTIONS, ...over });
const host = { name: 'web-1', address: 'web-1', port: 22, local: false };

describe('host-key checking is OpenSSH’s own', () => {
  it.each([
    ['strict', 'yes'],
    ['accept-new', 'accept-new'],
  ] as const)('%s → StrictHostKeyChecking=%s, the known-hosts files as UserKnownHostsFile', (mode, value) => {
    expect(hostKeyOptions(o({ hostKeyChecking: mode }), { knownHosts: ['/k/a', '/k/b c'] })).toEqual([
      '-o',
      `StrictHostKeyChecking=${value}`,
      '-o',
      'UserKnownHostsFile=/k/a "/k/b c"',
      '-o',
      'GlobalKnownHostsFile=/dev/null',
    ]);
  });

  it('off → no, and nothing written anywhere', () => {
    expect(hostKeyOptions(o({ hostKeyChecking: 'off' }), { knownHosts: ['/k/a'] })).toEqual([
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'GlobalKnownHostsFile=/dev/null',
    ]);
  });

  it('no known-hosts file at all (library: knownHostsPaths: []) is none, not ~/.ssh/known_hosts', () => {
    expect(hostKeyOptions(o({ hostKeyChecking: 'accept-new' }), { knownHosts: [] })).toEqual([
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'GlobalKnownHostsFile=/dev/null',
    ]);
  });

  it('leaves GlobalKnownHostsFile to an ssh_config that sets it', () => {
    expect(hostKeyOptions(o(), { configSetsGlobalKnownHosts: true })).toEqual([
      '-o',
      'StrictHostKeyChecking=yes',
    ]);
  });
});

describe('command lines', () => {
  const common = commonArgs(o({ extraOptions: { ServerAliveCountMax: '5' } }), {
    config: '/c/ssh_config',
    certificate: '/c/cert.pub',
  });

  const forcedOff = [
    '-o',
    'ForwardAgent=no',
    '-o',
    'ForwardX11=no',
    '-o',
    'ForwardX11Trusted=no',
    '-o',
    'ClearAllForwardings=yes',
    '-o',
    'PermitLocalCommand=no',
    '-o',
    'Tunnel=no',
  ];

  it('forwards nothing, then the user’s options (OpenSSH keeps the first value), and the certificate', () => {
    expect(common.slice(0, 2 + forcedOff.length + 2)).toEqual([
      '-F',
      '/c/ssh_config',
      ...forcedOff,
      '-o',
      'ServerAliveCountMax=5',
    ]);
    expect(common).toEqual(expect.arrayContaining(['CertificateFile=/c/cert.pub', 'BatchMode=yes']));
  });

  it('the forced options come before options a library caller passes unchecked', () => {
    const args = commonArgs(o({ extraOptions: { ForwardAgent: 'yes' } }), {});
    expect(args.indexOf('ForwardAgent=no')).toBeGreaterThan(-1);
    expect(args.indexOf('ForwardAgent=no')).toBeLessThan(args.indexOf('ForwardAgent=yes'));
  });

  it('a master logs in, runs nothing, stays in the foreground; with an ssh_config port 22 is the file’s', () => {
    const target = targetOf(host, o({ user: 'deploy' }), '/tmp/bwc-x/0', true);
    expect(target.label).toBe('deploy@web-1');
    expect(masterArgs(['-F', 'cfg'], target)).toEqual(
      [
        '-F',
        'cfg',
        '-o',
        'ControlMaster=yes',
        '-o',
        'ControlPersist=no',
        '-o',
        'ControlPath=/tmp/bwc-x/0',
      ].concat(['-N', '-l', 'deploy', '--', 'web-1']),
    );
    expect(targetOf({ ...host, port: 2222 }, o(), '/s', true)).toMatchObject({
      port: 2222,
      label: 'web-1:2222',
    });
    expect(targetOf(host, o(), '/s', false)).toMatchObject({ port: 22 });
  });

  it('a session goes through the master and can never log in by itself', () => {
    const target = targetOf(host, o(), '/tmp/bwc-x/0', false);
    expect(sessionArgs(target, 'exec true')).toEqual([
      '-F',
      '/dev/null',
      '-o',
      'ControlMaster=no',
      '-o',
      'ControlPath=/tmp/bwc-x/0',
      '-o',
      'ProxyCommand=false',
      ...forcedOff,
      '-o',
      'BatchMode=yes',
      '-o',
      'LogLevel=ERROR',
      '-T',
      '--',
      'web-1',
      'exec true',
    ]);
  });
});

describe('choosing the client', () => {
  const yaml = (ssh: string): string =>
    `version: 1\nssh:\n${ssh}\nrunners:\n  d:\n    stages:\n      - { name: s, hosts: [a.example.com], steps: [{ run: 'true' }] }\n`;

  it('auto is openssh when an OpenSSH-only key is set, builtin otherwise', () => {
    expect(resolvedClient(loadYamlConfig(yaml('  certificate: c.pub'), 'r.yml').ssh)).toBe('openssh');
    expect(resolvedClient(loadYamlConfig(yaml('  options: { Compression: true }'), 'r.yml').ssh)).toBe(
      'openssh',
    );
    expect(loadYamlConfig(yaml('  options: { Compression: true }'), 'r.yml').ssh.extraOptions).toEqual({
      Compression: 'yes',
    });
    expect(resolvedClient(loadYamlConfig(yaml('  port: 22'), 'r.yml').ssh)).toBe('builtin');
    expect(resolvedClient({ ...DEFAULT_SSH_OPTIONS, configText: 'Host x' })).toBe('openssh');
  });

  it('refuses an option the transport sets itself', () => {
    expect(() => loadYamlConfig(yaml('  options: { ControlPath: /x }'), 'r.yml')).toThrow(
      'r.yml:3:14: ssh.options.ControlPath: ControlPath is set by boerewors',
    );
  });

  it.each([
    'ForwardAgent',
    'forwardx11',
    'RemoteForward',
    'LocalForward',
    'DynamicForward',
    'ClearAllForwardings',
  ])('refuses %s: nothing is forwarded to a host', (name) => {
    expect(() => loadYamlConfig(yaml(`  options: { ${name}: 'yes' }`), 'r.yml')).toThrow(
      `r.yml:3:14: ssh.options.${name}: `,
    );
  });
});

describe('undefined aliases', () => {
  const text = 'Host web-*\n  Port 2\nHost db-1 !db-2\n  Port 3\nHost *\n  User x\n';
  it.each([
    ['web-7', false],
    ['db-1', false],
    ['db-2', true],
    ['cache', true],
    ['cache.example.com', false],
    ['localhost', false],
  ])('%s → undefined: %s', (name, undefinedOne) => expect(undefinedAlias(text, name)).toBe(undefinedOne));

  it('cannot tell with Include or Match: no error', () => {
    expect(undefinedAlias('Include other\n', 'cache')).toBe(false);
  });
});
