import { loadYamlConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/contract/errors.js';
import type { Stage } from '../../src/engine/model/stage.js';
import { moduleConfig } from '../../src/config/index.js';

/** A config whose runner has `stages` (YAML lines, indented under `stages:`). */
function config(stages: string[]): string {
  return [
    'version: 1', // 1
    'hosts:', // 2
    '  web: [web-1.example.com, web-2.example.com]', // 3
    'runners:', // 4
    '  deploy:', // 5
    '    stages:', // 6
    ...stages.map((l) => `      ${l}`), // 7…
  ].join('\n');
}

const SHIP = ['- name: Ship', '  hosts: [web]', '  steps: [{ run: ./ship }]'];

function stagesOf(text: string): Stage[] {
  const runner = loadYamlConfig(text, 'release.yml').runners[0]!;
  return runner.stages({
    runner: 'deploy',
    release: 'r',
    vars: {},
    previous: [],
    signal: new AbortController().signal,
  }) as Stage[];
}

function errorOf(text: string): Error {
  try {
    loadYamlConfig(text, 'release.yml');
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the config to be rejected');
}

describe('verify, gate and when in the config', () => {
  it('map onto the engine’s stage settings, with the stage’s shell', () => {
    const [ship, undo] = stagesOf(
      config([
        ...SHIP,
        '  shell: sh -eu',
        '  verify: { run: curl -fsS http://127.0.0.1:8080/up, timeout: 30s, interval: 500ms }',
        '  gate: { local: ./check-error-rate.sh, timeout: 2m, soak: 10s }',
        '- name: Undo',
        '  when: failure',
        '  hosts: [web]',
        '  verify: { local: ./probe.sh }',
        '  steps: [{ run: ./undo }]',
      ]),
    );
    expect(ship!.settings.verify).toEqual({
      check: {
        kind: 'exec',
        target: 'host',
        script: 'curl -fsS http://127.0.0.1:8080/up',
        shell: ['sh', '-eu'],
      },
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    expect(ship!.settings.gate).toEqual({
      check: { kind: 'exec', target: 'controller', script: './check-error-rate.sh', shell: ['sh', '-eu'] },
      timeoutMs: 120_000,
      soakMs: 10_000,
    });
    expect(ship!.settings.when).toBe('success');
    expect(undo!.settings.when).toBe('failure');
    expect(undo!.settings.verify).toMatchObject({
      check: { target: 'controller', script: './probe.sh' },
      timeoutMs: 30_000,
      intervalMs: 1000,
    });
    expect(undo!.settings.gate).toBeNull();
  });

  it('bad values: position, path, what was expected and found', () => {
    expect(errorOf(config([...SHIP, '  when: sometimes'])).message).toBe(
      'release.yml:10:15: runners.deploy.stages[0].when: expected success, failure, cancelled or always, got "sometimes"',
    );
    expect(errorOf(config([...SHIP, '  verify: { run: ./check, timeout: 30 }'])).message).toBe(
      'release.yml:10:42: runners.deploy.stages[0].verify.timeout: expected a positive duration like 500ms, 10s, 5m or 1h, got 30',
    );
    expect(errorOf(config([...SHIP, '  gate: ./check.sh'])).message).toBe(
      'release.yml:10:15: runners.deploy.stages[0].gate: expected a map {local, timeout, soak}, got "./check.sh"',
    );
  });

  it('unknown keys get did-you-mean, or the keys that exist', () => {
    expect(errorOf(config([...SHIP, '  verify: { run: ./check, intervall: 1s }'])).message).toBe(
      'release.yml:10:33: runners.deploy.stages[0].verify.intervall: unknown key, did you mean "interval"?',
    );
    expect(errorOf(config([...SHIP, '  gate: { run: ./check }'])).message).toBe(
      'release.yml:10:15: runners.deploy.stages[0].gate: missing required key "local"\n' +
        'release.yml:10:17: runners.deploy.stages[0].gate.run: unknown key, expected one of: local, timeout, soak',
    );
    expect(errorOf(config([...SHIP, '  wehn: failure'])).message).toBe(
      'release.yml:10:9: runners.deploy.stages[0].wehn: unknown key, did you mean "when"?',
    );
  });

  it('verify needs exactly one of run or local; a gate needs local', () => {
    expect(errorOf(config([...SHIP, '  verify: { run: a, local: b }'])).message).toBe(
      'release.yml:10:17: runners.deploy.stages[0].verify: verify needs exactly one of run or local, found run and local',
    );
    expect(errorOf(config([...SHIP, '  verify: { timeout: 5s }'])).message).toBe(
      'release.yml:10:17: runners.deploy.stages[0].verify: verify needs exactly one of run or local, found none',
    );
    expect(errorOf(config([...SHIP, '  gate: { soak: 5s }'])).message).toBe(
      'release.yml:10:15: runners.deploy.stages[0].gate: missing required key "local"',
    );
  });

  it('a failure or cancelled first stage never runs: an error at its when', () => {
    for (const when of ['failure', 'cancelled']) {
      const e = errorOf(
        config(['- name: Undo', `  when: ${when}`, '  hosts: [web]', '  steps: [{ run: ./undo }]', ...SHIP]),
      );
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.message).toMatch(
        new RegExp(
          `^release\\.yml:8:15: runners\\.deploy\\.stages\\[0\\]\\.when: a "when: ${when}" stage runs after an earlier stage .*as the first stage it never runs`,
        ),
      );
    }
    // `always` first is fine: it runs whatever happens (and announces a release, say).
    expect(
      stagesOf(config(['- name: Announce', '  when: always', '  steps: [{ local: ./announce }]', ...SHIP])),
    ).toHaveLength(2);
  });

  it('a gate on a stage without hosts (one job on the controller) is an error; on one host it is allowed', () => {
    expect(
      errorOf(config(['- name: Build', '  gate: { local: ./check }', '  steps: [{ local: make }]'])).message,
    ).toBe(
      'release.yml:8:15: runners.deploy.stages[0].gate: a gate runs after each wave of a stage’s hosts; this stage has no hosts (one job on the controller): use a local step instead',
    );
    const [one] = stagesOf(
      config([
        '- name: One',
        '  hosts: [web-1.example.com]',
        '  gate: { local: ./check }',
        '  steps: [{ run: x }]',
      ]),
    );
    expect(one!.settings.gate).not.toBeNull();
  });

  it('the variables the tool sets cannot be defined', () => {
    for (const name of ['BW_RESULT', 'BW_FAILED_STAGE', 'BW_FAILED_HOSTS', 'BW_WAVE', 'BW_WAVE_HOSTS']) {
      expect(errorOf(`${config(SHIP)}\nvars: { ${name}: x }`).message).toContain(
        `${name} is set by the tool for every job; choose another name`,
      );
    }
  });

  it('step names may use BW_RESULT (set for every job), not BW_WAVE (a gate’s only)', () => {
    expect(
      stagesOf(
        config(['- name: Ship', '  hosts: [web]', '  steps: [{ name: "ship (${BW_RESULT})", run: x }]']),
      ),
    ).toHaveLength(1);
    expect(
      errorOf(config(['- name: Ship', '  hosts: [web]', '  steps: [{ name: "wave ${BW_WAVE}", run: x }]']))
        .message,
    ).toMatch(/stages\[0\]\.steps\[0\]\.name: unknown variable "\$\{BW_WAVE\}"/);
  });

  it('a JavaScript-module stage takes the same keys', () => {
    const loaded = moduleConfig(
      {
        hosts: { web: ['local:a', 'local:b'] },
        runners: {
          deploy: {
            stages: [
              { name: 'Ship', hosts: ['web'], steps: [{ run: 'x' }], verify: { run: 'y', interval: '1s' } },
              { name: 'Undo', hosts: ['web'], when: 'failure', gate: { local: 'z' }, steps: [{ run: 'u' }] },
            ],
          },
        },
      },
      'release.mjs',
    );
    const stages = loaded.runners[0]!.stages({
      runner: 'deploy',
      release: 'r',
      vars: {},
      previous: [],
      signal: new AbortController().signal,
    }) as Stage[];
    expect(
      stages.map((st) => [st.settings.when, st.settings.verify?.intervalMs, st.settings.gate?.timeoutMs]),
    ).toEqual([
      ['success', 1000, undefined],
      ['failure', undefined, 60_000],
    ]);
  });
});
