/** Release config: load (YAML or JavaScript module), validate, and build runners. */
export {
  loadConfig,
  loadYamlConfig,
  findConfigFile,
  DEFAULT_CONFIG_PATHS,
  ConfigNotFoundError,
} from './load-config.js';
export type { LoadedConfig, LoadConfigOptions } from './assemble.js';
export { moduleConfig, isRunnerLike, type ConfigModuleExport } from './js-module.js';
export { selectRunner, resolveHostFilter } from './select.js';
export { ConfigValidationError, formatIssue, type ConfigIssue } from './config-error.js';
export type { Position } from './locator.js';
export { StepsJob, type Step } from '../steps/steps-job.js';
export { parseHostEntry, parseDuration, parsePercent, type HostEntry } from './formats.js';
export { toHost } from './hosts.js';
export { generateJsonSchema, renderJsonSchema, JSON_SCHEMA_PATH } from './json-schema.js';
