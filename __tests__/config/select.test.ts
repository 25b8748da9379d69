import { loadYamlConfig, resolveHostFilter, selectRunner } from '../../src/config/index.js';
import { ConfigError, UsageError } from '../../src/contract/errors.js';

const config = loadYamlConfig(
  [
    'version: 1',
    'hosts:',
    '  web: [web-1.example.com, web-2.example.com]',
    '  demo: [local:a]',
    'runners:',
    '  deploy: { stages: [{ name: s, hosts: [web, "db.example.com"], steps: [{ run: x }] }] }',
    '  rollback: { stages: [{ name: s, hosts: [demo], steps: [{ run: x }] }] }',
  ].join('\n'),
  'release.yml',
);
const single = loadYamlConfig(
  'version: 1\nrunners: { only: { stages: [{ name: s, steps: [{ run: x }] }] } }',
  'release.yml',
);

describe('selectRunner', () => {
  it('picks by name, or the only runner', () => {
    expect(selectRunner(config, 'rollback').name).toBe('rollback');
    expect(selectRunner(single).name).toBe('only');
  });

  it('unknown runner: lists the available ones, with did-you-mean', () => {
    expect(() => selectRunner(config, 'deplyo')).toThrow(
      new ConfigError(
        'release.yml: unknown runner "deplyo", did you mean "deploy"? (available: deploy, rollback)',
      ),
    );
    expect(() => selectRunner(config, 'warmup')).toThrow(
      new ConfigError('release.yml: unknown runner "warmup" (available: deploy, rollback)'),
    );
  });

  it('two runners and none chosen: lists them, and says how to choose in the words of the caller', () => {
    expect(() => selectRunner(config)).toThrow(
      new ConfigError('release.yml: 2 runners (deploy, rollback) and none chosen'),
    );
    expect(() => selectRunner(config, undefined, '--runner')).toThrow(
      new ConfigError('release.yml: 2 runners (deploy, rollback) and none chosen: pick one with --runner'),
    );
  });
});

describe('resolveHostFilter', () => {
  it('expands groups, keeps host names (from groups and stage entries), each once, in order', () => {
    expect(resolveHostFilter(config, ['db.example.com', 'web', 'web-1.example.com', 'local:a'])).toEqual([
      'db.example.com',
      'web-1.example.com',
      'web-2.example.com',
      'local:a',
    ]);
  });

  it('unknown names are a usage error naming the flag or input the caller gives', () => {
    expect(() => resolveHostFilter(config, ['wbe'], '--hosts')).toThrow(
      new UsageError('--hosts: unknown host or group "wbe", did you mean "web"?'),
    );
    expect(() => resolveHostFilter(config, ['wbe'])).toThrow(
      new UsageError('hosts filter: unknown host or group "wbe", did you mean "web"?'),
    );
    expect(() => resolveHostFilter(config, ['nowhere'], 'hosts input')).toThrow(
      new UsageError('hosts input: unknown host or group "nowhere"'),
    );
  });
});
