/**
 * The text of flags and inputs → setting values, the same way for the CLI and the action. Every
 * error is a UsageError that starts with the setting as the user gave it (`--limit: …`,
 * `Input "limit": …`) and never quotes a value that may be a secret.
 */
import { parseDuration } from '../config/formats.js';
import { UsageError } from '../contract/errors.js';
import { releaseIdProblem } from '../engine/model/release-id.js';
import { LOCK_TOKEN_PATTERN } from './lock/deploy-lock.js';
import { VAR_NAME } from '../contract/transport.js';
import { sourceLabel, type SettingSource } from './settings.js';

/** `5` → 5; anything but a whole number ≥ 1 is an error. Surrounding blanks are ignored. */
export function parsePositiveInteger(text: string, source: SettingSource): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${sourceLabel(source)}: expected a positive integer, got "${text}"`);
  }
  return n;
}

/**
 * Host or group names separated by commas, spaces or newlines. A list that names nothing (`''`,
 * `,`) is an error rather than "no filter" or "no hosts": it is usually an unset variable, and
 * neither running everywhere nor running nowhere is what was meant.
 */
export function parseList(text: string, source: SettingSource): string[] {
  const items = text.split(/[\s,]+/).filter(Boolean);
  if (items.length === 0) throw new UsageError(`${sourceLabel(source)}: expected names separated by commas`);
  return items;
}

/** YAML 1.2 core schema booleans, as `core.getBooleanInput` accepts them; empty is false. */
export function parseBoolean(text: string, source: SettingSource): boolean {
  if (text === '') return false;
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  if (['false', 'False', 'FALSE'].includes(text)) return false;
  throw new UsageError(`${sourceLabel(source)}: expected true or false, got "${text}"`);
}

/** `K=V` → [K, V]; the name must be a valid variable name. */
export function parseVarAssignment(text: string, source: SettingSource): [string, string] {
  const eq = text.indexOf('=');
  const name = eq === -1 ? text : text.slice(0, eq);
  // The text itself is not echoed: it may be a secret.
  if (eq === -1) throw new UsageError(`${sourceLabel(source)}: expected NAME=VALUE, found no "="`);
  if (!VAR_NAME.test(name)) throw new UsageError(`${sourceLabel(source)}: invalid variable name "${name}"`);
  return [name, text.slice(eq + 1)];
}

/** `30s`, `5m` (a duration as the config writes them, 0 allowed) → milliseconds. */
export function parseDurationSetting(text: string, source: SettingSource): number {
  const ms = parseDuration(text.trim());
  if (ms === undefined) {
    throw new UsageError(`${sourceLabel(source)}: expected a duration like 30s, 5m or 1h, got "${text}"`);
  }
  return ms;
}

/** A release id names a directory on every host: checked before anything runs. */
export function parseReleaseId(text: string, source: SettingSource): string {
  const id = text.trim();
  const problem = releaseIdProblem(id);
  if (problem) throw new UsageError(`${sourceLabel(source)}: ${problem}`);
  return id;
}

/** The environment variable a nested run (or a shard) is given its lock holder's token in. */
export const LOCK_TOKEN_ENV = 'BW_LOCK_TOKEN';

/**
 * BW_LOCK_TOKEN (or the action's `lock-token` input, the `source`): unset or empty means none;
 * anything else must look like a token. Never echoed.
 */
export function parseLockToken(text: string | undefined, source?: SettingSource): string | undefined {
  const token = text?.trim();
  if (!token) return undefined;
  if (!LOCK_TOKEN_PATTERN.test(token)) {
    throw new UsageError(
      `${source ? sourceLabel(source) : LOCK_TOKEN_ENV}: expected a lock token (8 to 128 letters, digits, "-" or "_", ` +
        'as "boerewors lock acquire" or the action\'s "lock: acquire" gives it)',
    );
  }
  return token;
}

/**
 * `2/3` → shard 2 of 3. K runs from 1 to N: a matrix of N jobs passes `${{ matrix.shard }}/N` with
 * `shard: [1, 2, …, N]`.
 */
export function parseShard(text: string, source: SettingSource): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(index) || !Number.isSafeInteger(count)) {
    throw new UsageError(`${sourceLabel(source)}: expected K/N (shard K of N, such as 2/3), got "${text}"`);
  }
  if (count < 1) throw new UsageError(`${sourceLabel(source)}: expected at least 1 shard, got "${text}"`);
  if (index < 1 || index > count) {
    throw new UsageError(
      `${sourceLabel(source)}: shard ${index} of ${count} does not exist: K runs from 1 to ${count}, got "${text}"`,
    );
  }
  return { index, count };
}
