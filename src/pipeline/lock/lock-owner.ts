/** Who holds a deploy lock: what owner.json says, and how messages and the report tell it. */
import { randomBytes } from 'node:crypto';
import type { LockReport } from '../../contract/lock-report.js';
import { safeHttpUrl } from '../../reporters/github-escape.js';

/** What owner.json holds: who has the lock, for the messages of everyone it refuses. */
export interface LockOwner {
  token: string;
  who: string;
  runner?: string;
  release?: string;
  runUrl?: string;
  /** Host name and pid of the controller that holds it. */
  controller: string;
  pid: number;
  /** ISO-8601. */
  started: string;
  /** Taken by hand (`boerewors lock acquire`): never stale. */
  manual?: boolean;
  message?: string;
}

/** A token: who may re-enter and release a lock. Random, hex. */
export function newLockToken(): string {
  return randomBytes(16).toString('hex');
}

/** What a holder read from a lock host is: owner.json's valid fields, and what was wrong with it. */
export type ReadOwner = Partial<LockOwner> & {
  /** owner.json was there but not what a run writes: why (the fields it had are dropped). */
  readonly malformed?: string;
};

/** owner.json larger than this is not read. */
export const OWNER_MAX_BYTES = 8 * 1024;

type FieldCheck = (value: unknown) => unknown;

const text =
  (max: number): FieldCheck =>
  (v) =>
    typeof v === 'string' && v.length > 0 && v.length <= max ? flatten(v) : undefined;

/** The schema of owner.json: each field's check returns the value to keep, or undefined. */
const OWNER_FIELDS: Record<keyof LockOwner, FieldCheck> = {
  token: (v) => (typeof v === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(v) ? v : undefined),
  who: text(200),
  runner: text(200),
  release: text(200),
  // Kept in its safe form (parentheses, quotes, spaces and `<>` percent-encoded): it reaches the
  // messages, the summary and the JSON report, and nothing downstream should have to re-check it.
  runUrl: (v) => (typeof v === 'string' && v.length <= 2000 ? safeHttpUrl(v) : undefined),
  controller: text(300),
  pid: (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? v : undefined),
  started: (v) => (typeof v === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]{1,20}Z$/.test(v) ? v : undefined),
  manual: (v) => (typeof v === 'boolean' ? v : undefined),
  message: text(500),
};

/**
 * owner.json, as the lock host gave it, → the fields that pass the schema (types, lengths, allowed
 * characters: a control character in a text field becomes U+FFFD). A lock host is not trusted: what
 * it says is data for messages, never markup or a command. No text: an unknown holder.
 */
export function parseOwner(json: string | undefined): ReadOwner {
  if (!json) return {};
  if (Buffer.byteLength(json) > OWNER_MAX_BYTES) return { malformed: `larger than ${OWNER_MAX_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { malformed: 'not JSON' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { malformed: 'not a JSON object' };
  const owner: Record<string, unknown> = {};
  const bad: string[] = [];
  for (const [key, check] of Object.entries(OWNER_FIELDS)) {
    const given = (value as Record<string, unknown>)[key];
    if (given === undefined) continue;
    const kept = check(given);
    if (kept === undefined) bad.push(key);
    else owner[key] = kept;
  }
  return bad.length > 0 ? { ...owner, malformed: `invalid ${bad.join(', ')}` } : owner;
}

function flatten(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, '\ufffd');
}

/**
 * `alice (runner deploy, release 2026…, "hotfix") since 2026-11-28T01:00:00.000Z, last heartbeat
 * 12 s ago, run https://github.com/…`: everything a refused user needs to find the holder.
 */
export function describeHolder(owner: ReadOwner, ageSeconds?: number): string {
  if (!owner.who && owner.malformed) {
    return `an unknown holder (its owner.json is malformed: ${owner.malformed})${
      ageSeconds === undefined ? '' : `, ${ageSeconds} s old`
    }`;
  }
  if (!owner.who) {
    return `an unknown holder (no owner.json yet: being taken right now, or left by a crash)${
      ageSeconds === undefined ? '' : `, ${ageSeconds} s old`
    }`;
  }
  const what = [
    owner.manual ? 'taken by hand' : owner.runner ? `runner ${owner.runner}` : undefined,
    owner.release ? `release ${owner.release}` : undefined,
    owner.message ? JSON.stringify(owner.message) : undefined,
    owner.controller ? `on ${owner.controller}${owner.pid ? ` pid ${owner.pid}` : ''}` : undefined,
  ].filter(Boolean);
  const parts = [
    `${owner.who}${what.length ? ` (${what.join(', ')})` : ''}`,
    owner.started ? `since ${owner.started}` : undefined,
    ageSeconds === undefined ? undefined : `last heartbeat ${ageSeconds} s ago`,
    owner.runUrl ? `run ${owner.runUrl}` : undefined,
  ].filter(Boolean);
  return parts.join(', ');
}

/** The report's view of a lock holder. */
export function lockReport(
  target: { readonly name: string; readonly host: { readonly name: string } },
  state: LockReport['state'],
  holder?: Partial<LockOwner>,
): LockReport {
  return {
    name: target.name,
    host: target.host.name,
    state,
    ...(holder?.who ? { heldBy: holder.who } : {}),
    ...(holder?.started ? { since: holder.started } : {}),
    ...(holder?.runUrl ? { runUrl: holder.runUrl } : {}),
  };
}
