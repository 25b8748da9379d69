/** The release config a run or a command works with: the file the settings name, or the one found. */
import type { LoadedConfig } from '../config/index.js';
import { findConfigFile, loadConfig } from '../config/load-config.js';
// What a JavaScript config's default-export function receives: the library.
import * as library from '../index.js';
import type { Redactor } from './secrets.js';
import type { ReleaseSettings } from './settings.js';

export interface LoadOptions {
  /** Directory the config is looked for in, and relative paths are relative to. Default: the working directory. */
  cwd?: string;
  /** The release's redactor, when the front end made it earlier (to redact its own errors). */
  redactor?: Redactor;
}

/** The config the settings name (or the one found in `cwd`), with their variables when given. */
export async function loadSettingsConfig(
  settings: Partial<Pick<ReleaseSettings, 'configPath' | 'vars' | 'secretVars'>>,
  opts: LoadOptions,
): Promise<{ file: string; config: LoadedConfig }> {
  const cwd = opts.cwd ?? process.cwd();
  const file = settings.configPath ?? (await findConfigFile(cwd));
  const vars = settings.vars && { vars: { ...settings.vars, ...settings.secretVars } };
  return { file, config: await loadConfig(file, { ...vars, cwd, api: library }) };
}
