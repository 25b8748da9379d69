import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import {
  generateJsonSchema,
  JSON_SCHEMA_PATH,
  loadYamlConfig,
  renderJsonSchema,
} from '../../src/config/index.js';

/** Configs the validator accepts; the published schema must accept them too. */
const VALID = [
  '__tests__/fixtures/config/design-example.yml',
  'examples/local-release.yml',
  'examples/php-release.yml',
  'examples/gated-release.yml',
];

describe('published JSON Schema', () => {
  it(`${JSON_SCHEMA_PATH} is what the validator's schema generates (run npm run schema when this fails)`, async () => {
    expect(await readFile(JSON_SCHEMA_PATH, 'utf8')).toBe(renderJsonSchema());
  });

  const ajv = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  const validate = ajv.compile(generateJsonSchema());

  it.each(VALID)('accepts %s, which the validator accepts too', async (file) => {
    const text = await readFile(file, 'utf8');
    expect(() => loadYamlConfig(text, file)).not.toThrow();
    expect(validate(parse(text))).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
  });

  it('allows top-level x- keys (for YAML anchors)', () => {
    expect(validate({ version: 1, 'x-defaults': { retries: 2 }, runners: {} })).toBe(true);
  });

  it.each([
    ['an unknown key', { version: 1, runners: {}, extra: 1 }],
    ['a wrong version', { version: 2, runners: {} }],
    [
      'a bad duration',
      { version: 1, runners: { r: { stages: [{ name: 's', timeout: '10', steps: [{ run: 'x' }] }] } } },
    ],
    [
      'a bad percentage',
      { version: 1, runners: { r: { stages: [{ name: 's', batch: ['1 %'], steps: [{ run: 'x' }] }] } } },
    ],
    [
      'a step with two kinds',
      { version: 1, runners: { r: { stages: [{ name: 's', steps: [{ run: 'x', local: 'y' }] }] } } },
    ],
    ['a bad var name', { version: 1, vars: { '1A': 'x' }, runners: {} }],
  ])('rejects %s', (_what, config) => {
    expect(validate(config)).toBe(false);
  });

  it('describes the fields for editors', () => {
    const schema = generateJsonSchema() as {
      title: string;
      properties: Record<string, { description?: string }>;
    };
    expect(schema.title).toBe('Boerewors release config');
    for (const key of ['version', 'ssh', 'hosts', 'vars', 'runners']) {
      expect(schema.properties[key]?.description).toEqual(expect.any(String));
    }
  });
});
