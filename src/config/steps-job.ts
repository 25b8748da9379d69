/** The job every config stage runs on each of its hosts: its steps, in order. */
import { Job } from '../engine/job.js';
import type { JobBody, JobContext } from '../engine/job.js';
import type { Host } from '../contract/host.js';
import { local, remote, upload } from '../engine/subtask.js';
import { expandVars } from '../engine/vars.js';

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
      readonly compress?: boolean;
    };

/**
 * Yields one subtask per step: `run` → a command on the job's host, `local` → a command on the
 * controller (its env still names the job's host in BW_HOST), `upload` → a copy to the host with
 * `${NAME}` in both paths expanded from the job's env. Step names are expanded the same way and
 * become the subtask's label (default: the step's kind).
 */
export class StepsJob extends Job {
  constructor(
    host: Host,
    readonly steps: readonly Step[],
    name = 'steps',
  ) {
    super(host, name);
  }

  async *run(ctx: JobContext): JobBody {
    for (const [i, step] of this.steps.entries()) {
      const label = step.name === undefined ? step.kind : expandVars(step.name, ctx.env, `steps[${i}].name`);
      if (step.kind === 'upload') {
        const from = expandVars(step.from, ctx.env, `steps[${i}].upload.from`);
        const to = expandVars(step.to, ctx.env, `steps[${i}].upload.to`);
        const linkFrom =
          step.linkFrom === undefined
            ? undefined
            : expandVars(step.linkFrom, ctx.env, `steps[${i}].upload.link-from`);
        yield upload(from, to, {
          label,
          ...(linkFrom ? { linkFrom } : {}),
          ...(step.compress !== undefined ? { compress: step.compress } : {}),
        });
      } else if (step.kind === 'run') {
        yield remote(step.script, { shell: step.shell, label });
      } else {
        yield local(step.script, { shell: step.shell, label });
      }
    }
  }
}
