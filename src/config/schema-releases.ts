/**
 * The config blocks of safe releases (docs/lock.md, docs/releases.md): the top-level `lock:` and
 * `releases:` blocks, and the `release:` step. Kept apart from schema.ts, which imports them.
 */
import { z } from 'zod';
import { RELEASE_ACTIONS } from '../steps/release-dirs.js';
import { duration, expected, nonEmptyString, positiveInt } from './schema-values.js';

export const LOCK_NAME = 'a lock name (letters, digits, ".", "-" and "_", not starting with ".")';
export const LOCK_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;

const lockMap = z
  .strictObject(
    {
      host: nonEmptyString('a host name from the config')
        .optional()
        .describe(
          'Host the lock is taken on. Default: the first non-local host under hosts: (the same for every runner).',
        ),
      name: z
        .string(expected(LOCK_NAME))
        .regex(LOCK_NAME_PATTERN, expected(LOCK_NAME))
        .optional()
        .describe(
          "Lock name: the lock is ~/.boerewors/locks/NAME on the lock host. Default: the config file's name without extension.",
        ),
      wait: duration({ allowZero: true })
        .optional()
        .describe('Wait up to this long for a held lock before giving up. Default 0s: fail at once.'),
      'stale-after': duration({ allowZero: false })
        .optional()
        .describe('A holder whose heartbeat is older than this is taken over, with a warning. Default 10m.'),
    },
    expected('false, true or a map {host, name, wait, stale-after}'),
  )
  .describe('Deploy lock settings.');

export const lockSchema = z
  .union([z.boolean(), lockMap], expected('false, true or a map {host, name, wait, stale-after}'))
  .describe(
    'The deploy lock: on by default when a runner touches a non-local host; false turns it off, true or a map turns it on.',
  );

export type LockBlock = z.output<typeof lockSchema>;

const SHARED_PATH =
  'a relative path inside the release, like storage/ or .env (a trailing / marks a directory)';

/** Why `path` cannot be a shared path, or undefined when it can. */
export function sharedPathProblem(path: string): string | undefined {
  // Tabs and newlines would break the lines the release scripts read shared paths from.
  if ([...path].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    return 'a shared path cannot hold control characters (tabs, newlines)';
  if (path.startsWith('/') || path.startsWith('~'))
    return `expected ${SHARED_PATH}: it is not relative to the release`;
  const parts = path.replace(/\/$/, '').split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..'))
    return `expected ${SHARED_PATH}: it has an empty, "." or ".." part`;
  return undefined;
}

export const releasesSchema = z
  .strictObject(
    {
      path: nonEmptyString('a directory on the host, like /srv/shop').describe(
        'Directory holding releases/, current, shared/ and .boerewors/ on each host; ${NAME} is expanded per job (BW_HOST too). Relative: to the login user’s home (SSH) or the working directory (local:).',
      ),
      keep: positiveInt()
        .optional()
        .describe(
          'Releases that went live kept by release: prune (current and previous always stay). Default 5.',
        ),
      shared: z
        .array(
          z
            .string(expected(SHARED_PATH))
            .min(1, expected(SHARED_PATH))
            .superRefine((path, ctx) => {
              const problem = sharedPathProblem(path);
              if (problem) ctx.addIssue({ code: 'custom', message: problem });
            }),
          expected('a list of paths like [storage/, .env]'),
        )
        .optional()
        .describe(
          'Paths linked into every release from PATH/shared/ by release: prepare: a trailing / marks a directory (created when missing), else a file (must exist).',
        ),
      timeout: duration({ allowZero: false })
        .optional()
        .describe(
          'Deadline of each release: step on a host (and of the rollback’s read of current): past it the step fails. Default 10m.',
        ),
    },
    expected('a map {path, keep, shared, timeout}'),
  )
  .describe(
    'Release directories on every host: releases/ID, an atomic current symlink, shared paths, a history.',
  );

export type ReleasesBlock = z.output<typeof releasesSchema>;

export const releaseStepSchema = z
  .enum(RELEASE_ACTIONS, expected(`one of ${RELEASE_ACTIONS.join(', ')}`))
  .describe(
    'A built-in step on the releases: directories: prepare (create releases/$BW_RELEASE, link shared paths), switch (current → it, atomically), prune, rollback, undo.',
  );
