import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findConfigFile, loadConfig, loadYamlConfig } from '../../src/config/index.js';
import type { LoadedConfig } from '../../src/config/index.js';
import { CONTROLLER } from '../../src/contract/host.js';
import type { Host } from '../../src/contract/host.js';
import type { Job } from '../../src/engine/model/job.js';
import type { Stage, StageContext } from '../../src/engine/model/stage.js';
import { DEFAULT_SSH_OPTIONS } from '../../src/contract/ssh-options.js';
import { parseJumpHost } from '../../src/config/ssh.js';

const stageCtx: StageContext = { runner: 'deploy', release: 'r1', vars: {}, previous: [] };

function stagesOf(config: LoadedConfig, runner = 0): Stage[] {
  return [
    ...(config.runners[runner]!.stages({
      ...stageCtx,
      signal: new AbortController().signal,
    }) as Iterable<Stage>),
  ];
}

function hostsOf(stage: Stage): string[] {
  return [...(stage.jobs(stageCtx) as Iterable<Job>)].map((job) => job.host.name);
}

const minimal = (stage: string[]): string =>
  ['version: 1', 'runners:', '  deploy:', '    stages:', ...stage.map((line) => `      ${line}`)].join('\n');

describe('loading the full example config (every kind of field)', () => {
  let config: LoadedConfig;
  beforeAll(async () => {
    config = await loadConfig('__tests__/fixtures/config/design-example.yml');
  });

  it('resolves the ssh block over the defaults', () => {
    expect(config.ssh).toEqual({
      ...DEFAULT_SSH_OPTIONS,
      user: 'deploy',
      port: 22,
      privateKeyPath: '~/.ssh/id_ed25519',
      knownHostsPaths: ['~/.ssh/known_hosts'],
      hostKeyChecking: 'strict',
      connectTimeoutMs: 10_000,
      keepaliveMs: 5_000,
      jumpHost: { user: 'deploy', address: 'bastion.example.com', port: 22 },
      maxSessions: 8,
    });
  });

  it('reads all three host forms and local hosts', () => {
    const host = (name: string, address: string, port: number, user?: string): Host => ({
      name,
      address,
      port,
      local: false,
      ...(user ? { user } : {}),
    });
    expect(config.groups).toEqual({
      web: [
        host('web-1.example.com', 'web-1.example.com', 22),
        host('web-2.example.com:2222', 'web-2.example.com', 2222, 'deploy'),
        host('web-3', '10.0.0.13', 22, 'deploy'),
      ],
      cron: [host('cron-1.example.com', 'cron-1.example.com', 22)],
      demo: [
        { name: 'local:a', address: 'localhost', port: 0, local: true },
        { name: 'local:b', address: 'localhost', port: 0, local: true },
      ],
    });
    expect(config.hosts.map((h) => h.name)).toEqual([
      'web-1.example.com',
      'web-2.example.com:2222',
      'web-3',
      'cron-1.example.com',
      'local:a',
      'local:b',
    ]);
  });

  it('builds the runner with every stage setting converted', () => {
    expect(config.runnerNames).toEqual(['deploy']);
    expect(config.runners[0]!.description).toBe('Ship a release');
    expect(config.runners[0]!.stageCount).toBe(1);
    const [stage] = stagesOf(config);
    expect(stage!.name).toBe('Distribute code');
    expect(stage!.settings).toEqual({
      canary: true,
      parallel: true,
      poolSize: 10,
      batch: [2, 5, { percent: 25 }],
      maxFailures: 0,
      canFail: false,
      retries: 1,
      retryDelayMs: 2_000,
      timeoutMs: 600_000,
      verify: null,
      gate: null,
      when: 'success',
      runsLeftBehind: false,
      inEveryPart: false,
    });
    expect(hostsOf(stage!)).toEqual([
      'web-1.example.com',
      'web-2.example.com:2222',
      'web-3',
      'cron-1.example.com',
    ]);
  });
});

