/**
 * JavaScript-module configs. The default export is a config object or a function
 * `(api) => config | Promise<config>`, where `api` is this library (`src/index.ts`, handed in by the
 * caller so config does not import the entry that imports it): a config run by the bundled action
 * has no `node_modules` to import the package from, so the function form is the portable one.
 * `ssh`, `hosts` and `vars` are validated like YAML (errors name the path, not a line); `runners` is a
 * list of Runner objects, or a map name → Runner object or YAML-style runner (whose stages may give
 * `job: (host) => Job` instead of `steps`).
 */
import { pathToFileURL } from 'node:url';
import { Runner } from '../engine/model/runner.js';
import { ConfigError, errorMessage } from '../contract/errors.js';
import { assembleConfig } from './assemble.js';
import type { LoadedConfig, RunnerSource } from './assemble.js';
import { ConfigValidationError } from './config-error.js';
import type { ConfigIssue } from './config-error.js';
import { describeValue, validate } from './issues.js';
import { fileLocator } from './locator.js';
import type { ConfigPath } from './locator.js';
import { moduleConfigSchema } from './module-schema.js';
import type { ModuleRunnerConfig } from './module-schema.js';

/** The library's exports, as `src/index.ts` hands them to a config function. */
export type LibraryApi = object;

/** What a config module's default export may be. */
export type ConfigModuleExport = object | ((library: never) => object | Promise<object>);

export async function loadModuleConfig(
  file: string,
  absolutePath: string,
  vars: Readonly<Record<string, string>> | undefined,
  api: LibraryApi | undefined,
): Promise<LoadedConfig> {
  let exported: unknown;
  try {
    // webpackIgnore: the bundled action (ncc) must leave this a real runtime import of the user's file.
    const url = pathToFileURL(absolutePath).href;
    exported = ((await import(/* webpackIgnore: true */ url)) as { default?: unknown }).default;
  } catch (e) {
    throw new ConfigError(`${file}: cannot load the module: ${errorMessage(e)}`);
  }
  if (exported === undefined) {
    throw new ConfigError(`${file}: no default export; export a config object or a function (api) => config`);
  }
  let value: unknown = exported;
  if (typeof exported === 'function') {
    // A programming error, not the user's: every caller that loads modules hands the API in.
    if (!api) throw new TypeError('loading a config function needs the library API (options.api)');
    try {
      value = await (exported as (library: LibraryApi) => unknown)(api);
    } catch (e) {
      throw new ConfigError(`${file}: the config function failed: ${errorMessage(e)}`);
    }
  }
  if (!isPlainObject(value)) {
    throw new ConfigError(
      `${file}: expected the default export to be a config object or a function returning one, got ${describeValue(value)}`,
    );
  }
  return moduleConfig(value, file, vars);
}

/** Validate a module's config object (already imported). Pure: no I/O. */
export function moduleConfig(
  value: Readonly<Record<string, unknown>>,
  file: string,
  vars?: Readonly<Record<string, string>>,
): LoadedConfig {
  const locator = fileLocator(file);
  const { order, instances, rest } = splitRunners(value.runners, file);
  const config = validate(moduleConfigSchema, { ...value, runners: rest }, locator);
  const runners: RunnerSource[] = order.map((name) => {
    const runner = instances.get(name);
    return runner ? { name, runner } : { name, config: config.runners[name] as ModuleRunnerConfig };
  });
  if (runners.length === 0) throw fail(file, ['runners'], 'expected at least one runner');
  return assembleConfig(
    {
      // The blocks (ssh, hosts, vars, lock, releases) as validated; an absent one stays absent.
      ...config,
      file,
      format: 'module',
      locator,
      runners,
    },
    vars,
  );
}

/** A Runner of this library, or of another copy of it (duck-typed). */
export function isRunnerLike(value: unknown): value is Runner {
  if (value instanceof Runner) return true;
  const candidate = value as { name?: unknown; stages?: unknown } | null;
  return (
    typeof value === 'object' &&
    candidate !== null &&
    typeof candidate.name === 'string' &&
    typeof candidate.stages === 'function'
  );
}

/** Take the Runner objects out of `runners`; the rest is validated by the schema. */
function splitRunners(
  runners: unknown,
  file: string,
): { order: string[]; instances: Map<string, Runner>; rest: unknown } {
  const order: string[] = [];
  const instances = new Map<string, Runner>();
  if (Array.isArray(runners)) {
    for (const [i, runner] of runners.entries()) {
      if (!isRunnerLike(runner)) {
        throw fail(
          file,
          ['runners', i],
          `expected a Runner (a map name → runner takes YAML-style runners), got ${describeValue(runner)}`,
        );
      }
      if (instances.has(runner.name))
        throw fail(file, ['runners', i], `duplicate runner name "${runner.name}"`);
      instances.set(runner.name, runner);
      order.push(runner.name);
    }
    return { order, instances, rest: {} };
  }
  if (!isPlainObject(runners)) return { order, instances, rest: runners };
  const rest: Record<string, unknown> = {};
  for (const [name, runner] of Object.entries(runners)) {
    order.push(name);
    if (!isRunnerLike(runner)) rest[name] = runner;
    else if (runner.name !== name) {
      throw fail(
        file,
        ['runners', name],
        `the Runner is named "${runner.name}"; give it the name of its key`,
      );
    } else instances.set(name, runner);
  }
  return { order, instances, rest };
}

function fail(file: string, path: ConfigPath, message: string): ConfigValidationError {
  const issue: ConfigIssue = { file, path, message };
  return new ConfigValidationError([issue]);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  // Any realm's Object.prototype (a module may run in another vm context, as under Jest).
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}
