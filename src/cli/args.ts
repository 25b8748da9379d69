import { parseArgs } from 'node:util';
import { UsageError } from '../contract/errors.js';
import { parseList, parsePositiveInteger, parseVarAssignment } from '../release/parse.js';
import type { ReleaseSettings, SettingSources } from '../release/settings.js';

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'validate'; configPath?: string }
  | { kind: 'run'; settings: ReleaseSettings; verbose: boolean };

export const USAGE = `Usage:
  boerewors run [-c FILE] [-r RUNNER] [--limit N] [--hosts a,b] [--var K=V]... [--dry-run]
                [--report FILE] [-i KEYFILE] [--known-hosts FILE] [-v]
  boerewors validate [-c FILE]
  boerewors --version | --help

Options:
  -c, --config FILE     release config (default .github/release.yml, else release.yml)
  -r, --runner NAME     runner to run (required when the config has several)
      --limit N         run at most N jobs per stage, the canary included
      --hosts a,b       only these hosts or host groups
      --var K=V         set a variable (repeatable; wins over the config's vars)
      --dry-run         print the plan (stages, hosts, steps); connect to nothing
      --report FILE     write the JSON report to FILE
  -i, --identity FILE   SSH private key (overrides ssh.private-key)
      --known-hosts FILE  known_hosts file (overrides ssh.known-hosts)
  -v, --verbose         debug output

Exit codes: 0 success, 1 the release failed, 2 usage or config error, 130 cancelled.`;

/** How each release setting is given on the command line, for messages about it. */
export const CLI_SOURCES = {
  configPath: { flag: '--config' },
  runner: { flag: '--runner' },
  limit: { flag: '--limit' },
  hosts: { flag: '--hosts' },
  vars: { flag: '--var' },
  dryRun: { flag: '--dry-run' },
  reportPath: { flag: '--report' },
  identityPath: { flag: '--identity' },
  knownHostsPaths: { flag: '--known-hosts' },
} as const satisfies SettingSources;

const options = {
  config: { type: 'string', short: 'c' },
  runner: { type: 'string', short: 'r' },
  limit: { type: 'string' },
  hosts: { type: 'string' },
  var: { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  report: { type: 'string' },
  identity: { type: 'string', short: 'i' },
  'known-hosts': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

export function parseCli(argv: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [command, ...extra] = positionals;
  if (!command) throw new UsageError('missing command: run or validate');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (command === 'validate') {
    return { kind: 'validate', ...(values.config ? { configPath: values.config } : {}) };
  }
  if (command !== 'run') throw new UsageError(`unknown command "${command}": expected run or validate`);

  const vars: Record<string, string> = {};
  for (const assignment of values.var ?? []) {
    const [k, v] = parseVarAssignment(assignment, CLI_SOURCES.vars);
    vars[k] = v;
  }
  const settings: ReleaseSettings = {
    vars,
    secretVars: {},
    dryRun: values['dry-run'] ?? false,
    ...(values.config ? { configPath: values.config } : {}),
    ...(values.runner ? { runner: values.runner } : {}),
    ...(values.limit !== undefined ? { limit: parsePositiveInteger(values.limit, CLI_SOURCES.limit) } : {}),
    ...(values.hosts !== undefined ? { hosts: parseList(values.hosts, CLI_SOURCES.hosts) } : {}),
    ...(values.report ? { reportPath: values.report } : {}),
    ...(values.identity ? { identityPath: values.identity } : {}),
    ...(values['known-hosts'] ? { knownHostsPaths: [values['known-hosts']] } : {}),
    sources: CLI_SOURCES,
  };
  return { kind: 'run', settings, verbose: values.verbose ?? false };
}
