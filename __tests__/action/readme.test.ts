/**
 * The README's GitHub Action section is documentation a workflow author copies: its tables must
 * say what action.yml says, and its workflow must be valid and use only real inputs and outputs.
 */
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO } from '../support/cli.js';

interface ActionYml {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string }>;
}

const action = parse(readFileSync(join(REPO, 'action.yml'), 'utf8')) as ActionYml;
const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
const section = /^## GitHub Action\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';

/** Rows of the Markdown table under `### title`: cells, backticks removed. */
function table(title: string): string[][] {
  const part = section.split(/^### /m).find((p) => p.startsWith(`${title}\n`)) ?? '';
  return part
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim().replace(/^`(.*)`$/, '$1')),
    );
}

describe('README: GitHub Action section', () => {
  it('exists', () => {
    expect(section.length).toBeGreaterThan(1000);
  });

  it('lists every input of action.yml with its default and description, in order', () => {
    const expected = Object.entries(action.inputs).map(([name, i]) => [
      name,
      i.default ?? '',
      i.description.trim(),
    ]);
    expect(table('Inputs')).toEqual(expected);
  });

  it('has a description the Marketplace takes (under 125 characters)', () => {
    expect((action as unknown as { description: string }).description.length).toBeLessThan(125);
  });

  it('lists every output of action.yml with its description, in order', () => {
    const expected = Object.entries(action.outputs).map(([name, o]) => [name, o.description.trim()]);
    expect(table('Outputs')).toEqual(expected);
  });

  it('its workflow is valid, and uses only inputs and outputs the action has', () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const workflow = parse(yaml);
    const schema = JSON.parse(
      readFileSync(join(REPO, '__tests__/fixtures/schemas/github-workflow.json'), 'utf8'),
    );
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    expect(validate(workflow) ? [] : validate.errors).toEqual([]);

    const steps = Object.values(
      workflow.jobs as Record<string, { steps: { uses?: string; with?: object }[] }>,
    ).flatMap((j) => j.steps);
    const ours = steps.filter((s) => s.uses?.includes('boerewors-action'));
    expect(ours).toHaveLength(1);
    for (const name of Object.keys(ours[0]?.with ?? {})) expect(Object.keys(action.inputs)).toContain(name);
    const used = [...yaml.matchAll(/steps\.release\.outputs\.([\w-]+)/g)].map((m) => m[1]);
    for (const name of used) expect(Object.keys(action.outputs)).toContain(name);
  });
});
