/** Which part of a sharded release this run is, from the settings of either front end. */
import { UsageError } from '../contract/errors.js';
import type { RunPart } from '../engine/report/run-part.js';
import { sourceName, type ReleaseSettings, type SettingSource } from './settings.js';

/**
 * The part of every stage this run runs, when the release is spread over a job matrix; undefined
 * for the whole release. `shard` and `canaryOnly` exclude each other.
 */
export function runPartOf(
  settings: Pick<ReleaseSettings, 'shard' | 'canaryOnly' | 'sources'>,
): RunPart | undefined {
  const { shard, canaryOnly, sources } = settings;
  if (shard && canaryOnly) {
    const name = (s: SettingSource | undefined, fallback: string): string => (s ? sourceName(s) : fallback);
    throw new UsageError(
      `${name(sources.shard, 'shard')} and ${name(sources.canaryOnly, 'canary-only')} exclude each other: ` +
        "the canary-only job runs each stage's canary, the shards run the other hosts",
    );
  }
  if (canaryOnly) return { kind: 'canary' };
  return shard ? { kind: 'shard', ...shard } : undefined;
}