describe('defaults', () => {
  it('a stage without hosts is one job on the controller, with the engine defaults', () => {
    const config = loadYamlConfig(minimal(['- name: Build', '  steps: [{ local: make }]']), 'release.yml');
    expect(config.ssh).toEqual(DEFAULT_SSH_OPTIONS);
    expect(config.vars).toEqual({});
    const [stage] = stagesOf(config);
    expect(stage!.settings).toEqual({
      canary: true,
      parallel: true,
      poolSize: 10,
      batch: [],
      maxFailures: 0,
      canFail: false,
      retries: 0,
      retryDelayMs: 1000,
      timeoutMs: undefined,
      verify: null,
      gate: null,
      when: 'success',
      runsLeftBehind: false,
      inEveryPart: false,
    });
    const jobs = [...(stage!.jobs(stageCtx) as Iterable<Job>)];
    expect(jobs.map((job) => job.host)).toEqual([CONTROLLER]);
  });

  it('hosts without a port take ssh.port; local hosts take none', () => {
    const config = loadYamlConfig(
      [
        'version: 1',
        'ssh: { port: 2200 }',
        'hosts:',
        '  web: [a.example.com, "b.example.com:22", local:x]',
        'runners: { r: { stages: [{ name: s, steps: [{ run: x }] }] } }',
      ].join('\n'),
      'release.yml',
    );
    expect(config.groups.web!.map((h) => [h.name, h.port])).toEqual([
      ['a.example.com', 2200],
      ['b.example.com:22', 22],
      ['local:x', 0],
    ]);
  });

  it('ssh known-hosts may be a list; a jump host without user and port gets port 22', () => {
    const config = loadYamlConfig(
      [
        'version: 1',
        'ssh:',
        '  known-hosts: [a, b]',
        '  jump-host: bastion',
        '  host-key-checking: accept-new',
        'runners: { r: { stages: [{ name: s, steps: [{ run: x }] }] } }',
      ].join('\n'),
      'release.yml',
    );
    expect(config.ssh.knownHostsPaths).toEqual(['a', 'b']);
    expect(config.ssh.jumpHost).toEqual({ address: 'bastion', port: 22 });
    expect(config.ssh.hostKeyChecking).toBe('accept-new');
  });

  it.each(['deploy@', 'bastion:99999', 'a b', 'bad user@bastion'])(
    'an invalid jump host %j is a config error at file:line:col, and never reaches the transport',
    (jump) => {
      const text = [
        'version: 1',
        'ssh:',
        `  jump-host: ${JSON.stringify(jump)}`,
        'runners: { r: { stages: [{ name: s, steps: [{ run: x }] }] } }',
      ].join('\n');
      expect(() => loadYamlConfig(text, 'release.yml')).toThrow(
        'release.yml:3:14: ssh.jump-host: expected a jump host like deploy@bastion.example.com:22',
      );
      // What the schema let through is parsed again; on its own the parser names the text too.
      expect(() => parseJumpHost(jump)).toThrow(`invalid jump host "${jump}"`);
      expect(parseJumpHost('ops@bastion:2222')).toEqual({ user: 'ops', address: 'bastion', port: 2222 });
    },
  );

  it('max-failures and batch take percentages', () => {
    const config = loadYamlConfig(
      minimal([
        '- name: s',
        '  max-failures: 12.5%',
        '  batch: [1, 50%]',
        '  retry-delay: 0s',
        '  steps: [{ run: x }]',
      ]),
      'release.yml',
    );
    const [stage] = stagesOf(config);
    expect(stage!.settings.maxFailures).toEqual({ percent: 12.5 });
    expect(stage!.settings.batch).toEqual([1, { percent: 50 }]);
    expect(stage!.settings.retryDelayMs).toBe(0);
  });
});

describe('hosts in stages', () => {
  const text = [
    'version: 1',
    'hosts:',
    '  web: [web-1.example.com, web-2.example.com]',
    '  all: [web-2.example.com, db.example.com]',
    'runners:',
    '  deploy:',
    '    stages:',
    '      - name: s',
    '        hosts: [web, all, "deploy@web-1.example.com", { name: extra, address: 10.0.0.9 }, local:a, web]',
    '        steps: [{ run: x }]',
  ].join('\n');

  it('mixes groups and entries, and runs each host once (first mention wins the order)', () => {
    const config = loadYamlConfig(
      text.replace('"deploy@web-1.example.com"', 'web-1.example.com'),
      'release.yml',
    );
    expect(hostsOf(stagesOf(config)[0]!)).toEqual([
      'web-1.example.com',
      'web-2.example.com',
      'db.example.com',
      'extra',
      'local:a',
    ]);
    expect(config.hosts.map((h) => h.name)).toContain('extra');
  });

  it('the same name with another user is a conflict, not a second host', () => {
    expect(() => loadYamlConfig(text, 'release.yml')).toThrow(
      'release.yml:9:27: runners.deploy.stages[0].hosts[2]: host "web-1.example.com" is already defined as ' +
        'web-1.example.com:22, here it is deploy@web-1.example.com:22; a name means one host, so give this one ' +
        'its own: { name: OTHER-NAME, address: web-1.example.com, port: 22, user: deploy }',
    );
  });

  it('accepts [ipv6]:port entries', () => {
    const config = loadYamlConfig(
      minimal(['- name: s', '  hosts: ["root@[::1]:2222"]', '  steps: [{ run: x }]']),
      'r.yml',
    );
    expect(config.hosts).toEqual([
      { name: '[::1]:2222', address: '::1', port: 2222, user: 'root', local: false },
    ]);
  });

  it('address:port with a port other than ssh.port is named address:port: one address, two hosts', () => {
    const config = loadYamlConfig(
      [
        'version: 1',
        'hosts:',
        '  nat: ["127.0.0.1:2201", "127.0.0.1:2202", "127.0.0.1:22", "[::1]:2201"]',
        'runners:',
        '  deploy:',
        '    stages: [{ name: s, hosts: [nat, "127.0.0.1:2202"], steps: [{ run: x }] }]',
      ].join('\n'),
      'r.yml',
    );
    expect(config.groups.nat!.map((h) => [h.name, h.address, h.port])).toEqual([
      ['127.0.0.1:2201', '127.0.0.1', 2201],
      ['127.0.0.1:2202', '127.0.0.1', 2202],
      ['127.0.0.1', '127.0.0.1', 22],
      ['[::1]:2201', '::1', 2201],
    ]);
    expect(hostsOf(stagesOf(config)[0]!)).toEqual([
      '127.0.0.1:2201',
      '127.0.0.1:2202',
      '127.0.0.1',
      '[::1]:2201',
    ]);
    // The default port is ssh.port: with port 2201 there, that host keeps the bare address.
    const withPort = loadYamlConfig(
      [
        'version: 1',
        'ssh: { port: 2201 }',
        'hosts:',
        '  nat: ["127.0.0.1:2201", "127.0.0.1:2202"]',
        'runners:',
        '  deploy: { stages: [{ name: s, hosts: [nat], steps: [{ run: x }] }] }',
      ].join('\n'),
      'r.yml',
    );
    expect(withPort.hosts.map((h) => h.name)).toEqual(['127.0.0.1', '127.0.0.1:2202']);
  });
});

