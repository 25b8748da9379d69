/**
 * What a failed `ssh` (exit 255) said, as one of the product's error classes: auth and host-key
 * failures are never retried, the network ones are. The message names the host as the run knows
 * it (`user@host:port`, or the alias) and quotes OpenSSH's own last words.
 */
import {
  AuthError,
  ConnectError,
  ConnectionLostError,
  HostKeyError,
  type BoereworsError,
} from '../../contract/errors.js';

interface Rule {
  readonly test: RegExp;
  readonly make: (message: string) => BoereworsError;
  readonly what: string;
}

const RULES: readonly Rule[] = [
  {
    test: /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key .*(?:not known|has changed|mismatch)|No [A-Z0-9-]+ host key is known|Certificate invalid|certificate .*(?:invalid|not valid|expired)|revoked/i,
    make: (m) => new HostKeyError(m),
    what: 'host key refused',
  },
  {
    test: /Permission denied|Too many authentication failures|no mutual signature|Authentication failed|Received disconnect from .*: 2: /i,
    make: (m) => new AuthError(m),
    what: 'authentication failed',
  },
  { test: /Connection refused/i, make: (m) => new ConnectError(m), what: 'connection refused' },
  {
    test: /timed out|Operation timed out/i,
    make: (m) => new ConnectError(m),
    what: 'connect timed out',
  },
  {
    test: /No route to host|Network is unreachable|Could not resolve hostname|Name or service not known|nodename nor servname/i,
    make: (m) => new ConnectError(m),
    what: 'host unreachable',
  },
];

/** The last few non-empty lines of `stderr`, trimmed, one line. */
export function lastWords(stderr: string, lines = 3): string {
  const kept = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return kept.slice(-lines).join(' | ');
}

/** The error of a master (or a direct `ssh`) that exited 255 before it was connected. */
export function classifyConnectFailure(label: string, stderr: string): BoereworsError {
  const said = lastWords(stderr) || 'ssh exited with status 255 and said nothing';
  for (const rule of RULES) if (rule.test.test(stderr)) return rule.make(`${label}: ${rule.what}: ${said}`);
  return new ConnectError(`${label}: cannot connect: ${said}`);
}

/**
 * Lines a session's `ssh` writes about the connection itself (never the command's): then exit 255
 * is the connection's failure, not the command's status.
 */
const SESSION_FAILURE =
  /^(?:mux_client_\w+:|kex_exchange_identification:|Control ?socket|ControlSocket|Connection to .* closed|Shared connection to .* closed|client_loop: send disconnect|Connection closed by|muxclient:|ssh: )/m;

export function sessionFailure(label: string, stderr: string): ConnectionLostError | null {
  if (!SESSION_FAILURE.test(stderr)) return null;
  return new ConnectionLostError(`${label}: connection lost: ${lastWords(stderr)}`);
}
