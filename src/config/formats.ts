/**
 * Parsers for the small textual formats of a release config: durations, percentages, host entries,
 * jump hosts and shells. Pure functions; they return `undefined` for text they do not accept, so the
 * schema can use them both to validate and to convert.
 */
import type { Amount } from '../engine/model/stage.js';

const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** `500ms`, `10s`, `5m`, `1h` → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

export const DURATION_PATTERN = DURATION.source;
export const PERCENT_PATTERN = /^\d+(\.\d+)?%$/.source;

/** `25%` → 25 (a number in 0…100), else undefined. */
export function parsePercent(text: string): number | undefined {
  if (!new RegExp(PERCENT_PATTERN).test(text)) return undefined;
  const n = Number(text.slice(0, -1));
  return n <= 100 ? n : undefined;
}

/** A count or a percentage string, as the engine wants it. */
export function toAmount(value: number | string): Amount {
  return typeof value === 'number' ? value : { percent: parsePercent(value) as number };
}

/** A host as written in a config, before the `ssh:` defaults apply. */
export interface HostEntry {
  readonly name: string;
  readonly address: string;
  readonly port?: number;
  readonly user?: string;
  readonly local: boolean;
}

export const LOCAL_PREFIX = 'local:';
const LOCAL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const HOSTNAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;
/** `[user@]address[:port]`, where address may be `[ipv6]`. */
const REMOTE = /^(?:([^@\s]+)@)?(\[[^\]\s]+\]|[^:@\s[\]]+)(?::(\d+))?$/;

export const USER_PATTERN = USER.source;
export const LOCAL_NAME_PATTERN = LOCAL_NAME.source;

export function parsePort(value: number | string): number | undefined {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 65_535 ? n : undefined;
}

export function isValidUser(user: string): boolean {
  return USER.test(user);
}

export function isValidAddress(address: string): boolean {
  return HOSTNAME.test(address) || (address.includes(':') && IPV6.test(address));
}

/** `local:NAME` → the embedded local host of that name. */
export function localHostEntry(name: string): HostEntry | undefined {
  if (!name.startsWith(LOCAL_PREFIX) || !LOCAL_NAME.test(name.slice(LOCAL_PREFIX.length))) return undefined;
  return { name, address: 'localhost', local: true };
}

/** `[user@]address[:port]` (address may be `[ipv6]`) → its parts; the name is the address. */
export function parseRemoteAddress(text: string): HostEntry | undefined {
  const m = REMOTE.exec(text);
  if (!m) return undefined;
  const [, user, rawAddress, rawPort] = m as unknown as [
    string,
    string | undefined,
    string,
    string | undefined,
  ];
  const address = rawAddress.startsWith('[') ? rawAddress.slice(1, -1) : rawAddress;
  if (!isValidAddress(address) || (user !== undefined && !isValidUser(user))) return undefined;
  const port = rawPort === undefined ? undefined : parsePort(rawPort);
  if (rawPort !== undefined && port === undefined) return undefined;
  return {
    name: address,
    address,
    local: false,
    ...(port !== undefined ? { port } : {}),
    ...(user !== undefined ? { user } : {}),
  };
}

/** A host entry string: `local:NAME`, `name`, `user@name`, `name:port` or `user@name:port`. */
export function parseHostEntry(text: string): HostEntry | undefined {
  if (text.startsWith(LOCAL_PREFIX)) return localHostEntry(text);
  return parseRemoteAddress(text);
}

/**
 * A shell as written: a list is an argv; a string is split on whitespace (no quoting), so
 * `shell: sh -e` is `['sh', '-e']`.
 */
export function toShell(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? value.trim().split(/\s+/) : value;
}
