/** Who holds a deploy lock: what owner.json says, and how messages and the report tell it. */
import { randomBytes } from 'node:crypto';
import type { LockReport } from '../engine/report.js';

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

/** owner.json → its fields; anything unreadable is an unknown holder. */
export function parseOwner(text: string | undefined): Partial<LockOwner> {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as Partial<LockOwner>) : {};
  } catch {
    return {};
  }
}

/**
 * `alice (runner deploy, release 2026…, "hotfix") since 2026-11-28T01:00:00.000Z, last heartbeat
 * 12 s ago, run https://github.com/…`: everything a refused user needs to find the holder.
 */
export function describeHolder(owner: Partial<LockOwner>, ageSeconds?: number): string {
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
