/**
 * The sharded release workflow (examples/workflows/sharded-release.yml, also in the README) is
 * what a workflow author copies: its jobs must fit together, and it may use only real inputs.
 * (The schema check of every example workflow is in schemas.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseShard } from '../../src/pipeline/parse.js';
import { REPO } from '../support/cli.js';

interface Step {
  id?: string;
  uses?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  outputs?: Record<string, string>;
  environment?: unknown;
  strategy?: { 'fail-fast'?: boolean; matrix: Record<string, unknown[]> };
  steps: Step[];
}

const text = readFileSync(join(REPO, 'examples/workflows/sharded-release.yml'), 'utf8');
const wf = parse(text) as { permissions: Record<string, string>; jobs: Record<string, Job> };
const action = parse(readFileSync(join(REPO, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> };
const boerewors = (job: Job): Step[] => job.steps.filter((s) => s.uses?.includes('boerewors-action'));
/** The job's one step that runs (or plans, or merges) the release: not the lock mode. */
const ours = (job: Job): Step => {
  const steps = boerewors(job).filter((s) => s.with?.lock === undefined);
  expect(steps).toHaveLength(1);
  return steps[0]!;
};
/** The job's one step in lock mode, if any. */
const lockStep = (job: Job): Step | undefined => {
  const steps = boerewors(job).filter((s) => s.with?.lock !== undefined);
  expect(steps.length).toBeLessThanOrEqual(1);
  return steps[0];
};
const needs = (job: Job): string[] => (job.needs === undefined ? [] : [job.needs].flat());
const TOKEN = '${{ needs.lock.outputs.lock-token }}';

