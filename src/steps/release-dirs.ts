/**
 * The release directories the built-in `release:` steps work on (docs/releases.md): what config
 * resolves from the `releases:` block and what the steps and their host scripts act on.
 */

/** The built-in `release:` steps. */
export const RELEASE_ACTIONS = ['prepare', 'switch', 'prune', 'rollback', 'undo'] as const;
export type ReleaseAction = (typeof RELEASE_ACTIONS)[number];

/** A path linked into every release from `PATH/shared/`. */
export interface SharedPath {
  /** Relative to the release, without a trailing `/`. */
  readonly path: string;
  /** Written with a trailing `/`: a directory (created when missing); else a file (must exist). */
  readonly directory: boolean;
}

/** The `releases:` block (docs/releases.md). */
export interface ReleaseDirs {
  /** As written: `${NAME}` is expanded per job. */
  readonly path: string;
  readonly keep: number;
  readonly shared: readonly SharedPath[];
  /**
   * The deadline of each release-directory script on a host (the `release:` steps and the
   * rollback's read of `current`), ms. Default `DEFAULT_RELEASE_SCRIPT_TIMEOUT_MS`.
   */
  readonly timeoutMs?: number;
}

/**
 * `releases.timeout` when not given: 10 minutes. The scripts take a second or two; a `prune` that
 * removes large releases from a slow disk takes longer. A host that goes silent fails its job at
 * this deadline instead of holding the run.
 */
export const DEFAULT_RELEASE_SCRIPT_TIMEOUT_MS = 10 * 60_000;

/** The deadline of each release-directory script on a host, ms: `releases.timeout` or the default. */
export function releaseScriptTimeoutMs(dirs: ReleaseDirs): number {
  return dirs.timeoutMs ?? DEFAULT_RELEASE_SCRIPT_TIMEOUT_MS;
}
