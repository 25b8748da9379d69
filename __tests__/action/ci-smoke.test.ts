/**
 * CI's smoke job, run here step by step as GitHub would: the bundled action runs the job's release
 * step and its dry-run step with their `with:` (expressions filled in), then the job's check step
 * runs in bash against their outputs. If this passes, the job can only fail on GitHub for reasons
 * of GitHub's own.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { REPO, tempDir } from '../support/cli.js';
import { runAction, type ActionRun } from './action-harness.js';
import { bash, evaluate, stepInputs, workflowJobs, type WorkflowStep } from './workflow-steps.js';

const job = workflowJobs('.github/workflows/ci.yml').smoke!;
const step = (pred: (s: WorkflowStep) => boolean): WorkflowStep => {
  const found = job.steps.find(pred);
  if (!found) throw new Error('ci.yml smoke: a step is missing');
  return found;
};

describe('ci.yml smoke, run here', () => {
  it('releases to local: hosts with uses: ./, plans a dry run, and its check step passes', async () => {
    // The workspace is a copy of the config alone: what the release writes goes under runner.temp.
    const workspace = await tempDir('bw-ci-smoke-');
    const runnerTemp = join(workspace, 'runner-temp');
    await mkdir(runnerTemp);
    const values = { 'runner.temp': runnerTemp, 'github.run_id': '4242' };
    const run = async (id: string): Promise<ActionRun> => {
      const inputs = stepInputs(
        step((s) => s.uses === './' && s.id === id),
        values,
      );
      await mkdir(dirname(join(workspace, inputs.config!)), { recursive: true });
      await copyFile(join(REPO, inputs.config!), join(workspace, inputs.config!));
      return runAction({ inputs, workspace, timeoutMs: 120_000 });
    };

    const release = await run('release');
    expect(`${release.code} ${release.outputs.result}\n${release.stdout}`).toMatch(/^0 success\n/);
    const plan = await run('plan');
    expect(`${plan.code} ${plan.outputs.result}\n${plan.stdout}`).toMatch(/^0 success\n/);

    const check = step((s) => s.name === 'Check the outputs');
    const outputs = Object.fromEntries([
      ...Object.entries(release.outputs).map(([k, v]) => [`steps.release.outputs.${k}`, v]),
      ...Object.entries(plan.outputs).map(([k, v]) => [`steps.plan.outputs.${k}`, v]),
    ]);
    const env = Object.fromEntries(Object.entries(check.env!).map(([k, v]) => [k, evaluate(v, outputs)]));
    expect(bash(check.run!, { ...env, RUNNER_TEMP: runnerTemp })).toEqual({ code: 0, out: 'true\n' });
  }, 180_000);
});
