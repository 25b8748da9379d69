/**
 * The OpenSSH client's command lines, built without I/O so they are tested by exact arrays: the
 * options every connection of a run shares, a host's master (`-M -N`), and the sessions that go
 * through that master (`-S`, never a login of their own). See docs/ssh.md, "The OpenSSH client".
 */
import type { Host } from '../../contract/host.js';
import { DEFAULT_SSH_OPTIONS, type SshOptions } from '../../contract/ssh-options.js';

const DEFAULT_PORT = DEFAULT_SSH_OPTIONS.port;

/** Where a host's connection goes: what `ssh` is given, and how messages name it. */
export interface OpensshTarget {
  /** `user@host:port`, or the alias (with the user or port when known) for a host the ssh_config defines. */
  readonly label: string;
  /** The destination argument: the address, or the `Host` alias. */
  readonly destination: string;
  readonly port?: number;
  readonly user?: string;
  /** The host's control socket. */
  readonly controlPath: string;
}

/** The files of the run the options point at (written by the transport). */
export interface OpensshFiles {
  /** ssh_config for `-F`; absent: `-F /dev/null` (no ~/.ssh/config, no /etc/ssh/ssh_config). */
  readonly config?: string;
  /** Whether that config sets GlobalKnownHostsFile itself. */
  readonly configSetsGlobalKnownHosts?: boolean;
  readonly certificate?: string;
  /** UserKnownHostsFile entries (`~` expanded); empty: none (/dev/null); absent: the ssh_config's. */
  readonly knownHosts?: readonly string[];
  /** The per-run ssh-agent holding the inline key. */
  readonly agentSocket?: string;
  /** The key file (`~` expanded). */
  readonly identity?: string;
}

const opt = (name: string, value: string | number): string[] => ['-o', `${name}=${value}`];

/** Host-key checking: OpenSSH's own verdict. `off` records nothing anywhere. */
export function hostKeyOptions(options: SshOptions, files: OpensshFiles): string[] {
  const out: string[] = [];
  if (options.hostKeyChecking === 'off') {
    out.push(...opt('StrictHostKeyChecking', 'no'), ...opt('UserKnownHostsFile', '/dev/null'));
  } else {
    out.push(...opt('StrictHostKeyChecking', options.hostKeyChecking === 'strict' ? 'yes' : 'accept-new'));
    // No file at all (the library's `knownHostsPaths: []`, no inline lines) means none, as for the
    // built-in client: not OpenSSH's default ~/.ssh/known_hosts. `accept-new` then trusts a new
    // host for the run only (its line goes to /dev/null).
    if (files.knownHosts)
      out.push(
        ...opt(
          'UserKnownHostsFile',
          files.knownHosts.length > 0 ? files.knownHosts.map(quoteOption).join(' ') : '/dev/null',
        ),
      );
  }
  if (!files.configSetsGlobalKnownHosts) out.push(...opt('GlobalKnownHostsFile', '/dev/null'));
  return out;
}

/**
 * What no connection of the run does, whatever the ssh_config or `ssh.options` say: forward the
 * agent (it may hold the fleet's key: any host could then log in as us elsewhere), X11 or any port
 * (`LocalForward`, `RemoteForward`, `DynamicForward`: cleared), or run a `LocalCommand`. Given first
 * on the command line, so they beat the ssh_config and anything after them; the names are
 * reserved in `ssh.options` (config/openssh-option-names.ts).
 */
export const FORCED_OPTIONS: readonly (readonly [string, string])[] = [
  ['ForwardAgent', 'no'],
  ['ForwardX11', 'no'],
  ['ForwardX11Trusted', 'no'],
  ['ClearAllForwardings', 'yes'],
  ['PermitLocalCommand', 'no'],
  ['Tunnel', 'no'],
];

const forced = (): string[] => FORCED_OPTIONS.flatMap(([name, value]) => opt(name, value));

/**
 * What every `ssh` of the run is given: the forced options, then the user's `ssh.options`
 * (OpenSSH keeps the first value it reads of an option, so theirs win over the rest of ours and
 * over the ssh_config), then ours.
 */
