import { parseArgs } from 'node:util';
import { UsageError } from '../contract/errors.js';
import { LOCK_ACTIONS, type LockAction } from '../pipeline/lock/manual-lock.js';
// The parsers the action's inputs use too: a setting reads the same whichever front end gives it.
import * as settingText from '../pipeline/parse.js';
import type { ReleaseSettings, SettingSources } from '../pipeline/settings.js';

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'validate'; configPath?: string }
  | { kind: 'run'; settings: ReleaseSettings; verbose: boolean; htmlPath?: string }
  | { kind: 'lock'; action: LockAction; settings: ReleaseSettings; message?: string; force: boolean }
  | { kind: 'merge'; files: string[]; reportPath?: string; verbose: boolean }
  | { kind: 'html'; file: string; outputPath?: string };

export const USAGE = `Usage:
  boerewors run [-c FILE] [-r RUNNER] [--limit N] [--hosts a,b] [--var K=V]... [--dry-run]
                [--shard K/N | --canary-only] [--report FILE] [--html FILE] [--release-id ID]
                [--lock-wait DURATION] [-i KEYFILE] [--known-hosts FILE] [-v]
  boerewors validate [-c FILE]
  boerewors report merge FILE|DIR... [--report FILE]
  boerewors report html REPORT.json [-o FILE]
  boerewors lock status|acquire [-m MESSAGE]|release [--force] [-c FILE] [--var K=V]...
                [--lock-wait DURATION] [-i KEYFILE] [--known-hosts FILE]
  boerewors --version | --help

Options:
  -c, --config FILE     release config (default .github/release.yml, else release.yml)
  -r, --runner NAME     runner to run (required when the config has several)
      --limit N         run at most N jobs per stage, the canary included
      --hosts a,b       only these hosts or host groups
      --var K=V         set a variable (repeatable; wins over the config's vars)
      --dry-run         print the plan (stages, hosts, steps); connect to nothing
      --shard K/N       run shard K of N of the run's hosts, the same ones in every stage
      --canary-only     run only every stage's canary (the job ahead of the shards)
      --report FILE     write the JSON report to FILE
      --html FILE       write the HTML report (one self-contained page) to FILE
      --release-id ID   the release id (BW_RELEASE; default: a UTC timestamp and a random suffix)
      --lock-wait D     wait up to D (30s, 5m) for a held deploy lock (overrides lock.wait)
  -i, --identity FILE   SSH private key (overrides ssh.private-key)
      --known-hosts FILE  known_hosts file (overrides ssh.known-hosts)
  -v, --verbose         debug output
  -m, --message TEXT    lock acquire: why the lock is held (shown to runs it refuses)
      --force           lock release: remove the lock whoever holds it

report html: writes the HTML report of a JSON report (a run's, or a merged one) to FILE
(default: beside it, .json made .html).

report merge: merges the JSON reports of a --canary-only run and --shard runs (files, or
directories of them) into the report of the whole release; exits as that release would have.

The deploy lock: "lock status" shows its holder; "lock acquire" takes it by hand (it never goes
stale) and prints its token; runs given that token in BW_LOCK_TOKEN re-enter it, and
"lock release" with the same BW_LOCK_TOKEN removes it.

Exit codes: 0 success, 1 the release failed (or the lock is held), 2 usage or config error,
130 cancelled.`;

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
  release: { flag: '--release-id' },
  lockWaitMs: { flag: '--lock-wait' },
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
  html: { type: 'string' },
  output: { type: 'string', short: 'o' },
  'release-id': { type: 'string' },
  'lock-wait': { type: 'string' },
  identity: { type: 'string', short: 'i' },
  'known-hosts': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  message: { type: 'string', short: 'm' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
}

/** Flags that only mean something to one command. */
const ONLY_FOR: Readonly<Record<string, string>> = {
  message: 'lock acquire',
  force: 'lock release',
  runner: 'run',
  limit: 'run',
  hosts: 'run',
  'dry-run': 'run',
  shard: 'run',
  'canary-only': 'run',
  report: 'run',
  html: 'run',
  output: 'report html',
  'release-id': 'run',
  verbose: 'run',
};

