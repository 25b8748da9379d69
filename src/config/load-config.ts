/** Find, read and load a release config: YAML (`.yml`/`.yaml`) or a JavaScript module (`.mjs`/`.js`/`.cjs`). */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError } from '../contract/errors.js';
import { assembleConfig } from './assemble.js';
import type { LoadConfigOptions, LoadedConfig } from './assemble.js';
import { validate } from './issues.js';
import { loadModuleConfig, type LibraryApi } from './js-module.js';
import { configSchema, withoutExtensions } from './schema.js';
import { parseYamlSource } from './yaml-source.js';

/** Where a config is looked for when none is named, in order. */
export const DEFAULT_CONFIG_PATHS: readonly string[] = Object.freeze(['.github/release.yml', 'release.yml']);

const MODULE_EXTENSIONS = /\.(mjs|cjs|js)$/;

/** The first of DEFAULT_CONFIG_PATHS that exists in `cwd`, as that relative path. */
export async function findConfigFile(cwd: string = process.cwd()): Promise<string> {
  for (const candidate of DEFAULT_CONFIG_PATHS) {
    const info = await stat(resolve(cwd, candidate)).catch(() => undefined);
    if (info?.isFile()) return candidate;
  }
  throw new ConfigNotFoundError(
    `no release config found: looked for ${DEFAULT_CONFIG_PATHS.join(' and ')} in ${resolve(cwd)}`,
  );
}

/** The config file does not exist (a ConfigError, exit code 2); the message says where it looked. */
export class ConfigNotFoundError extends ConfigError {}

export interface ConfigLoadOptions extends LoadConfigOptions {
  /** What a JavaScript config's default-export function receives: the library (`src/index.ts`). */
  api?: LibraryApi;
}

/**
 * Load and validate a config file; relative paths are resolved against `opts.cwd` (default: the
 * working directory). Every problem is a ConfigError whose message starts with the file name.
 */
export async function loadConfig(file: string, opts: ConfigLoadOptions = {}): Promise<LoadedConfig> {
  const path = resolve(opts.cwd ?? process.cwd(), file);
  if (MODULE_EXTENSIONS.test(file)) {
    await assertReadable(file, path);
    return loadModuleConfig(file, path, opts.vars, opts.api);
  }
  return loadYamlConfig(await readText(file, path), file, opts.vars);
}

/** Validate YAML text as the config named `file`. Pure: no I/O. */
export function loadYamlConfig(
  text: string,
  file: string,
  vars?: Readonly<Record<string, string>>,
): LoadedConfig {
  const { data, locator } = parseYamlSource(text, file);
  const config = validate(configSchema, withoutExtensions(data), locator);
  return assembleConfig(
    {
      // The blocks (ssh, hosts, vars, lock, releases) as validated; an absent one stays absent.
      ...config,
      file,
      format: 'yaml',
      locator,
      runners: Object.entries(config.runners).map(([name, runner]) => ({ name, config: runner })),
    },
    vars,
  );
}

async function readText(file: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw readError(file, path, e);
  }
}

async function assertReadable(file: string, path: string): Promise<void> {
  const info = await stat(path).catch((e: unknown) => {
    throw readError(file, path, e);
  });
  if (!info.isFile()) throw new ConfigError(`${file}: not a file`);
}

function readError(file: string, path: string, e: unknown): ConfigError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return new ConfigNotFoundError(
      `config file not found: ${file}${path === file ? '' : ` (looked for ${path})`}`,
    );
  }
  if (code === 'EISDIR') return new ConfigError(`${file}: not a file`);
  return new ConfigError(`${file}: cannot read: ${(e as Error).message}`);
}