describe('the sharded release workflow', () => {
  it('plan → lock → canary → a matrix of shards → merge, the merge running whatever happened', () => {
    const { plan, lock, canary, shards, merge } = wf.jobs as Record<string, Job>;
    expect(Object.keys(wf.jobs)).toEqual(['plan', 'lock', 'canary', 'shards', 'merge']);
    expect(ours(plan!).with?.['dry-run']).toBe(true);
    // A dry run connects to nothing, but checks the key it would use: without one it stops at exit 2.
    expect(ours(plan!).with?.['ssh-private-key']).toBe(ours(canary!).with?.['ssh-private-key']);
    expect(lock!.needs).toBe('plan');
    expect(canary!.needs).toBe('lock');
    expect(ours(canary!).with?.['canary-only']).toBe(true);
    expect(needs(shards!)).toEqual(['lock', 'canary']);
    expect(needs(merge!)).toEqual(['lock', 'canary', 'shards']);
    expect(merge!.if).toContain('always()');
  });

  it('one deploy lock: the lock job takes it and hands its token on as a job output; the canary and every shard re-enter it; the merge job releases it whatever happened', () => {
    const { lock, canary, shards, merge } = wf.jobs as Record<string, Job>;
    // Taken in a job of its own, whose only boerewors step is the lock mode.
    expect(boerewors(lock!)).toHaveLength(1);
    const acquire = lockStep(lock!)!;
    expect(acquire.with?.lock).toBe('acquire');
    expect(acquire.id).toBeDefined();
    // The step's output becomes the job's: the only way another job can read it.
    expect(lock!.outputs?.['lock-token']).toBe(`\${{ steps.${acquire.id}.outputs.lock-token }}`);
    // It reaches the lock host as the parts do: the same key and known hosts, a checkout for the config.
    for (const input of ['ssh-private-key', 'ssh-known-hosts'])
      expect(acquire.with?.[input]).toBe(ours(canary!).with?.[input]);
    expect(lock!.steps[0]?.uses).toMatch(/^actions\/checkout@/);

    for (const part of [canary!, shards!]) {
      expect(ours(part).with?.['lock-token']).toBe(TOKEN);
      expect(lockStep(part)).toBeUndefined();
    }
    // needs.lock is there only in a job that names lock in its needs (not through canary).
    for (const [name, job] of Object.entries(wf.jobs))
      if (JSON.stringify(job).includes('needs.lock.'))
        expect([name, needs(job)]).toEqual([name, expect.arrayContaining(['lock'])]);

    // Released by the merge job's last step, which runs even when the merge failed or was cancelled;
    // the merge job itself runs whenever the lock was taken.
    const release = lockStep(merge!)!;
    expect(release.with?.lock).toBe('release');
    expect(release.with?.['lock-token']).toBe(TOKEN);
    expect(release.if).toBe('${{ always() }}');
    expect(merge!.steps.at(-1)).toBe(release);
    expect(merge!.if).toBe("${{ always() && needs.lock.result == 'success' }}");
    for (const input of ['ssh-private-key', 'ssh-known-hosts'])
      expect(release.with?.[input]).toBe(acquire.with?.[input]);
    expect(merge!.steps[0]?.uses).toMatch(/^actions\/checkout@/);
  });

  it('the matrix is shards 1..N of one N, a failing shard does not cancel the others', () => {
    const { shards } = wf.jobs as Record<string, Job>;
    expect(shards!.strategy?.['fail-fast']).toBe(false);
    const values = (shards!.strategy?.matrix.shard ?? []).map(String);
    const parsed = values.map((v) => parseShard(v, { input: 'shard' }));
    const n = parsed[0]!.count;
    expect(parsed).toEqual(Array.from({ length: n }, (_, k) => ({ index: k + 1, count: n })));
    expect(ours(shards!).with?.shard).toBe('${{ matrix.shard }}');
  });

  it("every part's report reaches the merge: distinct artifact names the download pattern matches, into the merged path", () => {
    const { canary, shards, merge } = wf.jobs as Record<string, Job>;
    const upload = (j: Job): Step => j.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
    for (const job of [canary!, shards!]) {
      expect(upload(job).if).toContain('always()');
      expect(upload(job).with?.path).toBe('${{ steps.release.outputs.report }}');
    }
    const download = merge!.steps.find((s) => s.uses?.startsWith('actions/download-artifact'))!;
    expect(download.with?.['merge-multiple']).toBe(true);
    const pattern = new RegExp(`^${String(download.with?.pattern).replace('*', '.+')}$`);
    expect(String(upload(canary!).with?.name)).toMatch(pattern);
    expect(String(upload(shards!).with?.name)).toMatch(pattern);
    expect(String(upload(shards!).with?.name)).toContain('${{ strategy.job-index }}');
    expect(ours(merge!).with?.['merge-reports']).toBe(`${String(download.with?.path)}/*.json`);
  });

  it('the merge job keeps the whole release as an HTML page too, under a name the download pattern does not take', () => {
    const { merge } = wf.jobs as Record<string, Job>;
    const html = merge!.steps.find((s) => s.with?.path === '${{ steps.release.outputs.html-report }}');
    expect(html?.uses).toMatch(/^actions\/upload-artifact@v\d+$/);
    expect(html?.if).toContain('always()');
    const download = merge!.steps.find((s) => s.uses?.startsWith('actions/download-artifact'))!;
    const pattern = new RegExp(`^${String(download.with?.pattern).replace('*', '.+')}$`);
    expect(String(html?.with?.name)).not.toMatch(pattern);
  });

  it('the deployment is recorded once, by the merge job, with the permission it needs and no job-level environment', () => {
    expect(wf.permissions.deployments).toBe('write');
    const recording = Object.entries(wf.jobs).filter(([, j]) =>
      boerewors(j).some((s) => s.with?.['github-deployment']),
    );
    expect(recording.map(([name]) => name)).toEqual(['merge']);
    for (const job of Object.values(wf.jobs)) expect(job.environment).toBeUndefined();
  });

  it('can be re-run: every report artifact is overwritten by a re-run job, every part names its runner', () => {
    const uploads = Object.values(wf.jobs).flatMap((j) =>
      j.steps.filter((s) => s.uses?.startsWith('actions/upload-artifact')),
    );
    expect(uploads.length).toBeGreaterThanOrEqual(3);
    // Without it, "Re-run failed jobs" gets a 409 for a name the failed attempt already uploaded.
    for (const step of uploads) expect(step.with?.overwrite).toBe(true);
    const { plan, canary, shards } = wf.jobs as Record<string, Job>;
    const runners = [plan!, canary!, shards!].map((j) => ours(j).with?.runner);
    // A config with two runners stops a part that names none with exit 2.
    expect(runners[0]).toEqual(expect.any(String));
    expect(new Set(runners)).toEqual(new Set([runners[0]]));
  });

  it('uses only inputs the action has, and the README shows this very workflow', () => {
    for (const job of Object.values(wf.jobs))
      for (const step of boerewors(job))
        for (const name of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs)).toContain(name);
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const workflow = text.slice(text.indexOf('\nname: ') + 1);
    expect(readme).toContain(workflow);
  });
});
