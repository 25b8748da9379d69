/**
 * The sharded release workflow (examples/workflows/sharded-release.yml, also in the README) is
 * what a workflow author copies: its jobs must fit together, and it may use only real inputs.
 * (The schema check of every example workflow is in schemas.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseShard } from '../../src/release/parse.js';
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
  environment?: unknown;
  strategy?: { 'fail-fast'?: boolean; matrix: Record<string, unknown[]> };
  steps: Step[];
}

const text = readFileSync(join(REPO, 'examples/workflows/sharded-release.yml'), 'utf8');
const wf = parse(text) as { permissions: Record<string, string>; jobs: Record<string, Job> };
const action = parse(readFileSync(join(REPO, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> };
const ours = (job: Job): Step => {
  const steps = job.steps.filter((s) => s.uses?.includes('boerewors-action'));
  expect(steps).toHaveLength(1);
  return steps[0]!;
};

describe('the sharded release workflow', () => {
  it('plan → canary → a matrix of shards → merge, the merge running whatever happened', () => {
    const { plan, canary, shards, merge } = wf.jobs as Record<string, Job>;
    expect(ours(plan!).with?.['dry-run']).toBe(true);
    // A dry run connects to nothing, but checks the key it would use: without one it stops at exit 2.
    expect(ours(plan!).with?.['ssh-private-key']).toBe(ours(canary!).with?.['ssh-private-key']);
    expect(canary!.needs).toBe('plan');
    expect(ours(canary!).with?.['canary-only']).toBe(true);
    expect(shards!.needs).toBe('canary');
    expect(merge!.needs).toEqual(['canary', 'shards']);
    expect(merge!.if).toContain('always()');
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

  it('the deployment is recorded once, by the merge job, with the permission it needs and no job-level environment', () => {
    expect(wf.permissions.deployments).toBe('write');
    const recording = Object.entries(wf.jobs).filter(([, j]) => ours(j).with?.['github-deployment']);
    expect(recording.map(([name]) => name)).toEqual(['merge']);
    for (const job of Object.values(wf.jobs)) expect(job.environment).toBeUndefined();
  });

  it('uses only inputs the action has, and the README shows this very workflow', () => {
    for (const job of Object.values(wf.jobs))
      for (const name of Object.keys(ours(job).with ?? {}))
        expect(Object.keys(action.inputs)).toContain(name);
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const workflow = text.slice(text.indexOf('\nname: ') + 1);
    expect(readme).toContain(workflow);
  });
});