describe('vars', () => {
  const text = [
    'version: 1',
    'vars:',
    '  APP: shop',
    '  VERSION: 1.10',
    '  MODE: 0755',
    '  DEBUG: false',
    '  QUOTED: "007"',
    'runners:',
    '  deploy:',
    '    stages:',
    '      - name: Ship ${APP} ${VERSION}',
    '        steps: [{ run: x }]',
  ].join('\n');

  it('are strings as written, even when YAML would read a number or a boolean', () => {
    expect(loadYamlConfig(text, 'release.yml').vars).toEqual({
      APP: 'shop',
      VERSION: '1.10',
      MODE: '0755',
      DEBUG: 'false',
      QUOTED: '007',
    });
  });

  it('overrides win over the config (config < --var), and new names are added', () => {
    const config = loadYamlConfig(text, 'release.yml', { APP: 'shop-eu', EXTRA: '1' });
    expect(config.vars).toEqual({
      APP: 'shop-eu',
      VERSION: '1.10',
      MODE: '0755',
      DEBUG: 'false',
      QUOTED: '007',
      EXTRA: '1',
    });
  });

  it('${NAME} in stage names is expanded at load time from the merged vars', () => {
    expect(stagesOf(loadYamlConfig(text, 'release.yml'))[0]!.name).toBe('Ship shop 1.10');
    expect(stagesOf(loadYamlConfig(text, 'release.yml', { APP: 'b2b' }))[0]!.name).toBe('Ship b2b 1.10');
  });
});

describe('finding the config', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bw-find-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prefers .github/release.yml, then release.yml', async () => {
    await writeFile(join(dir, 'release.yml'), minimal(['- name: s', '  steps: [{ run: x }]']));
    expect(await findConfigFile(dir)).toBe('release.yml');
    await mkdir(join(dir, '.github'));
    await writeFile(join(dir, '.github/release.yml'), minimal(['- name: s', '  steps: [{ run: x }]']));
    expect(await findConfigFile(dir)).toBe('.github/release.yml');
    const config = await loadConfig(await findConfigFile(dir), { cwd: dir });
    expect(config.file).toBe('.github/release.yml');
    expect(config.format).toBe('yaml');
  });
});

describe('YAML anchors', () => {
  it('top-level x- keys are ignored, so they can hold shared settings merged with <<', () => {
    const config = loadYamlConfig(
      [
        'version: 1',
        'x-careful: &careful',
        '  retries: 2',
        '  timeout: 5m',
        '  parallel: false',
        'runners:',
        '  deploy:',
        '    stages:',
        '      - <<: *careful',
        '        name: one',
        '        steps: [{ run: x }]',
        '      - <<: *careful',
        '        name: two',
        '        retries: 0',
        '        steps: [{ run: x }]',
      ].join('\n'),
      'release.yml',
    );
    expect(
      stagesOf(config).map((s) => [s.name, s.settings.retries, s.settings.timeoutMs, s.settings.parallel]),
    ).toEqual([
      ['one', 2, 300_000, false],
      ['two', 0, 300_000, false],
    ]);
  });
});
