import { Ajv, type ErrorObject } from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO } from '../support/cli.js';

// The published SchemaStore schemas, vendored: see __tests__/fixtures/schemas/SOURCE.md.
const schema = (name: string): object =>
  JSON.parse(readFileSync(join(REPO, '__tests__/fixtures/schemas', `${name}.json`), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
const validateAction = ajv.compile(schema('github-action'));
const validateWorkflow = ajv.compile(schema('github-workflow'));

function problems(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('\n');
}

function yamlFiles(dir: string): string[] {
  return readdirSync(join(REPO, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(dir, f));
}

const workflows = [...yamlFiles('.github/workflows'), ...yamlFiles('examples/workflows')];

describe('action.yml and workflows against the published schemas', () => {
  it('action.yml is valid action metadata (node24, dist/index.js)', () => {
    const action = parse(readFileSync(join(REPO, 'action.yml'), 'utf8'));
    expect(validateAction(action) ? '' : problems(validateAction.errors)).toBe('');
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  it('finds the CI, the release workflow and the example release workflow', () => {
    expect(workflows).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        '.github/workflows/release.yml',
        'examples/workflows/release.yml',
      ]),
    );
  });

  it.each(workflows)('%s is a valid workflow', (file) => {
    const workflow = parse(readFileSync(join(REPO, file), 'utf8'));
    expect(validateWorkflow(workflow) ? '' : problems(validateWorkflow.errors)).toBe('');
  });

  it('the schemas reject what they should (the validator is not a no-op)', () => {
    expect(validateAction({ name: 'x', description: 'y', runs: { using: 'node99', main: 'a.js' } })).toBe(
      false,
    );
    expect(validateWorkflow({ on: 'push', jobs: { a: { 'runs-on': 'ubuntu-latest', stepz: [] } } })).toBe(
      false,
    );
  });

  it('the example release workflow has what a release needs', () => {
    const wf = parse(readFileSync(join(REPO, 'examples/workflows/release.yml'), 'utf8'));
    expect(Object.keys(wf.on.workflow_dispatch.inputs)).toEqual(['runner', 'limit', 'dry-run']);
    expect(wf.on.push.tags).toEqual(['v*']);
    expect(wf.concurrency.group).toBeTruthy();
    const job = wf.jobs.release;
    expect(job.environment.name).toBe('production');
    const step = job.steps.find((s: { id?: string }) => s.id === 'release');
    expect(step.with['ssh-private-key']).toMatch(/^\$\{\{ secrets\./);
    expect(step.with['secret-vars']).toMatch(/\$\{\{ secrets\./);
    // Both reports are kept, whatever the result: the JSON one and the HTML page.
    const uploads = job.steps.filter((s: { uses?: string }) => s.uses?.startsWith('actions/upload-artifact'));
    expect(uploads.map((s: { if: string; with: { path: string } }) => [s.if, s.with.path])).toEqual([
      ["${{ always() && steps.release.outputs.report != '' }}", '${{ steps.release.outputs.report }}'],
      [
        "${{ always() && steps.release.outputs.html-report != '' }}",
        '${{ steps.release.outputs.html-report }}',
      ],
    ]);
  });
});
