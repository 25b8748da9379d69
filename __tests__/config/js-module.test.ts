import { moduleConfig, resolveHostFilter, selectRunner } from '../../src/config/index.js';
// The library's loadConfig: it hands a config function the library API, as a user's run does.
import { loadConfig } from '../../src/index.js';
import type { Job } from '../../src/engine/model/job.js';
import { Runner } from '../../src/engine/model/runner.js';
import type { Stage, StageContext } from '../../src/engine/model/stage.js';
import { ConfigError } from '../../src/contract/errors.js';

const FIXTURES = '__tests__/fixtures/config';
const stageCtx: StageContext = { runner: 'greet', release: 'r1', vars: {}, previous: [] };
const stagesOf = (runner: Runner): Stage[] => [
  ...(runner.stages({ ...stageCtx, signal: new AbortController().signal }) as Iterable<Stage>),
];

describe('JavaScript-module configs', () => {
  it('function form: gets the library API, builds custom jobs per host, keeps Runner objects', async () => {
    const config = await loadConfig(`${FIXTURES}/module-function.mjs`, { vars: { GREETING: 'hi' } });
    expect(config.format).toBe('module');
    expect(config.runnerNames).toEqual(['greet', 'custom']);
    expect(config.customRunners).toEqual(['custom']);
    expect(config.vars).toEqual({ GREETING: 'hi', COUNT: '3', ENABLED: 'true' });

    const [stage] = stagesOf(selectRunner(config, 'greet'));
    expect(stage!.name).toBe('Greet hi');
    expect(stage!.settings.retries).toBe(1);
    expect(stage!.settings.retryDelayMs).toBe(10);
    const jobs = [...(stage!.jobs(stageCtx) as Iterable<Job>)];
    expect(jobs.map((job) => [job.constructor.name, job.host.name])).toEqual([
      ['Greet', 'local:a'],
      ['Greet', 'local:b'],
    ]);
    const body = jobs[0]!.run({} as never);
    expect((await body.next()).value).toEqual({
      kind: 'exec',
      target: 'host',
      script: 'echo "$GREETING"',
      shell: ['bash', '--noprofile', '--norc', '-eo', 'pipefail'],
      label: 'greet',
    });

    const custom = selectRunner(config, 'custom');
    expect(custom).toBeInstanceOf(Runner);
    // Runner objects' hosts are unknown before they run: --hosts names pass through.
    expect(resolveHostFilter(config, ['demo', 'somewhere'])).toEqual(['local:a', 'local:b', 'somewhere']);
  });

  it('object form: the same blocks as YAML', async () => {
    const config = await loadConfig(`${FIXTURES}/module-object.mjs`);
    expect(config.ssh.user).toBe('deploy');
    expect(config.ssh.connectTimeoutMs).toBe(3000);
    expect(config.ssh.knownHostsPaths).toEqual(['a', 'b']);
    expect(config.groups.web).toEqual([
      { name: 'web-1.example.com', address: 'web-1.example.com', port: 22, local: false },
      { name: 'web-2', address: '10.0.0.2', port: 2222, local: false },
    ]);
    const [stage] = stagesOf(selectRunner(config));
    expect(stage!.settings.maxFailures).toEqual({ percent: 50 });
    expect([...(stage!.jobs(stageCtx) as Iterable<Job>)].map((job) => job.host.name)).toEqual([
      'web-1.example.com',
      'web-2',
    ]);
  });

  it('a list of Runner objects', async () => {
    const config = await loadConfig(`${FIXTURES}/module-runner-list.mjs`);
    expect(config.runnerNames).toEqual(['one', 'two']);
    expect(config.customRunners).toEqual(['one', 'two']);
  });

  it('validates like YAML, with paths but no line numbers', async () => {
    await expect(loadConfig(`${FIXTURES}/module-invalid.mjs`)).rejects.toThrow(
      new ConfigError(
        [
          `${FIXTURES}/module-invalid.mjs: hosts.web[0]: expected a host: a string or a map {name, address, port, user}, got 42`,
          `${FIXTURES}/module-invalid.mjs: runners.deploy.stages[0].pool_size: unknown key, did you mean "pool-size"?`,
        ].join('\n'),
      ),
    );
  });

  it('a module that throws, or exports nothing, is a config error naming the file', async () => {
    await expect(loadConfig(`${FIXTURES}/module-throws.mjs`)).rejects.toThrow(
      new ConfigError(`${FIXTURES}/module-throws.mjs: the config function failed: no inventory today`),
    );
    await expect(loadConfig(`${FIXTURES}/module-no-default.mjs`)).rejects.toThrow(
      new ConfigError(
        `${FIXTURES}/module-no-default.mjs: no default export; export a config object or a function (api) => config`,
      ),
    );
  });

  it('checks runner shapes: names match keys, stages have steps or job', () => {
    const runner = new Runner({ name: 'ship', stages: [] });
    expect(() => moduleConfig({ runners: { deploy: runner } }, 'm.mjs')).toThrow(
      new ConfigError('m.mjs: runners.deploy: the Runner is named "ship"; give it the name of its key'),
    );
    expect(() => moduleConfig({ runners: [runner, { name: 'x' }] }, 'm.mjs')).toThrow(
      new ConfigError(
        'm.mjs: runners[1]: expected a Runner (a map name → runner takes YAML-style runners), got a map',
      ),
    );
    expect(() => moduleConfig({ runners: { r: { stages: [{ name: 's' }] } } }, 'm.mjs')).toThrow(
      new ConfigError('m.mjs: runners.r.stages[0]: a stage needs exactly one of steps or job'),
    );
    expect(() => moduleConfig({ runners: {} }, 'm.mjs')).toThrow(
      new ConfigError('m.mjs: runners: expected at least one runner'),
    );
  });

  it('a job factory that returns something else fails the stage when its jobs are made', () => {
    const config = moduleConfig({ runners: { r: { stages: [{ name: 's', job: () => 42 }] } } }, 'm.mjs');
    const [stage] = stagesOf(config.runners[0]!);
    expect(() => [...(stage!.jobs(stageCtx) as Iterable<Job>)]).toThrow(
      new ConfigError('stage "s": job(host) must return a Job, got number'),
    );
  });
});

describe('the config loader on its own', () => {
  it('needs the library API handed in to call a config function (config does not import the entry)', async () => {
    const { loadConfig: loadWithoutApi } = await import('../../src/config/index.js');
    await expect(loadWithoutApi(`${FIXTURES}/module-function.mjs`)).rejects.toThrow(
      'loading a config function needs the library API (options.api)',
    );
  });
});
