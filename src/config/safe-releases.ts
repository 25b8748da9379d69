/**
 * The `lock:` and `releases:` blocks, validated → the settings the pipeline and the release steps
 * use. Cross-references the schema cannot check (the lock host is a host of the config) fail here,
 * at the position of the value.
 */
import { basename, extname } from 'node:path';
import type { Host } from '../contract/host.js';
import { configIssueError } from './config-error.js';
import { didYouMean } from './did-you-mean.js';
import type { Locator } from './locator.js';
import type { ReleaseDirs } from '../steps/release-dirs.js';
import { LOCK_NAME_PATTERN, type LockBlock, type ReleasesBlock } from './schema-releases.js';

/** `lock.stale-after` when not given. */
export const DEFAULT_STALE_AFTER_MS = 10 * 60_000;
/** `releases.keep` when not given. */
export const DEFAULT_KEEP = 5;

/** The deploy lock as the config asks for it (docs/lock.md). */
export interface LockSettings {
  /**
   * `off`: `lock: false`. `on`: `lock: true` or a map: every run takes it. `auto`: no `lock:` key:
   * a run takes it when its runner touches a non-local host.
   */
  readonly mode: 'off' | 'on' | 'auto';
  /**
   * Where it is taken: `lock.host`, else the first non-local host the config names (for `on`, else
   * its first host). Undefined only when the config names no host it could be taken on.
   */
  readonly host: Host | undefined;
  /** `~/.boerewors/locks/NAME` on the lock host. */
  readonly name: string;
  /** How long to wait for a held lock; 0: fail at once. */
  readonly waitMs: number;
  /** A holder whose heartbeat is older than this is taken over. */
  readonly staleAfterMs: number;
}

export function resolveLock(
  block: LockBlock | undefined,
  hosts: readonly Host[],
  file: string,
  locator: Locator,
): LockSettings {
  const map = typeof block === 'object' ? block : {};
  const mode = block === undefined ? 'auto' : block === false ? 'off' : 'on';
  let host: Host | undefined;
  if (map.host !== undefined) {
    host = hosts.find((h) => h.name === map.host);
    if (!host) {
      const names = hosts.map((h) => h.name);
      const hint = didYouMean(map.host, names) || (names.length ? ` (hosts: ${names.join(', ')})` : '');
      throw configIssueError(locator, ['lock', 'host'], `unknown host "${map.host}"${hint}`);
    }
  } else {
    host = hosts.find((h) => !h.local) ?? (mode === 'on' ? hosts[0] : undefined);
    if (!host && mode === 'on')
      throw configIssueError(locator, ['lock'], 'the config names no host to take the lock on');
  }
  return {
    mode,
    host,
    name: map.name ?? defaultLockName(file),
    waitMs: map.wait ?? 0,
    staleAfterMs: map['stale-after'] ?? DEFAULT_STALE_AFTER_MS,
  };
}

/**
 * The config file's name without its extension (`.github/release.yml` → `release`), made a valid
 * lock name: so `deploy` and `rollback` of one config exclude each other, and two apps whose
 * configs are named apart do not.
 */
export function defaultLockName(file: string): string {
  const stem = basename(file, extname(file))
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 100);
  return LOCK_NAME_PATTERN.test(stem) ? stem : 'release';
}

export function resolveReleases(block: ReleasesBlock | undefined): ReleaseDirs | undefined {
  if (!block) return undefined;
  return {
    path: block.path,
    keep: block.keep ?? DEFAULT_KEEP,
    ...(block.timeout !== undefined ? { timeoutMs: block.timeout } : {}),
    shared: (block.shared ?? []).map((path) => ({
      path: path.replace(/\/$/, ''),
      directory: path.endsWith('/'),
    })),
  };
}
