/**
 * Leaf schemas of the release config — booleans, counts, durations, percentages, shells, host
 * entries — each with the `expected …` message that `issues.ts` completes with what was found.
 */
import { z } from 'zod';
import {
  DURATION_PATTERN,
  LOCAL_NAME_PATTERN,
  LOCAL_PREFIX,
  PERCENT_PATTERN,
  USER_PATTERN,
  isValidAddress,
  parseDuration,
  parseHostEntry,
  parsePercent,
} from './formats.js';

/** Zod params for a leaf: its issue message is `expected <what>`. */
export const expected = (what: string) => ({ error: `expected ${what}` });

export const bool = () => z.boolean(expected('true or false'));

export const POSITIVE_INT = 'a positive integer';
export const positiveInt = () => z.int(expected(POSITIVE_INT)).min(1, expected(POSITIVE_INT));
export const NON_NEGATIVE_INT = 'an integer, 0 or more';
export const nonNegativeInt = () => z.int(expected(NON_NEGATIVE_INT)).min(0, expected(NON_NEGATIVE_INT));

export const PORT = 'a port number (1-65535)';
export const port = () => z.int(expected(PORT)).min(1, expected(PORT)).max(65_535, expected(PORT));

export const nonEmptyString = (what: string) => z.string(expected(what)).min(1, expected(what));

/** A duration string, converted to milliseconds. */
export function duration(opts: { allowZero: boolean }) {
  const what = opts.allowZero
    ? 'a duration like 500ms, 10s, 5m or 1h'
    : 'a positive duration like 500ms, 10s, 5m or 1h';
  return z
    .string(expected(what))
    .regex(new RegExp(DURATION_PATTERN), expected(what))
    .refine((text) => (parseDuration(text) ?? -1) > (opts.allowZero ? -1 : 0), expected(what))
    .transform((text) => parseDuration(text) as number);
}

/** A count or a percentage of the stage's jobs (`25%`). */
export function amount(opts: { allowZero: boolean }) {
  const what = opts.allowZero
    ? 'a count (0 or more) or a percentage like 10%'
    : 'a positive count or a percentage like 25%';
  const count = z.int(expected(what)).min(opts.allowZero ? 0 : 1, expected(what));
  const percent = z
    .string(expected(what))
    .regex(new RegExp(PERCENT_PATTERN), expected(what))
    .refine((text) => (parsePercent(text) ?? -1) > (opts.allowZero ? -1 : 0), expected(what));
  return z.union([count, percent], expected(what));
}

export const SHELL = 'a shell command line or a list of its arguments';
export const shell = () =>
  z
    .union(
      [
        z.string(expected(SHELL)).regex(/\S/, expected(SHELL)),
        z.array(nonEmptyString('a shell argument'), expected(SHELL)).min(1, expected(SHELL)),
      ],
      expected(SHELL),
    )
    .describe(
      'Interpreter that runs the script, given as a file path (/dev/fd/4) with stdin at /dev/null. Default: bash --noprofile --norc -eo pipefail. ' +
        'A string is split on whitespace.',
    );

export const HOST_ENTRY = 'a host entry: "name", "user@name:port" or "local:NAME"';
export const hostString = () =>
  z
    .string(expected(HOST_ENTRY))
    .refine((text) => parseHostEntry(text) !== undefined, expected(HOST_ENTRY))
    .describe('A host: "name", "user@name:port" or "local:NAME" (runs on this machine with bash).');

export const HOST_NAME = 'a host name without spaces or commas';
export const hostObjectSchema = z
  .strictObject(
    {
      name: z
        .string(expected(HOST_NAME))
        .regex(/^[^\s,]+$/, expected(HOST_NAME))
        .describe('Name shown in logs and matched by --hosts; "local:NAME" for an embedded local host.'),
      address: z
        .string(expected('a DNS name or an IP address'))
        .refine(isValidAddress, expected('a DNS name or an IP address'))
        .optional()
        .describe('Where to connect. Default: the name.'),
      port: port().optional().describe('SSH port. Default: ssh.port.'),
      user: z
        .string(expected('a user name'))
        .regex(new RegExp(USER_PATTERN), expected('a user name'))
        .optional()
        .describe('SSH user. Default: ssh.user.'),
    },
    expected('a host: a string or a map {name, address, port, user}'),
  )
  .superRefine((host, ctx) => {
    if (!host.name.startsWith(LOCAL_PREFIX)) return;
    if (!new RegExp(LOCAL_NAME_PATTERN).test(host.name.slice(LOCAL_PREFIX.length))) {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: `expected "local:NAME" with a NAME like a, web-1`,
      });
    }
    for (const key of ['address', 'port', 'user'] as const) {
      if (host[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `a local host takes no ${key}` });
      }
    }
  });

export type HostObject = z.output<typeof hostObjectSchema>;

export const hostEntry = () =>
  z.union(
    [hostString(), hostObjectSchema],
    expected('a host: a string or a map {name, address, port, user}'),
  );

export const GROUP_NAME = 'a group name (letters, digits, "-" and "_")';
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

export const stageHost = () =>
  z
    .union(
      [z.string(expected('a group name or a host entry')), hostObjectSchema],
      expected('a group name, a host entry or a map {name, address, port, user}'),
    )
    .describe('A host group name, or a host entry.');
