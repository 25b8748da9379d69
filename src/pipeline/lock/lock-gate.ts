/**
 * The deploy lock at the start of a run: taken, re-entered, taken over, or the reason the run may
 * not start (held by another run, the lock host out of reach, a cancel while waiting). A run that
 * does not pass runs nothing: no stage, not even one meant for the way out.
 */
import { cancelMessage } from '../../contract/abort.js';
import { errorMessage } from '../../contract/errors.js';
import type { Transport } from '../../contract/transport.js';
import type { EventListener } from '../../engine/report/events.js';
import type { LockReport } from '../../contract/lock-report.js';
import type { RunReport } from '../../engine/report/report.js';
import { DeployLock, type AcquireOutcome, type LockTarget } from './deploy-lock.js';
import { LOCKS_DIR } from '../../steps/lock-scripts.js';
import { describeHolder, lockReport, newLockToken } from './lock-owner.js';
import type { RunIdentity } from '../run-identity.js';
import { sourceName, type ReleaseSettings, type SettingSources } from '../settings.js';

export type LockGate =
  | { token?: string; lock?: LockReport }
  | { refused: string; result: 'failure' | 'cancelled'; lock: LockReport };

/**
 * Takes the run's lock, or says why the run may not start. No lock (none configured, or a dry
 * run, which only says where it would be taken): the run goes on with no token.
 */
export async function passLock(
  lock: DeployLock | undefined,
  target: LockTarget | undefined,
  settings: Pick<ReleaseSettings, 'lockToken' | 'sources'>,
  signal: AbortSignal,
  emit: EventListener,
): Promise<LockGate> {
  if (!target) return {};
  if (!lock) {
    const where = `~/${LOCKS_DIR}/${target.name} on ${target.host.name}`;
    emit({
      type: 'info',
      message: `🔒 deploy lock: a real run takes ${where} before the first stage; a dry run takes none`,
    });
    return { lock: lockReport(target, 'planned') };
  }
  let outcome: AcquireOutcome;
  try {
    outcome = await lock.acquire(signal, settings.lockToken);
  } catch (e) {
    if (signal.aborted) {
      const reason = `${cancelMessage(signal)} before the deploy lock was taken: nothing ran`;
      return { refused: reason, result: 'cancelled', lock: lockReport(target, 'refused') };
    }
    const reason = `${errorMessage(e)}. Nothing ran: the run takes the deploy lock before its first stage`;
    return { refused: reason, result: 'failure', lock: lockReport(target, 'failed') };
  }
  const label = `deploy lock "${target.name}" on ${target.host.name}`;
  switch (outcome.state) {
    case 'acquired':
      emit({ type: 'info', message: `🔒 ${label} taken (${lock.where})` });
      return { token: lock.owner.token, lock: lockReport(target, 'acquired') };
    case 'reentered':
      emit({
        type: 'info',
        message: `🔒 ${label} re-entered with ${tokenName(settings.sources)}: held by ${describeHolder(outcome.owner ?? {})}, who releases it`,
      });
      return { token: settings.lockToken as string, lock: lockReport(target, 'reentered') };
    case 'taken-over':
      emit({
        type: 'warning',
        message:
          `took over the stale ${label}: its holder ${describeHolder(outcome.owner, outcome.ageSeconds)} ` +
          `stopped refreshing it more than ${Math.round(target.staleAfterMs / 1000)} s ago (lock.stale-after)`,
      });
      return { token: lock.owner.token, lock: lockReport(target, 'taken-over', outcome.owner) };
    case 'refused': {
      const waited = target.waitMs > 0 ? ` (waited ${Math.round(target.waitMs / 1000)} s)` : '';
      const reason =
        `${label} is held by ${describeHolder(outcome.owner, outcome.ageSeconds)}${waited}. Nothing ran. ` +
        refusedHint(settings.sources, outcome.owner, target);
      return { refused: reason, result: 'failure', lock: lockReport(target, 'refused', outcome.owner) };
    }
  }
}

export function newDeployLock(
  transport: Transport,
  target: LockTarget,
  run: { runner: string; release: string; identity: RunIdentity },
  emit: EventListener,
): DeployLock {
  const { identity } = run;
  return new DeployLock(
    transport,
    target,
    {
      token: newLockToken(),
      who: identity.who,
      runner: run.runner,
      release: run.release,
      ...(identity.runUrl ? { runUrl: identity.runUrl } : {}),
      controller: identity.controller,
      pid: identity.pid,
      started: new Date().toISOString(),
    },
    {
      info: (message) => emit({ type: 'info', message }),
      warn: (message) => emit({ type: 'warning', message }),
    },
  );
}

/** The report of a run that did not start its runner: the lock was held, or could not be asked. */
export function notRunReport(
  runner: string,
  release: string,
  startedAt: Date,
  gate: { refused: string; result: 'failure' | 'cancelled'; lock: LockReport },
): RunReport {
  return {
    version: 1,
    runner,
    release,
    result: gate.result,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    stages: [],
    reason: gate.refused,
    lock: gate.lock,
  };
}

export function withLock(report: RunReport, lock: LockReport | undefined): RunReport {
  return lock ? { ...report, lock } : report;
}

/** How the lock token was given: the action's input, or the CLI's environment variable. */
function tokenName(sources: SettingSources): string {
  return sources.lockToken && 'input' in sources.lockToken ? sourceName(sources.lockToken) : 'BW_LOCK_TOKEN';
}

/** What a refused run can do, in the words of the front end that ran it (an input, or a flag). */
function refusedHint(sources: SettingSources, owner: { manual?: boolean }, target: LockTarget): string {
  const action = sources.lockWaitMs !== undefined && 'input' in sources.lockWaitMs;
  const wait = sources.lockWaitMs ? sourceName(sources.lockWaitMs) : '--lock-wait';
  const look = action ? '' : ', or look with "boerewors lock status"';
  if (owner.manual) {
    const release = action ? 'a "lock: release" step with its token' : '"boerewors lock release"';
    return (
      `Wait for it (lock.wait, ${wait})${look}; a lock taken by hand never goes stale: ` +
      `it is held until ${release} removes it`
    );
  }
  return (
    `Wait for it (lock.wait, ${wait})${look}; a holder whose heartbeat stops is taken over ` +
    `after ${Math.round(target.staleAfterMs / 1000)} s (lock.stale-after)`
  );
}
