/** A `verify` or `gate` check as a job: the check's own job, or one that runs its command. */
import type { Host } from '../../contract/host.js';
import { isJob, Job } from './job.js';
import type { Check } from './stage.js';
import type { ExecTask } from './subtask.js';

/** The job that runs `check` on `host`; a command gets `label` unless it has its own. */
export function checkJob(check: Check, host: Host, label: string): Job {
  if (typeof check === 'function') {
    const job = check(host);
    if (!isJob(job)) throw new TypeError(`a check must build a Job, got ${String(job)}`);
    return job;
  }
  const task: ExecTask = { ...check, label: check.label ?? label };
  return Job.of(
    host,
    async function* () {
      yield task;
    },
    'check',
  );
}

/** `curl -fsS http://…/up`: the first line of a command check (80 chars), for labels. */
export function checkText(check: Check): string {
  if (typeof check === 'function') return 'job';
  const first = check.script.trim().split('\n', 1)[0] ?? '';
  return first.length > 80 ? `${first.slice(0, 79)}…` : first;
}
