/** Whether a run takes the deploy lock, and where: from the config's `lock:` and the runner's hosts. */
import type { LoadedConfig } from '../../config/index.js';
import type { Runner } from '../../engine/model/runner.js';
import type { LockTarget } from './deploy-lock.js';
import type { ReleaseSettings } from '../settings.js';

/**
 * The lock a run of `runner` takes, or undefined. Without a `lock:` key the lock is on when the
 * runner touches a non-local host: its stages' hosts before any hosts filter or limit, so that
 * `--hosts` cannot turn it off and every runner of the config takes the same one. A runner given
 * as a Runner object lists its hosts only when it runs: the config's hosts stand in for them.
 */
export function lockTargetFor(
  config: Pick<LoadedConfig, 'lock' | 'footprints' | 'hosts' | 'ssh'>,
  runner: Runner | undefined,
  settings: Pick<ReleaseSettings, 'lockWaitMs'>,
): LockTarget | undefined {
  const { lock } = config;
  if (lock.mode === 'off' || !lock.host) return undefined;
  if (lock.mode === 'auto') {
    const hosts = (runner && config.footprints[runner.name]?.hosts) ?? config.hosts;
    if (!hosts.some((host) => !host.local)) return undefined;
  }
  return {
    host: lock.host,
    name: lock.name,
    waitMs: settings.lockWaitMs ?? lock.waitMs,
    staleAfterMs: lock.staleAfterMs,
    ...(config.ssh.user ? { defaultUser: config.ssh.user } : {}),
  };
}