/** `env`: where BW_LOCK_TOKEN is read from (the process environment). */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = {}): CliCommand {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [command, ...extra] = positionals;
  if (!command) throw new UsageError('missing command: run, validate, report merge, report html or lock');
  if (command === 'report') return parseReportCommand(extra, values);
  if (command === 'lock') return lockCommand(values, extra, env);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (command === 'validate') {
    return { kind: 'validate', ...(values.config ? { configPath: values.config } : {}) };
  }
  if (command !== 'run')
    throw new UsageError(
      `unknown command "${command}": expected run, validate, report merge, report html or lock`,
    );
  refuseFlagsOf(values, 'run');
  return {
    kind: 'run',
    settings: settingsOf(values, env),
    verbose: values.verbose ?? false,
    ...(values.html ? { htmlPath: values.html } : {}),
  };
}

function lockCommand(values: Values, extra: readonly string[], env: NodeJS.ProcessEnv): CliCommand {
  const [action, ...more] = extra;
  if (!action) throw new UsageError(`lock: missing action: ${LOCK_ACTIONS.join(', ')}`);
  if (!LOCK_ACTIONS.includes(action as LockAction)) {
    throw new UsageError(`lock: unknown action "${action}": expected ${LOCK_ACTIONS.join(', ')}`);
  }
  if (more.length > 0) throw new UsageError(`unexpected argument "${more[0]}"`);
  refuseFlagsOf(values, `lock ${action}`);
  return {
    kind: 'lock',
    action: action as LockAction,
    settings: settingsOf(values, env),
    ...(values.message !== undefined ? { message: values.message } : {}),
    force: values.force ?? false,
  };
}

/** A flag of another command is a mistake, not something to ignore (`lock status --force`). */
function refuseFlagsOf(values: Values, command: string): void {
  for (const [flag, owner] of Object.entries(ONLY_FOR)) {
    if ((values as Record<string, unknown>)[flag] !== undefined && owner !== command) {
      throw new UsageError(`--${flag} is an option of "boerewors ${owner}", not of "boerewors ${command}"`);
    }
  }
}

function settingsOf(values: Values, env: NodeJS.ProcessEnv): ReleaseSettings {
  const vars: Record<string, string> = {};
  for (const assignment of values.var ?? []) {
    const [k, v] = settingText.parseVarAssignment(assignment, CLI_SOURCES.vars);
    vars[k] = v;
  }
  const lockToken = settingText.parseLockToken(env.BW_LOCK_TOKEN);
  return {
    vars,
    secretVars: {},
    dryRun: values['dry-run'] ?? false,
    // An option not given (or given empty where empty means nothing) is undefined.
    configPath: values.config || undefined,
    runner: values.runner || undefined,
    limit:
      values.limit === undefined
        ? undefined
        : settingText.parsePositiveInteger(values.limit, CLI_SOURCES.limit),
    hosts: values.hosts === undefined ? undefined : settingText.parseList(values.hosts, CLI_SOURCES.hosts),
    shard: values.shard === undefined ? undefined : settingText.parseShard(values.shard, CLI_SOURCES.shard),
    canaryOnly: values['canary-only'] || undefined,
    reportPath: values.report || undefined,
    release:
      values['release-id'] === undefined
        ? undefined
        : settingText.parseReleaseId(values['release-id'], CLI_SOURCES.release),
    lockWaitMs:
      values['lock-wait'] === undefined
        ? undefined
        : settingText.parseDurationSetting(values['lock-wait'], CLI_SOURCES.lockWaitMs),
    lockToken: lockToken || undefined,
    identityPath: values.identity || undefined,
    knownHostsPaths: values['known-hosts'] ? [values['known-hosts']] : undefined,
    sources: CLI_SOURCES,
  };
}

/** Options `report merge` takes; any other is a mistake worth saying rather than ignoring. */
const MERGE_OPTIONS: ReadonlySet<string> = new Set(['report', 'verbose']);

function parseReportCommand(args: readonly string[], values: Values): CliCommand {
  const [sub, ...files] = args;
  if (sub === 'html') return parseHtmlCommand(files, values);
  if (sub !== 'merge') {
    throw new UsageError(
      sub === undefined
        ? 'missing subcommand: report merge or report html'
        : `unknown subcommand "report ${sub}": expected report merge or report html`,
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

/** `report html REPORT.json [-o FILE]`: one report in, one page out. */
function parseHtmlCommand(files: readonly string[], values: Values): CliCommand {
  const stray = Object.keys(values).find((k) => k !== 'output');
  if (stray)
    throw new UsageError(`--${stray} is not an option of "report html" (it takes REPORT.json and -o FILE)`);
  const [file, ...more] = files;
  if (file === undefined) throw new UsageError('report html: expected the JSON report to draw');
  if (more.length > 0) throw new UsageError(`report html: one JSON report at a time, got ${files.length}`);
  return { kind: 'html', file, ...(values.output ? { outputPath: values.output } : {}) };
}
