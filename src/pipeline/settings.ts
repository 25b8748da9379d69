/**
 * Everything one release needs, whoever asked for it: built by `src/cli/args.ts` from flags or by
 * `src/action/inputs.ts` from inputs; consumed by the pipeline. Each setting also records how the
 * user gives it in that front end (`--hosts`, or the `hosts` input), so a message about it names
 * what the user typed.
 */

/** How the user gives a setting: a command-line flag (`--limit`) or an action input (`limit`). */
export type SettingSource = { readonly flag: string } | { readonly input: string };

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
  /** ssh_config text for the OpenSSH client (action input); written to a private file for the run. */
  sshConfigText?: string;
  /** A user certificate's text for the OpenSSH client (action input). */
  certificateText?: string;
  /** Where to write the JSON report. */
  reportPath?: string;
  /** Release id (BW_RELEASE); default a UTC timestamp and a random suffix. */
  release?: string;
  /** Wait up to this long for a held deploy lock (overrides `lock.wait`). */
  lockWaitMs?: number;
  /** BW_LOCK_TOKEN from the environment: re-enter the lock its holder took (nested runs, shards). */
  lockToken?: string;
  /** Run shard `index` of `count` (1-based) of the run's hosts in every stage (policy/sharding.ts). */
  shard?: { index: number; count: number };
  /** Run only every stage's canary (the job ahead of the shards). */
  canaryOnly?: boolean;
  /** How this front end lets the user give each setting it offers, set or not. */
  sources: SettingSources;
}

export type SettingName = Exclude<keyof ReleaseSettings, 'sources'>;
export type SettingSources = Readonly<Partial<Record<SettingName, SettingSource>>>;

/** A setting as a message starts with it: `--limit`, or `Input "limit"` (the action's own style). */
export function sourceLabel(source: SettingSource): string {
  return 'flag' in source ? source.flag : `Input "${source.input}"`;
}

/** A setting inside a sentence: `--runner`, or `the "runner" input`. */
export function sourceName(source: SettingSource): string {
  return 'flag' in source ? source.flag : `the "${source.input}" input`;
}
