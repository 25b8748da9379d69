/**
 * Choosing what to run from a loaded config: the runner, and the hosts of a hosts filter. The
 * caller says how its user names these (`--runner`, the action's `runner` input) for the messages.
 */
import type { Runner } from '../engine/model/runner.js';
import { ConfigError, UsageError } from '../contract/errors.js';
import type { LoadedConfig } from './assemble.js';
import { didYouMean } from './did-you-mean.js';

/**
 * The runner named `name`; without a name, the config's only runner. An unknown name, or several
 * runners and none chosen, is a ConfigError that lists the runners, and names `chooseWith` when
 * given (`--runner`, `the "runner" input`): where the name came from, or how to pick one.
 */
export function selectRunner(
  config: Pick<LoadedConfig, 'file' | 'runners'>,
  name?: string,
  chooseWith?: string,
): Runner {
  const names = config.runners.map((runner) => runner.name);
  if (name !== undefined) {
    const runner = config.runners.find((r) => r.name === name);
    if (runner) return runner;
    const hint = didYouMean(name, names);
    const given = chooseWith ? ` in ${chooseWith}` : '';
    throw new ConfigError(
      `${config.file}: unknown runner "${name}"${given}${hint} (available: ${names.join(', ')})`,
    );
  }
  const [only, ...others] = config.runners;
  if (only && others.length === 0) return only;
  if (!only) throw new ConfigError(`${config.file}: no runners defined`);
  throw new ConfigError(
    `${config.file}: ${names.length} runners (${names.join(', ')}) and none chosen` +
      (chooseWith ? `: pick one with ${chooseWith}` : ''),
  );
}

/**
 * Host and group names → host names, each once, in the order given. A name that is neither a host
 * nor a group is a UsageError that starts with `what` (the flag or input), except when the config has runners
 * given as Runner objects: their hosts are only known at run time, so such names are kept as-is.
 */
export function resolveHostFilter(
  config: Pick<LoadedConfig, 'groups' | 'hosts' | 'customRunners'>,
  names: readonly string[],
  what = 'hosts filter',
): string[] {
  const hostNames = new Set(config.hosts.map((host) => host.name));
  const out = new Set<string>();
  for (const name of names) {
    const group = Object.hasOwn(config.groups, name) ? config.groups[name] : undefined;
    if (group) for (const host of group) out.add(host.name);
    else if (hostNames.has(name) || config.customRunners.length > 0) out.add(name);
    else {
      const candidates = [...Object.keys(config.groups), ...hostNames];
      const hint = didYouMean(name, candidates);
      throw new UsageError(`${what}: unknown host or group "${name}"${hint}`);
    }
  }
  return [...out];
}
