/**
 * `boerewors lock status|acquire|release`: the deploy lock by hand, outside a run. A lock taken by
 * hand never goes stale (a person holds it, not a process with a heartbeat) and prints its token,
 * which runs given it as BW_LOCK_TOKEN re-enter: the way a sharded release holds one lock across
 * jobs (docs/lock.md). `release` removes only a lock whose token it is given, unless forced.
 */
import { UsageError } from '../../contract/errors.js';
import { abortReason } from '../../contract/abort.js';
import { DeployLock, type LockTarget } from './deploy-lock.js';
import { describeHolder, newLockToken, parseOwner } from './lock-owner.js';
import type { LoadedConfig } from '../../config/index.js';
import { ConfigError } from '../../contract/errors.js';
import { loadSettingsConfig, type LoadOptions } from '../config-file.js';
import { checkLockFiles } from '../preflight.js';
import { Redactor, secretValues } from '../secrets.js';
import { sshOverrides } from '../run-transport.js';
import { lockTargetFor } from './lock-plan.js';
import { createTransport } from '../run-transport.js';
import { runIdentity } from '../run-identity.js';
import type { ReleaseSettings } from '../settings.js';

export type LockAction = 'status' | 'acquire' | 'release';
export const LOCK_ACTIONS: readonly LockAction[] = ['status', 'acquire', 'release'];

export interface LockCommandOptions {
  /** `acquire -m`: why it is held, shown to everyone it refuses. */
  message?: string;
  /** `release --force`: remove it whoever holds it. */
  force?: boolean;
  cwd: string;
  signal: AbortSignal;
  /** Progress and warnings (stderr). */
  say: (line: string) => void;
  /** How this front end names the token and the way out; default the CLI's. */
  wording?: LockWording;
}

/** The words that differ between the CLI and the action: how the user gives the token, and `--force`. */
export interface LockWording {
  /** `BW_LOCK_TOKEN`, or `the "lock-token" input`. */
  token: string;
  /** Said once a lock is taken: how runs re-enter it and how it is released. */
  taken: string;
  /** How a lock that is not ours is removed anyway. */
  force: string;
}

export const CLI_LOCK_WORDING: LockWording = {
  token: 'BW_LOCK_TOKEN',
  taken:
    'Runs given its token in BW_LOCK_TOKEN re-enter it; "boerewors lock release" with the same BW_LOCK_TOKEN removes it',
  force: '--force removes it',
};

/** What happened, for a front end that tells each case its own way (the action warns on `absent`). */
export type LockCommandOutcome =
  'free' | 'held' | 'acquired' | 'reentered' | 'taken-over' | 'refused' | 'released' | 'absent' | 'not-ours';

export interface LockCommandResult {
  /** 0 done, 1 refused (held by someone else, not ours). */
  code: 0 | 1;
  outcome: LockCommandOutcome;
  /** What stdout gets: the token for `acquire`, else the lock's state. */
  stdout: string;
  /** Why it was refused (code 1): the holder, for stderr or the step's failure. */
  refused?: string;
  /** `deploy lock "shop" on web-1`. */
  label: string;
}

export async function runLockCommand(
  action: LockAction,
  settings: ReleaseSettings,
  opts: LockCommandOptions,
): Promise<LockCommandResult> {
  const loaded = await loadLockConfig(settings, { cwd: opts.cwd });
  const target = loaded.lock as LockTarget;
  const identity = runIdentity();
  const token = action === 'acquire' ? (settings.lockToken ?? newLockToken()) : (settings.lockToken ?? '');
  const transport = createTransport(
    settings,
    loaded.config.ssh,
    (m) => opts.say(`warning: ${m}`),
    loaded.redactor,
  );
  const lock = new DeployLock(
    transport,
    target,
    {
      token,
      who: identity.who,
      ...(identity.runUrl ? { runUrl: identity.runUrl } : {}),
      controller: identity.controller,
      pid: identity.pid,
      started: new Date().toISOString(),
      manual: true,
      ...(opts.message ? { message: opts.message } : {}),
    },
    { info: opts.say, warn: (m) => opts.say(`warning: ${m}`) },
  );
  const label = `deploy lock "${target.name}" on ${target.host.name}`;
  try {
    if (opts.signal.aborted) throw abortReason(opts.signal);
    const hand: ByHand = { lock, label, settings, opts, words: opts.wording ?? CLI_LOCK_WORDING };
    const result =
      action === 'status'
        ? await status(lock, label, opts.signal)
        : action === 'acquire'
          ? await acquire(hand)
          : await release(hand);
    return { ...result, label };
  } finally {
    await transport.close();
  }
}