export function commonArgs(options: SshOptions, files: OpensshFiles): string[] {
  const out = ['-F', files.config ?? '/dev/null', ...forced()];
  for (const [name, value] of Object.entries(options.extraOptions ?? {})) out.push(...opt(name, value));
  out.push(...opt('BatchMode', 'yes'), ...opt('LogLevel', 'ERROR'));
  out.push(...opt('ConnectTimeout', Math.max(1, Math.ceil(options.connectTimeoutMs / 1000))));
  out.push(...opt('ServerAliveInterval', Math.max(1, Math.ceil(options.keepaliveMs / 1000))));
  out.push(...opt('ServerAliveCountMax', 3));
  out.push(...hostKeyOptions(options, files));
  if (files.identity) out.push(...opt('IdentityFile', quoteOption(files.identity)));
  if (files.certificate) out.push(...opt('CertificateFile', quoteOption(files.certificate)));
  if (files.agentSocket) out.push(...opt('IdentityAgent', quoteOption(files.agentSocket)));
  const jump = options.jumpHost;
  if (jump) out.push('-J', `${jump.user ? `${jump.user}@` : ''}${jump.address}:${jump.port}`);
  return out;
}

/** The master of `target`: logs in, holds the connection, runs nothing (`-N`), stays in the foreground. */
export function masterArgs(common: readonly string[], target: OpensshTarget): string[] {
  return [
    ...common,
    ...opt('ControlMaster', 'yes'),
    ...opt('ControlPersist', 'no'),
    ...opt('ControlPath', quoteOption(target.controlPath)),
    '-N',
    ...destinationArgs(target),
  ];
}

/**
 * A session through the master: `-F /dev/null` (the master already applied the config),
 * `ProxyCommand=false` so that, should the master be gone, `ssh` fails instead of logging in again,
 * and the forced options: a session asks the master for no agent or X11 forwarding.
 */
export function sessionArgs(target: OpensshTarget, command: string): string[] {
  return [
    '-F',
    '/dev/null',
    ...opt('ControlMaster', 'no'),
    ...opt('ControlPath', quoteOption(target.controlPath)),
    ...opt('ProxyCommand', 'false'),
    ...forced(),
    ...opt('BatchMode', 'yes'),
    ...opt('LogLevel', 'ERROR'),
    '-T',
    '--',
    target.destination,
    command,
  ];
}

/** `ssh -O exit`: asks the master to close (and waits for nothing else). */
export function exitArgs(target: OpensshTarget): string[] {
  return [
    '-F',
    '/dev/null',
    ...opt('ControlPath', quoteOption(target.controlPath)),
    '-O',
    'exit',
    '--',
    target.destination,
  ];
}

function destinationArgs(target: OpensshTarget): string[] {
  return [
    ...(target.port !== undefined ? ['-p', String(target.port)] : []),
    ...(target.user !== undefined ? ['-l', target.user] : []),
    '--',
    target.destination,
  ];
}

/**
 * The target of `host`: its port, except that with an ssh_config the default port 22 is not
 * passed (the ssh_config's `Port` then applies, else OpenSSH's 22); its user or `ssh.user` (else
 * the ssh_config's, else the current user's).
 */
export function targetOf(
  host: Host,
  options: SshOptions,
  controlPath: string,
  hasConfig: boolean,
): OpensshTarget {
  const given = host.port || options.port;
  const port = hasConfig && given === DEFAULT_PORT ? undefined : given;
  const user = host.user ?? options.user;
  const label = `${user ? `${user}@` : ''}${host.address}${port !== undefined ? `:${port}` : ''}`;
  return {
    label,
    destination: host.address,
    controlPath,
    ...(port !== undefined ? { port } : {}),
    ...(user !== undefined ? { user } : {}),
  };
}

/** A path inside an `-o` value: OpenSSH splits on whitespace unless quoted. */
function quoteOption(value: string): string {
  return /[\s"]/.test(value) ? `"${value.replaceAll('"', '\\"')}"` : value;
}
