/**
 * CI's smoke-ssh job, run here step by step as GitHub would: the job's own script starts sshd (on a
 * free port rather than 2222, the config copied to match), the bundled action runs with the job's
 * `with:` (its expressions filled in from the earlier steps' outputs), then the job's check step
 * runs in bash against the action's outputs, and its last step stops sshd. If this passes, the job
 * can only fail on GitHub for reasons of GitHub's own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../support/cli.js';
import { itWithOpenSsh } from '../support/conditional-tests.js';
import { freePort } from '../support/sshd-net.js';
import { parseOutputFile, runAction } from './action-harness.js';
import { bash, evaluate, stepInputs, workflowJobs, type WorkflowStep } from './workflow-steps.js';

const job = workflowJobs('.github/workflows/ci.yml')['smoke-ssh']!;
const step = (pred: (s: WorkflowStep) => boolean): WorkflowStep => {
  const found = job.steps.find(pred);
  if (!found) throw new Error('ci.yml smoke-ssh: a step is missing');
  return found;
};

describe('ci.yml smoke-ssh, run here', () => {
  let runnerTemp = '';
  afterAll(() => {
    const pidFile = join(runnerTemp, 'sshd/sshd.pid');
    if (runnerTemp && existsSync(pidFile)) spawnSync('kill', [readFileSync(pidFile, 'utf8').trim()]);
    if (runnerTemp) rmSync(runnerTemp, { recursive: true, force: true });
  });

  itWithOpenSsh('the job starts sshd')(
    'starts sshd, releases to it with uses: ./, and its check step passes',
    async () => {
      runnerTemp = mkdtempSync(join(tmpdir(), 'bw-ci-smoke-ssh-'));
      const port = String(await freePort());
      const githubOutput = join(runnerTemp, 'sshd-output');
      writeFileSync(githubOutput, '');
      const start = step((s) => s.id === 'sshd');
      const started = bash(start.run!.replace(/ 2222$/, ` ${port}`), {
        RUNNER_TEMP: runnerTemp,
        GITHUB_OUTPUT: githubOutput,
      });
      expect(started).toEqual({
        code: 0,
        out: expect.stringContaining(`sshd listening on 127.0.0.1:${port}`),
      });
      const sshd = parseOutputFile(readFileSync(githubOutput, 'utf8'));

      const release = step((s) => s.uses === './');
      const config = `ci-smoke-ssh-${process.pid}.yml`; // its name is the deploy lock's: unique
      const original = readFileSync(join(REPO, String(release.with!.config)), 'utf8');
      writeFileSync(join(runnerTemp, config), original.replace(/^ {2}port: 2222$/m, `  port: ${port}`));
      const values = {
        'runner.temp': runnerTemp,
        'steps.sshd.outputs.private-key': sshd['private-key'] ?? '',
        'steps.sshd.outputs.known-hosts': sshd['known-hosts'] ?? '',
      };
      const inputs = stepInputs(release, values);
      const run = await runAction({
        inputs: { ...inputs, config },
        workspace: runnerTemp,
        timeoutMs: 120_000,
      });
      expect(run.stdout).toContain('Release success');
      expect(run.code).toBe(0);

      const check = step((s) => s.name === 'Check the outputs');
      const outputs = Object.fromEntries(
        Object.entries(run.outputs).map(([k, v]) => [`steps.release.outputs.${k}`, v]),
      );
      const env = Object.fromEntries(Object.entries(check.env!).map(([k, v]) => [k, evaluate(v, outputs)]));
      expect(bash(check.run!, { ...env, RUNNER_TEMP: runnerTemp })).toEqual({ code: 0, out: 'true\n' });

      const pid = readFileSync(join(runnerTemp, 'sshd/sshd.pid'), 'utf8').trim();
      expect(bash(step((s) => s.name === 'Stop sshd').run!, { RUNNER_TEMP: runnerTemp }).code).toBe(0);
      const stopped = Date.now();
      while (spawnSync('kill', ['-0', pid]).status === 0 && Date.now() - stopped < 10_000) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(spawnSync('kill', ['-0', pid]).status).not.toBe(0);
      rmSync(run.runnerDir, { recursive: true, force: true });
    },
    180_000,
  );
});
