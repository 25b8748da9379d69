/**
 * The library API: the same engine the action and the CLI use. A JavaScript config module's
 * default-export function receives exactly this module as its argument.
 */
export { Ok, Err, Skip, isSuccess, type Outcome } from './engine/model/result.js';
export {
  Job,
  isJob,
  type JobContext,
  type JobBody,
  type Subtask,
  type SubtaskResult,
} from './engine/model/job.js';
export { Stage, type StageOptions, type StageContext, type Amount } from './engine/model/stage.js';
export { Runner, type RunnerOptions, type RunContext } from './engine/model/runner.js';
export { Executor, type ExecutorOptions } from './engine/schedule/executor.js';
export { remote, local, upload } from './engine/model/subtask.js';
export type {
  ExecTask,
  ExecOptions,
  CapturedResult,
  UploadTask,
  UploadOptions,
} from './engine/model/subtask.js';
export type { UploadTotals } from './engine/report/upload-totals.js';
export { CONTROLLER, hostLabel, type Host } from './contract/host.js';
export type { EngineEvent } from './engine/report/events.js';
export type { RunReport, StageReport, JobReport, LeftBehind } from './engine/report/report.js';
export { DEFAULT_SHELL } from './contract/transport.js';
export type {
  Transport,
  ExecRequest,
  ExecResult,
  UploadRequest,
  UploadResult,
  TransportCallContext,
  Stream,
} from './contract/transport.js';
export { LocalTransport } from './transport/local.js';
export { DryRunTransport } from './transport/dry-run.js';
export { RoutingTransport } from './transport/routing.js';
export { createSshTransport } from './transport/ssh/ssh-transport.js';
export type { SshHooks } from './transport/remote/hooks.js';
export {
  DEFAULT_SSH_OPTIONS,
  type SshOptions,
  type HostKeyChecking,
  type JumpHost,
} from './contract/ssh-options.js';
import type { LoadConfigOptions, LoadedConfig } from './config/assemble.js';
import * as library from './index.js';
export { selectRunner, resolveHostFilter } from './config/select.js';
export { StepsJob } from './steps/steps-job.js';
export { parseHostEntry } from './config/formats.js';
export type { LoadedConfig, LoadConfigOptions } from './config/assemble.js';

// The config loader (zod, yaml: ~0.1 s of start-up) is imported on first use: a library user who
// builds runners in code never pays for it.

/** Finds `.github/release.yml` or `release.yml` under `cwd`. */
export async function findConfigFile(cwd?: string): Promise<string> {
  return (await import('./config/load-config.js')).findConfigFile(cwd);
}

/**
 * Loads and validates a YAML or JavaScript-module release config. A module's default-export
 * function is called with this very module, the library API.
 */
export async function loadConfig(file: string, opts?: LoadConfigOptions): Promise<LoadedConfig> {
  return (await import('./config/load-config.js')).loadConfig(file, { ...opts, api: library });
}
export { toJsonReport, type JsonReport } from './reporters/json.js';
export * from './contract/errors.js';
