/**
 * Which release a `release: rollback` stage rolls back: of the releases its hosts are on, the
 * newest by when each first went live (a rollback's own `live` line for the release it went back
 * to does not count). A stage of its own runs first on every host of the rollback stage and reads
 * where `current` points and when that release first went live (nothing changes); the rollback stage then
 * gives each host ROLLBACK_FROM, so a host still on an older release (left behind by the release
 * being rolled back) stays where it is. Not added when ROLLBACK_TO or ROLLBACK_FROM is a var: the
 * user said it. The rule is in docs/releases.md.
 */
import type { Host } from '../contract/host.js';
import { Job } from '../engine/model/job.js';
import type { StageReport, StageWhen } from '../engine/report/report.js';
import { Stage } from '../engine/model/stage.js';
import { remote, type CapturedResult } from '../engine/model/subtask.js';
import { Err } from '../engine/model/result.js';
import {
  currentLiveCommand,
  currentLiveProblem,
  parseCurrentLive,
  parseRolledBackInRun,
} from '../steps/release-dir-scripts.js';
import { historyRun, releasePaths } from '../steps/release-step.js';
import { releaseScriptTimeoutMs, type ReleaseDirs } from '../steps/release-dirs.js';
import type { StepConfig } from './schema.js';

/** The stage a rollback stage needs before it, or null when its release is known without one. */
export function rollbackReadStage(
  stage: { readonly steps?: readonly StepConfig[]; readonly when?: StageWhen | undefined },
  name: string,
  hosts: readonly Host[],
  vars: Readonly<Record<string, string>>,
  dirs: ReleaseDirs | undefined,
): Stage | null {
  if (!dirs || !(stage.steps ?? []).some((s) => s.release === 'rollback')) return null;
  if (vars.ROLLBACK_TO || vars.ROLLBACK_FROM) return null;
  return new Stage({
    name: `${name}: find the release to roll back`,
    canary: false,
    // Every part of a rollback spread over machines reads every host of the run, so that all
    // parts roll back the same release (a part alone would see only its own hosts).
    inEveryPart: true,
    ...(stage.when ? { when: stage.when } : {}),
    jobs: () =>
      hosts.map((host) =>
        Job.of(
          host,
          async function* (ctx) {
            const paths = releasePaths(dirs, ctx);
            const read = currentLiveCommand(paths.BW_RELEASES_PATH as string, historyRun(ctx));
            const result = yield remote(read.script, {
              env: { ...paths, ...read.env },
              label: 'release: rollback: read current',
              summary: read.summary,
              capture: true,
              timeoutMs: releaseScriptTimeoutMs(dirs),
            });
            // The host's answer is data: a malformed one fails this host's job, and names it.
            const problem = currentLiveProblem(result as CapturedResult);
            if (problem) return Err(`${host.name} answered which release is current with ${problem}`);
          },
          'read-current',
        ),
      ),
  });
}

/**
 * The release a host says this run already rolled back (the latest, if several), else of the
 * releases the hosts are on the one that first went live last, from what the read stage printed
 * (its jobs' output); undefined when no host has one (each host then rolls back from its own current).
 */
export function rollbackFrom(previous: readonly StageReport[], readStage: string): string | undefined {
  const report = previous.findLast((s) => s.name === readStage);
  let newest: { id: string; time: string } | null = null;
  let inRun: { id: string; time: string } | null = null;
  for (const job of report?.jobs ?? []) {
    const seen = parseCurrentLive(job.outputTail);
    if (seen && seen.time !== 'never' && (!newest || seen.time > newest.time)) newest = seen;
    const done = parseRolledBackInRun(job.outputTail);
    if (done && (!inRun || done.time > inRun.time)) inRun = done;
  }
  // What this run already rolled back elsewhere (another part, an earlier attempt) it finishes:
  // once its hosts went back, the release may no longer be on any host this part reads.
  return inRun?.id ?? newest?.id;
}
