import { ConfigError } from '../contract/errors.js';
import { formatPath } from './locator.js';
import type { ConfigPath, Locator, Position } from './locator.js';

/** One problem in a config, with where it is. */
export interface ConfigIssue {
  readonly file: string;
  /** Known for YAML configs, not for JavaScript modules. */
  readonly position?: Position;
  readonly path: ConfigPath;
  /** What is wrong, without the location: `expected a positive integer, got "ten"`. */
  readonly message: string;
}

/** `release.yml:12:5: runners.deploy.stages[0].pool-size: expected a positive integer, got "ten"`. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.position ? `${issue.file}:${issue.position.line}:${issue.position.col}` : issue.file;
  const path = formatPath(issue.path);
  return `${where}: ${path ? `${path}: ` : ''}${issue.message}`;
}

/** At most this many issues are listed in one message; the rest are counted. */
export const MAX_LISTED_ISSUES = 10;

/**
 * A config that failed validation. `message` lists the issues one per line (in file order, at most
 * ten); `issues` keeps them structured, e.g. for annotations at `file:line:col`.
 */
export class ConfigValidationError extends ConfigError {
  constructor(readonly issues: readonly ConfigIssue[]) {
    const listed = issues.slice(0, MAX_LISTED_ISSUES).map(formatIssue);
    const more = issues.length - listed.length;
    super([...listed, ...(more > 0 ? [`… and ${more} more`] : [])].join('\n'));
  }
}

/** A single positioned config error (used after schema validation: groups, vars, duplicates). */
export function configIssueError(
  locator: Locator,
  path: ConfigPath,
  message: string,
  opts?: { key?: boolean },
): ConfigValidationError {
  const position = locator.position(path, opts);
  return new ConfigValidationError([
    { file: locator.file, path, message, ...(position ? { position } : {}) },
  ]);
}
