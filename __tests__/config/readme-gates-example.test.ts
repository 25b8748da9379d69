/**
 * The README's release with verify, gate and a `when: failure` undo is what a user copies first:
 * it must load as written, and mean what the bullets under it say.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadYamlConfig } from '../../src/config/index.js';
import type { Stage } from '../../src/engine/model/stage.js';
import { waveSizes } from '../../src/engine/policy/waves.js';
import { REPO } from '../support/cli.js';

const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
const section = /^### Verify, gate and the way out\n([\s\S]*?)(?=^##)/m.exec(readme)?.[1] ?? '';
const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';

describe('README: verify, gate and the way out', () => {
  it('loads as written, with a verify, a gate and stages on the way out', () => {
    const loaded = loadYamlConfig(yaml, 'release.yml');
    const stages = loaded.runners[0]!.stages({
      runner: 'deploy',
      release: 'r',
      vars: {},
      previous: [],
      signal: new AbortController().signal,
    }) as Stage[];
    expect(stages.map((s) => [s.name, s.settings.when])).toEqual([
      ['Distribute', 'success'],
      ['Switch', 'success'],
      ['Smoke', 'success'],
      ['Undo', 'failure'],
      ['Tell the team', 'always'],
    ]);
    const sw = stages[1]!.settings;
    expect(sw.verify).toMatchObject({ timeoutMs: 30_000, intervalMs: 1000 });
    expect(sw.gate).toMatchObject({ timeoutMs: 60_000, soakMs: 120_000 });
    // "the canary web-1, then web-2, then web-3 web-4": three gates for four hosts.
    expect(waveSizes(sw, 4)).toEqual([1, 1, 2]);
    expect(stages[3]!.settings).toMatchObject({ canary: false });
  });

  it('the stages in docs/config.md load too, inside a runner', () => {
    const docs = readFileSync(join(REPO, 'docs/config.md'), 'utf8');
    const part = /^## Verify, gate and the way out\n([\s\S]*?)(?=^## )/m.exec(docs)?.[1] ?? '';
    const stages = /```yaml\n([\s\S]*?)```/.exec(part)?.[1] ?? '';
    expect(stages).toContain('when: failure');
    const text = [
      'version: 1',
      'hosts: { web: [web-1.example.com] }',
      'runners:',
      '  deploy:',
      '    stages:',
      '      - { name: Build, steps: [{ local: make }] }',
      ...stages
        .trimEnd()
        .split('\n')
        .map((l) => `      ${l}`),
    ].join('\n');
    expect(loadYamlConfig(text, 'release.yml').runners).toHaveLength(1);
  });
});
