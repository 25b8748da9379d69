/**
 * The action's only way to the workflow log: `@actions/core`'s log and annotation functions with
 * every message passed through `logText` first (control characters flattened, no line able to
 * start a workflow command), whoever wrote it. The rest of src/action/ writes through this (a lint
 * rule keeps `core.info` and its siblings out of every other file).
 */
import * as core from '@actions/core';
import { logLine, logText } from '../reporters/log-text.js';
import type { GitHubLog } from '../reporters/github-log.js';

type Properties = core.AnnotationProperties;

function safeProperties(p: Properties | undefined): Properties | undefined {
  return p?.title === undefined ? p : { ...p, title: logLine(p.title) };
}

export const log = {
  info: (message: string): void => core.info(logText(message)),
  debug: (message: string): void => core.debug(logText(message)),
  warning: (message: string, properties?: Properties): void =>
    core.warning(logText(message), safeProperties(properties)),
  error: (message: string, properties?: Properties): void =>
    core.error(logText(message), safeProperties(properties)),
  /** The step's failure: an error annotation and exit code 1. */
  setFailed: (message: string): void => core.setFailed(logText(message)),
  startGroup: (name: string): void => core.startGroup(logLine(name)),
  endGroup: (): void => core.endGroup(),
  /** What waits in stdout's pipe: host output is left out above a bound (src/reporters/output-backlog.ts). */
  pending: (): number => process.stdout.writableLength,
} satisfies GitHubLog & Record<string, unknown>;
