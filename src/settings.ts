import { UsageError } from './contract/errors.js';
import { VAR_NAME } from './contract/transport.js';

/**
 * Everything one release needs, whoever asked for it (CLI flags or action inputs). Built by
 * `src/cli/args.ts` or `src/action/inputs.ts`; consumed by `src/release.ts`.
 */
export interface ReleaseSettings {
  /** Config file; default `.github/release.yml`, else `release.yml`. */
  configPath?: string;
  /** Runner name; required when the config has several. */
  runner?: string;
  /** Jobs per stage, the canary included. */
  limit?: number;
  /** Host or group names to keep. */
  hosts?: string[];
  /** Variables that win over the config's. */
  vars: Record<string, string>;
  /** Like `vars`, but their values are redacted from every output the tool writes. */
  secretVars: Record<string, string>;
  /** Print the plan, connect to nothing. */
  dryRun: boolean;
  /** Private key file (overrides `ssh.private-key`). */
  identityPath?: string;
  /** Private key text (action input); never printed. */
  privateKey?: string;
  /** Passphrase of `privateKey` (action input); never printed. */
  passphrase?: string;
  /** known_hosts files (override `ssh.known-hosts`). */
  knownHostsPaths?: string[];
  /** Extra known_hosts entries (action input). */
  knownHosts?: string;
  /** Where to write the JSON report. */
  reportPath?: string;
  /** Release id (BW_RELEASE); default a UTC timestamp. */
  release?: string;
}

/** `K=V` → [K, V]; the name must be a valid variable name. */
export function parseVarAssignment(text: string, what: string): [string, string] {
  const eq = text.indexOf('=');
  const name = eq === -1 ? text : text.slice(0, eq);
  // The text itself is not echoed: it may be a secret.
  if (eq === -1) throw new UsageError(`${what}: expected NAME=VALUE, found no "="`);
  if (!VAR_NAME.test(name)) throw new UsageError(`${what}: invalid variable name "${name}"`);
  return [name, text.slice(eq + 1)];
}
