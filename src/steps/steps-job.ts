/** The job every config stage runs on each of its hosts: its steps, in order. */
import { Job } from '../engine/model/job.js';
import type { JobBody, JobContext } from '../engine/model/job.js';
import type { Host } from '../contract/host.js';
import { local, remote, upload } from '../engine/model/subtask.js';
import { expandVars } from '../engine/model/vars.js';
import { releasePaths, releaseStepTask } from './release-step.js';
import type { ReleaseAction, ReleaseDirs } from './release-dirs.js';

/** A step of a stage, resolved: the shell is final, scripts are verbatim. */
export type Step =
  | {
      readonly kind: 'run' | 'local';
      readonly name?: string;
      /** Passed to the shell as written: variables reach it as environment, never as text. */
      readonly script: string;
      readonly shell: readonly string[];
    }
  | {
      readonly kind: 'upload';
      readonly name?: string;
      readonly from: string;
      readonly to: string;
      readonly linkFrom?: string;
      readonly compress?: boolean | 'auto';
    }
  | { readonly kind: 'release'; readonly name?: string; readonly action: ReleaseAction };

export interface StepsJobOptions {
  /** The config's `releases:` block: adds BW_RELEASES_PATH and BW_RELEASE_PATH, runs `release` steps. */
  readonly releases?: ReleaseDirs;
  /** The release this run rolls back: ROLLBACK_FROM for its `release: rollback` steps. */
  readonly rollbackFrom?: string;
}

/**
 * Yields one subtask per step: `run` → a command on the job's host, `local` → a command on the
 * controller (its env still names the job's host in BW_HOST), `upload` → a copy to the host with
 * `${NAME}` in both paths expanded from the job's env, `release` → a built-in command on the host
 * (release-step.ts). Step names are expanded the same way and become the subtask's label (default:
 * the step's kind).
 */
export class StepsJob extends Job {
  constructor(
    host: Host,
    readonly steps: readonly Step[],
    name = 'steps',
    readonly options: StepsJobOptions = {},
  ) {
    super(host, name);
  }

  async *run(ctx: JobContext): JobBody {
    const { releases } = this.options;
    const paths = releases ? releasePaths(releases, ctx) : {};
    const env = { ...ctx.env, ...paths };
    const extra = releases ? { env: paths } : {};
    for (const [i, step] of this.steps.entries()) {
      const label =
        step.name === undefined ? defaultLabel(step) : expandVars(step.name, env, `steps[${i}].name`);
      if (step.kind === 'upload') {
        const from = expandVars(step.from, env, `steps[${i}].upload.from`);
        const to = expandVars(step.to, env, `steps[${i}].upload.to`);
        const linkFrom =
          step.linkFrom === undefined
            ? undefined
            : expandVars(step.linkFrom, env, `steps[${i}].upload.link-from`);
        yield upload(from, to, {
          label,
          ...(linkFrom ? { linkFrom } : {}),
          ...(step.compress !== undefined ? { compress: step.compress } : {}),
        });
      } else if (step.kind === 'release') {
        if (!releases) throw new Error(`steps[${i}]: release: ${step.action} needs a releases: block`);
        const task = releaseStepTask(step.action, releases, ctx, paths, label);
        const { rollbackFrom } = this.options;
        const from: Record<string, string> =
          step.action === 'rollback' && rollbackFrom ? { ROLLBACK_FROM: rollbackFrom } : {};
        yield { ...task, env: { ...task.env, ...from } };
      } else if (step.kind === 'run') {
        yield remote(step.script, { shell: step.shell, label, ...extra });
      } else {
        yield local(step.script, { shell: step.shell, label, ...extra });
      }
    }
  }
}

function defaultLabel(step: Step): string {
  return step.kind === 'release' ? `release: ${step.action}` : step.kind;
}
