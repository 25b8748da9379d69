/**
 * Validated config blocks → the LoadedConfig the CLI, the action and the library use. Shared by
 * YAML and JavaScript-module configs.
 */
import type { Host } from '../contract/host.js';
import type { Runner } from '../engine/model/runner.js';
import { VAR_NAME } from '../contract/transport.js';
import { UsageError } from '../contract/errors.js';
import type { SshOptions } from '../contract/ssh-options.js';
import { HostCatalog, resolveGroups } from './hosts.js';
import type { RawHost } from './hosts.js';
import type { Locator } from './locator.js';
import { buildRunner, checkVarRefs, type RunnerFootprint } from './build-runners.js';
import { JOB_VARS, RESERVED_VARS, RUN_VARS } from './schema.js';
import type { ModuleRunnerConfig } from './module-schema.js';
import type { RunnerConfig, SshConfig } from './schema.js';
import type { LockBlock, ReleasesBlock } from './schema-releases.js';
import type { ReleaseDirs } from '../steps/release-dirs.js';
import { resolveLock, resolveReleases, type LockSettings } from './safe-releases.js';
import { checkSshClient, resolveSsh } from './ssh.js';

/** A loaded, validated release config, ready to run. */
export interface LoadedConfig {
  /** The config file, as given (or as found by `findConfigFile`). */
  readonly file: string;
  readonly format: 'yaml' | 'module';
  /** The `ssh:` block with defaults applied; CLI flags and action inputs still override it. */
  readonly ssh: SshOptions;
  /** Host groups by name, each host once, in config order. */
  readonly groups: Readonly<Record<string, readonly Host[]>>;
  /** Every host the config names (groups and stage entries), each once. */
  readonly hosts: readonly Host[];
  /** Config vars with the overrides applied (config < overrides). */
  readonly vars: Readonly<Record<string, string>>;
  /** In config order. */
  readonly runners: readonly Runner[];
  readonly runnerNames: readonly string[];
  /** Runners a JavaScript module gave as Runner objects: their hosts are only known when they run. */
  readonly customRunners: readonly string[];
  /** By name, for the runners built from config (not Runner objects): their hosts and upload sources. */
  readonly footprints: Readonly<Record<string, RunnerFootprint>>;
  /** Positions of config values (`file:line:col` for YAML), for messages about them. */
  readonly locator: Locator;
  /** The deploy lock: whether and where a run takes it (docs/lock.md). */
  readonly lock: LockSettings;
  /** The `releases:` block, when the config has one (docs/releases.md). */
  readonly releases?: ReleaseDirs;
}

export interface LoadConfigOptions {
  /** Variables that win over the config's (`--var`, action `vars` and `secret-vars`). */
  vars?: Readonly<Record<string, string>>;
  /** Directory relative paths are resolved against. Default: `process.cwd()`. */
  cwd?: string;
}

/** A runner in config order: YAML-style (built here) or a Runner object from a module. */
export type RunnerSource =
  | { readonly name: string; readonly config: RunnerConfig | ModuleRunnerConfig }
  | { readonly name: string; readonly runner: Runner };

export interface ConfigParts {
  readonly file: string;
  readonly format: 'yaml' | 'module';
  readonly locator: Locator;
  readonly ssh?: SshConfig;
  readonly hosts?: Readonly<Record<string, readonly RawHost[]>>;
  readonly vars?: Readonly<Record<string, string>>;
  readonly lock?: LockBlock;
  readonly releases?: ReleasesBlock;
  readonly runners: readonly RunnerSource[];
}

export function assembleConfig(
  parts: ConfigParts,
  overrides: Readonly<Record<string, string>> = {},
): LoadedConfig {
  checkOverrides(overrides);
  const ssh = resolveSsh(parts.ssh);
  const catalog = new HostCatalog(ssh, parts.locator);
  checkSshClient(parts.ssh, parts.locator);
  const groups = resolveGroups(parts.hosts ?? {}, catalog);
  const vars = { ...parts.vars, ...overrides };
  const releases = resolveReleases(parts.releases);
  if (releases) {
    const known = [...Object.keys(vars), ...JOB_VARS, ...RUN_VARS];
    checkVarRefs(releases.path, ['releases', 'path'], known, parts.locator, { releasesPath: true });
  }
  const ctx = { groups, catalog, vars, locator: parts.locator, ...(releases ? { releases } : {}) };
  const footprints: Record<string, RunnerFootprint> = {};
  const runners = parts.runners.map((source) => {
    if ('runner' in source) return source.runner;
    const built = buildRunner(source.name, source.config, ctx);
    footprints[source.name] = built.footprint;
    return built.runner;
  });
  return {
    file: parts.file,
    format: parts.format,
    ssh,
    groups,
    hosts: catalog.hosts,
    vars,
    runners,
    runnerNames: runners.map((runner) => runner.name),
    customRunners: parts.runners.filter((source) => 'runner' in source).map((source) => source.name),
    footprints,
    locator: parts.locator,
    // After the runners: hosts written only in stages count too, after those of the groups.
    lock: resolveLock(parts.lock, catalog.hosts, parts.file, parts.locator),
    ...(releases ? { releases } : {}),
  };
}

function checkOverrides(overrides: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(overrides)) {
    if (!VAR_NAME.test(name)) throw new UsageError(`invalid variable name "${name}"`);
    if (RESERVED_VARS.includes(name))
      throw new UsageError(`${name} is set by the tool for every job; choose another name`);
  }
}