type Told = Omit<LockCommandResult, 'label'>;

/** What taking or releasing the lock by hand works with. */
interface ByHand {
  lock: DeployLock;
  /** `deploy lock "shop" on web-1`. */
  label: string;
  settings: ReleaseSettings;
  opts: LockCommandOptions;
  words: LockWording;
}

async function status(lock: DeployLock, label: string, signal: AbortSignal): Promise<Told> {
  const reply = await lock.status(signal);
  if (reply.answer === 'free')
    return { code: 0, outcome: 'free', stdout: `free: no ${label} (${lock.where})` };
  const owner = parseOwner(reply.owner);
  const stale = owner.manual
    ? 'taken by hand: it never goes stale'
    : `a run's: taken over once its heartbeat is ${Math.round(lock.target.staleAfterMs / 1000)} s old`;
  return {
    code: 0,
    outcome: 'held',
    stdout: `held: ${label} by ${describeHolder(owner, reply.ageSeconds)} (${stale})`,
  };
}

async function acquire({ lock, label, settings, opts, words }: ByHand): Promise<Told> {
  const outcome = await lock.acquire(opts.signal, settings.lockToken);
  switch (outcome.state) {
    case 'acquired':
      opts.say(`🔒 ${label} taken by hand (${lock.where}); it never goes stale. ${words.taken}`);
      return { code: 0, outcome: 'acquired', stdout: lock.owner.token };
    case 'reentered':
      opts.say(`🔒 ${label} is already held with this ${words.token}`);
      return { code: 0, outcome: 'reentered', stdout: lock.owner.token };
    case 'taken-over':
      opts.say(
        `warning: took over the stale ${label} from ${describeHolder(outcome.owner, outcome.ageSeconds)}; ` +
          'it is now held by hand and never goes stale',
      );
      return { code: 0, outcome: 'taken-over', stdout: lock.owner.token };
    case 'refused':
      return {
        code: 1,
        outcome: 'refused',
        stdout: '',
        refused: `${label} is held by ${describeHolder(outcome.owner, outcome.ageSeconds)}`,
      };
  }
}

async function release({ lock, label, settings, opts, words }: ByHand): Promise<Told> {
  if (!opts.force && !settings.lockToken) {
    // The action checks its own input before it gets here.
    throw new UsageError(
      `lock release: give the lock's token in BW_LOCK_TOKEN (as "boerewors lock acquire" printed it), or --force to remove whoever's lock it is`,
    );
  }
  const reply = await lock.releaseByHand(opts.signal, opts.force ?? false);
  const owner = describeHolder(parseOwner(reply.owner));
  if (reply.answer === 'absent')
    return { code: 0, outcome: 'absent', stdout: `free: no ${label} to release` };
  if (reply.answer === 'not-ours') {
    return {
      code: 1,
      outcome: 'not-ours',
      stdout: '',
      refused: `${label} is held by ${owner}, not with this ${words.token}: left in place (${words.force})`,
    };
  }
  return { code: 0, outcome: 'released', stdout: `released: ${label}, held by ${owner}` };
}

export interface LoadedLock {
  config: LoadedConfig;
  lock: LockTarget;
  redactor: Redactor;
}

/** For `boerewors lock …`: the config's deploy lock, whichever runner would take it. */
export async function loadLockConfig(settings: ReleaseSettings, opts: LoadOptions = {}): Promise<LoadedLock> {
  const { config } = await loadSettingsConfig(settings, opts);
  const { lock: settingsOfLock } = config;
  if (settingsOfLock.mode === 'off')
    throw new ConfigError(`${config.file}: the deploy lock is off (lock: false)`);
  const lock = lockTargetFor({ ...config, lock: { ...settingsOfLock, mode: 'on' } }, undefined, settings);
  if (!lock) {
    throw new ConfigError(
      `${config.file}: no host to take the deploy lock on: the config names no non-local host (lock.host names one)`,
    );
  }
  await checkLockFiles(config, lock.host, sshOverrides(settings, config.ssh), settings);
  return { config, lock, redactor: opts.redactor ?? new Redactor(secretValues(settings)) };
}
