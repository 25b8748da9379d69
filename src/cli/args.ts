import { parseArgs } from 'node:util';
import { UsageError } from '../contract/errors.js';
import { parseList, parsePositiveInteger, parseShard, parseVarAssignment } from '../release/parse.js';
import type { ReleaseSettings, SettingSources } from '../release/settings.js';

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'validate'; configPath?: string }
  | { kind: 'run'; settings: ReleaseSettings; verbose: boolean }
  | { kind: 'merge'; files: string[]; reportPath?: string; verbose: boolean };

export const USAGE = `Usage:
  boerewors run [-c FILE] [-r RUNNER] [--limit N] [--hosts a,b] [--var K=V]... [--dry-run]
                [--shard K/N | --canary-only] [--report FILE] [-i KEYFILE] [--known-hosts FILE] [-v]
  boerewors validate [-c FILE]
  boerewors report merge FILE|DIR... [--report FILE]
  boerewors --version | --help

Options:
  -c, --config FILE     release config (default .github/release.yml, else release.yml)
  -r, --runner NAME     runner to run (required when the config has several)
      --limit N         run at most N jobs per stage, the canary included
      --hosts a,b       only these hosts or host groups
      --var K=V         set a variable (repeatable; wins over the config's vars)
      --dry-run         print the plan (stages, hosts, steps); connect to nothing
      --shard K/N       run shard K of N of every stage's hosts, the canary left out
      --canary-only     run only every stage's canary (the job ahead of the shards)
      --report FILE     write the JSON report to FILE
  -i, --identity FILE   SSH private key (overrides ssh.private-key)
      --known-hosts FILE  known_hosts file (overrides ssh.known-hosts)
  -v, --verbose         debug output

report merge: merges the JSON reports of a --canary-only run and --shard runs (files, or
directories of them) into the report of the whole release; exits as that release would have.

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
  shard: { flag: '--shard' },
  canaryOnly: { flag: '--canary-only' },
} as const satisfies SettingSources;

const options = {
  config: { type: 'string', short: 'c' },
  runner: { type: 'string', short: 'r' },
  limit: { type: 'string' },
  hosts: { type: 'string' },
  var: { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  shard: { type: 'string' },
  'canary-only': { type: 'boolean' },
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
  if (!command) throw new UsageError('missing command: run, validate or report merge');
  if (command === 'report') return parseReportCommand(extra, values);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (command === 'validate') {
    return { kind: 'validate', ...(values.config ? { configPath: values.config } : {}) };
  }
  if (command !== 'run')
    throw new UsageError(`unknown command "${command}": expected run, validate or report merge`);

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
    ...(values.shard !== undefined ? { shard: parseShard(values.shard, CLI_SOURCES.shard) } : {}),
    ...(values['canary-only'] ? { canaryOnly: true } : {}),
    ...(values.report ? { reportPath: values.report } : {}),
    ...(values.identity ? { identityPath: values.identity } : {}),
    ...(values['known-hosts'] ? { knownHostsPaths: [values['known-hosts']] } : {}),
    sources: CLI_SOURCES,
  };
  return { kind: 'run', settings, verbose: values.verbose ?? false };
}

type ParsedValues = ReturnType<
  typeof parseArgs<{ options: typeof options; allowPositionals: true; strict: true }>
>['values'];

/** Options `report merge` takes; any other is a mistake worth saying rather than ignoring. */
const MERGE_OPTIONS: ReadonlySet<string> = new Set(['report', 'verbose']);

function parseReportCommand(args: readonly string[], values: ParsedValues): CliCommand {
  const [sub, ...files] = args;
  if (sub !== 'merge') {
    throw new UsageError(
      sub === undefined
        ? 'missing subcommand: report merge'
        : `unknown subcommand "report ${sub}": expected report merge`,
    );
  }
  const stray = Object.keys(values).find((k) => !MERGE_OPTIONS.has(k));
  if (stray)
    throw new UsageError(`--${stray} is not an option of "report merge" (it takes FILE… and --report)`);
  if (files.length === 0)
    throw new UsageError('report merge: expected the report files (or directories) to merge');
  return {
    kind: 'merge',
    files,
    ...(values.report ? { reportPath: values.report } : {}),
    verbose: values.verbose ?? false,
  };
}
