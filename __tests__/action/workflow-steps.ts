/**
 * The repository's workflows as data, for the tests that run their steps here as GitHub would: the
 * steps that run the action itself (`uses: ./`), their `${{ … }}` expressions filled in, and a
 * `run:` script run in bash.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO } from '../support/cli.js';

export interface WorkflowStep {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string | boolean | number>;
  env?: Record<string, string>;
}

export interface WorkflowJob {
  steps: WorkflowStep[];
}

export const WORKFLOWS_DIR = '.github/workflows';

/** A workflow file's jobs, by the file's path in the repository. */
export function workflowJobs(file: string): Record<string, WorkflowJob> {
  return (parse(readFileSync(join(REPO, file), 'utf8')) as { jobs: Record<string, WorkflowJob> }).jobs;
}

/** Every step of the repository's workflows that runs the action itself, with where it is. */
export function actionSteps(): { where: string; step: WorkflowStep }[] {
  const found: { where: string; step: WorkflowStep }[] = [];
  for (const name of readdirSync(join(REPO, WORKFLOWS_DIR))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const file = `${WORKFLOWS_DIR}/${name}`;
    for (const [job, { steps }] of Object.entries(workflowJobs(file))) {
      steps.forEach((step, i) => {
        if (step.uses === './') found.push({ where: `${file} ${job} step ${step.id ?? i + 1}`, step });
      });
    }
  }
  return found;
}

/** `${{ name }}` expressions replaced from `values`; an unknown one is an error (not an empty string). */
export function evaluate(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`no value for the expression ${name} in: ${text}`);
    return values[name]!;
  });
}

/** A step's `with:` as the runner passes it: every value a string, its expressions filled in. */
export function stepInputs(step: WorkflowStep, values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(step.with ?? {}).map(([k, v]) => [k, evaluate(String(v), values)]),
  );
}

/** A `run:` script in `bash -e`, as a step's shell runs it, in the repository. */
export function bash(script: string, env: Record<string, string>): { code: number | null; out: string } {
  const run = spawnSync('bash', ['-e', '-c', script], {
    cwd: REPO,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: run.status, out: `${run.stdout}${run.stderr}` };
}
