import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError, findConfigFile, loadConfig, loadYamlConfig } from '../../src/config/index.js';
import { ConfigError, UsageError } from '../../src/contract/errors.js';

/** A valid config; each test breaks one line of it. Line numbers are in the comments. */
const BASE = [
  'version: 1', // 1
  'hosts:', // 2
  '  web: [web-1.example.com, web-2.example.com]', // 3
  'vars:', // 4
  '  APP: shop', // 5
  'runners:', // 6
  '  deploy:', // 7
  '    stages:', // 8
  '      - name: Ship', // 9
  '        hosts: [web]', // 10
  '        pool-size: 10', // 11
  '        timeout: 10m', // 12
  '        max-failures: 10%', // 13
  '        steps:', // 14
  '          - run: echo "$APP"', // 15
  '          - upload: { from: build/, to: "/srv/${APP}" }', // 16
];

/** BASE with line `n` (1-based) replaced. */
function withLine(n: number, text: string): string {
  return BASE.map((line, i) => (i === n - 1 ? text : line)).join('\n');
}

function errorOf(text: string, vars?: Record<string, string>): Error {
  try {
    loadYamlConfig(text, 'release.yml', vars);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the config to be rejected');
}

describe('config errors: file:line:col: path: message', () => {
  it('accepts the base config', () => {
    expect(loadYamlConfig(BASE.join('\n'), 'release.yml').runnerNames).toEqual(['deploy']);
  });

  it('malformed YAML: the parser position and message', () => {
    const e = errorOf(withLine(7, '\tdeploy:'));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe('release.yml:7:1: invalid YAML: Tabs are not allowed as indentation');
    expect(errorOf('version: 1\nversion: 1\n').message).toBe(
      'release.yml:2:1: invalid YAML: Map keys must be unique',
    );
  });

  it('an indentation error points at the misplaced key, not at column 1', () => {
    expect(errorOf(withLine(11, '       pool-size: 10')).message).toBe(
      'release.yml:11:8: invalid YAML: Sequence item without - indicator',
    );
    expect(errorOf(withLine(3, '  web: [web-1.example.com]\n    db: [db-1.example.com]')).message).toBe(
      'release.yml:4:5: invalid YAML: All mapping items must start at the same column',
    );
  });

  it('unknown key: at the key, with did-you-mean for a near miss', () => {
    expect(errorOf(withLine(11, '        pool_size: 10')).message).toBe(
      'release.yml:11:9: runners.deploy.stages[0].pool_size: unknown key, did you mean "pool-size"?',
    );
    expect(errorOf(withLine(11, '        poolSize: 10')).message).toBe(
      'release.yml:11:9: runners.deploy.stages[0].poolSize: unknown key, did you mean "pool-size"?',
    );
    expect(errorOf(withLine(1, 'verison: 1')).message).toBe(
      'release.yml:1:1: missing required key "version"\nrelease.yml:1:1: verison: unknown key, did you mean "version"?',
    );
  });

  it('unknown key without a near miss lists the keys that exist', () => {
    expect(errorOf(withLine(11, '        colour: red')).message).toBe(
      'release.yml:11:9: runners.deploy.stages[0].colour: unknown key, expected one of: name, hosts, canary, ' +
        'parallel, pool-size, batch, max-failures, can-fail, retries, retry-delay, timeout, shell, verify, ' +
        'gate, when, steps',
    );
  });

  it('wrong type: expected and found', () => {
    const e = errorOf(withLine(11, '        pool-size: ten'));
    expect(e).toBeInstanceOf(ConfigValidationError);
    expect(e.message).toBe(
      'release.yml:11:20: runners.deploy.stages[0].pool-size: expected a positive integer, got "ten"',
    );
    expect((e as ConfigValidationError).issues).toEqual([
      {
        file: 'release.yml',
        position: { line: 11, col: 20 },
        path: ['runners', 'deploy', 'stages', 0, 'pool-size'],
        message: 'expected a positive integer, got "ten"',
      },
    ]);
    expect(errorOf(withLine(11, '        pool-size: 0')).message).toBe(
      'release.yml:11:20: runners.deploy.stages[0].pool-size: expected a positive integer, got 0',
    );
    expect(errorOf(withLine(11, '        canary: "yes"')).message).toBe(
      'release.yml:11:17: runners.deploy.stages[0].canary: expected true or false, got "yes"',
    );
    expect(errorOf('version: 1\nrunners:\n  deploy: [Ship]\n').message).toBe(
      'release.yml:3:11: runners.deploy: expected a runner: a map with description and stages, got a list',
    );
  });

  it('bad duration', () => {
    expect(errorOf(withLine(12, '        timeout: 10')).message).toBe(
      'release.yml:12:18: runners.deploy.stages[0].timeout: expected a positive duration like 500ms, 10s, 5m or 1h, got 10',
    );
    expect(errorOf(withLine(12, '        timeout: 5 min')).message).toBe(
      'release.yml:12:18: runners.deploy.stages[0].timeout: expected a positive duration like 500ms, 10s, 5m or 1h, got "5 min"',
    );
    expect(errorOf(withLine(12, '        timeout: 0s')).message).toBe(
      'release.yml:12:18: runners.deploy.stages[0].timeout: expected a positive duration like 500ms, 10s, 5m or 1h, got "0s"',
    );
  });

  it('bad percentage', () => {
    expect(errorOf(withLine(13, '        max-failures: 10 %')).message).toBe(
      'release.yml:13:23: runners.deploy.stages[0].max-failures: expected a count (0 or more) or a percentage like 10%, got "10 %"',
    );
    expect(errorOf(withLine(13, '        batch: [2, 150%]')).message).toBe(
      'release.yml:13:20: runners.deploy.stages[0].batch[1]: expected a positive count or a percentage like 25%, got "150%"',
    );
  });

  it('unknown host group: at the list item, with did-you-mean', () => {
    expect(errorOf(withLine(10, '        hosts: [wbe]')).message).toBe(
      'release.yml:10:17: runners.deploy.stages[0].hosts[0]: unknown host group "wbe", did you mean "web"?',
    );
    expect(errorOf(withLine(10, '        hosts: [web, databases]')).message).toBe(
      'release.yml:10:22: runners.deploy.stages[0].hosts[1]: unknown host group "databases" (known groups: web); ' +
        'a single host without a dot is written databases:22 or {name: databases}',
    );
  });

  it('bad host entry', () => {
    expect(errorOf(withLine(3, '  web: [web-1.example.com, "deploy@web-2:http"]')).message).toBe(
      'release.yml:3:28: hosts.web[1]: expected a host entry: "name", "user@name:port" or "local:NAME", got "deploy@web-2:http"',
    );
    expect(errorOf(withLine(3, '  web: [{ name: web-3, adress: 10.0.0.3 }]')).message).toBe(
      'release.yml:3:24: hosts.web[0].adress: unknown key, did you mean "address"?',
    );
    expect(errorOf(withLine(3, '  web: [{ name: local:a, port: 22 }]')).message).toBe(
      'release.yml:3:32: hosts.web[0].port: a local host takes no port',
    );
    expect(errorOf(withLine(10, '        hosts: ["web 1"]')).message).toBe(
      'release.yml:10:17: runners.deploy.stages[0].hosts[0]: expected a group name or a host entry: ' +
        '"name.domain", "user@name:port" or "local:NAME", got "web 1"',
    );
  });

  it('bad variable name, and names the tool reserves', () => {
    expect(errorOf(withLine(5, '  1APP: shop')).message).toBe(
      'release.yml:5:3: vars.1APP: expected a variable name matching [A-Za-z_][A-Za-z0-9_]*, got "1APP"',
    );
    expect(errorOf(withLine(5, '  BW_HOST: shop')).message).toBe(
      'release.yml:5:3: vars.BW_HOST: BW_HOST is set by the tool for every job; choose another name',
    );
    expect(errorOf(withLine(5, '  APP: [shop]')).message).toBe(
      'release.yml:5:8: vars.APP: expected a string, got a list',
    );
  });

  it('unknown variable in a non-command field: at the field', () => {
    expect(errorOf(withLine(16, '          - upload: { from: build/, to: "/srv/${APPP}" }')).message).toBe(
      'release.yml:16:41: runners.deploy.stages[0].steps[1].upload.to: unknown variable "${APPP}", did you mean "APP"?',
    );
    expect(errorOf(withLine(9, '      - name: Ship ${BW_HOST}')).message).toBe(
      'release.yml:9:15: runners.deploy.stages[0].name: "${BW_HOST}" is set per job, so a stage name cannot use it ' +
        '(step names and upload paths can)',
    );
  });

  it('an unknown name that is no typo says where values come from', () => {
    expect(
      errorOf(withLine(16, '          - upload: { from: build/, to: "${HOST_ROOT}/releases" }')).message,
    ).toBe(
      'release.yml:16:41: runners.deploy.stages[0].steps[1].upload.to: unknown variable "${HOST_ROOT}": ' +
        'names and upload paths are expanded by boerewors on the controller from vars only ' +
        "(the config's vars:, --var, the action's vars and secret-vars), not by a shell and not from the environment; " +
        'define HOST_ROOT under vars: (or pass --var HOST_ROOT=…)',
    );
  });

  it('a $ that is not ${NAME} or $$ is an error, not a directory named $HOME', () => {
    const e = errorOf(withLine(16, "          - upload: { from: build/, to: '$HOME/releases/${APP}' }"));
    expect(e).toBeInstanceOf(ConfigValidationError);
    expect(e.message).toBe(
      'release.yml:16:41: runners.deploy.stages[0].steps[1].upload.to: "$HOME" is not expanded: ' +
        'names and upload paths are expanded by boerewors on the controller from vars only ' +
        "(the config's vars:, --var, the action's vars and secret-vars), not by a shell and not from the environment; " +
        'write ${NAME} with NAME from vars, or $$ for a literal "$". ' +
        "On an SSH host a relative upload.to (or ~/…) is already relative to the login user's home",
    );
    expect(errorOf(withLine(16, '          - upload: { from: $SRC, to: x }')).message).toMatch(
      /^release\.yml:16:29: runners\.deploy\.stages\[0\]\.steps\[1\]\.upload\.from: "\$SRC" is not expanded: .*\$\$ for a literal "\$"$/,
    );
    expect(errorOf(withLine(9, '      - name: Pay $5')).message).toMatch(
      /^release\.yml:9:15: runners\.deploy\.stages\[0\]\.name: "\$5" is not expanded: /,
    );
    expect(errorOf(withLine(9, '      - name: Ship ${APP')).message).toBe(
      'release.yml:9:15: runners.deploy.stages[0].name: "${APP" has no closing "}"',
    );
    // $$ is a literal $, and valid configs (BW_* in upload paths) keep working.
    const ok = loadYamlConfig(
      withLine(16, '          - upload: { from: "build/$$x", to: "/srv/${APP}/${BW_HOST}/${BW_RELEASE}" }'),
      'release.yml',
    );
    expect(ok.runnerNames).toEqual(['deploy']);
  });

  it('wrong version', () => {
    expect(errorOf(withLine(1, 'version: 2')).message).toBe('release.yml:1:10: version: expected 1, got 2');
    expect(errorOf(BASE.slice(1).join('\n')).message).toBe('release.yml:1:1: missing required key "version"');
  });

  it('steps need exactly one of run, local, upload', () => {
    expect(errorOf(withLine(15, '          - { run: a, local: b }')).message).toBe(
      'release.yml:15:13: runners.deploy.stages[0].steps[0]: a step needs exactly one of run, local, upload or release, found run and local',
    );
  });

  it('duplicate stage names and conflicting host definitions', () => {
    const twice = [...BASE, '      - name: Ship', '        steps: [{ run: "true" }]'].join('\n');
    expect(errorOf(twice).message).toBe(
      'release.yml:17:15: runners.deploy.stages[1].name: duplicate stage name "Ship" in runner "deploy"',
    );
    expect(
      errorOf(withLine(10, '        hosts: [web, { name: web-1.example.com, port: 2222 }]')).message,
    ).toBe(
      'release.yml:10:22: runners.deploy.stages[0].hosts[1]: host "web-1.example.com" is already defined as ' +
        'web-1.example.com:22, here it is web-1.example.com:2222; a name means one host, so give this one its own: ' +
        '{ name: OTHER-NAME, address: web-1.example.com, port: 2222 }',
    );
    // Written as address:port, the port makes it another host.
    const two = loadYamlConfig(withLine(10, '        hosts: [web, "web-1.example.com:2222"]'), 'release.yml');
    expect(two.hosts.map((h) => h.name)).toEqual([
      'web-1.example.com',
      'web-2.example.com',
      'web-1.example.com:2222',
    ]);
  });

  it('"controller" is the name of this machine, not a host name', () => {
    expect(errorOf(withLine(3, '  web: [{ name: controller, address: 10.0.0.1 }]')).message).toBe(
      'release.yml:3:9: hosts.web[0]: "controller" names this machine in reports; give the host another name',
    );
  });

  it('an unknown top-level key is an error unless it starts with x-', () => {
    expect(errorOf(withLine(2, 'host:')).message).toBe(
      'release.yml:2:1: host: unknown key, did you mean "hosts"?',
    );
  });

  it('lists every schema issue, one per line, in file order', () => {
    const text = withLine(11, '        pool-size: ten').replace('version: 1', 'version: 3');
    expect(errorOf(text).message).toBe(
      [
        'release.yml:1:10: version: expected 1, got 3',
        'release.yml:11:20: runners.deploy.stages[0].pool-size: expected a positive integer, got "ten"',
      ].join('\n'),
    );
  });

  it('an empty file or a list is not a config', () => {
    expect(errorOf('').message).toBe(
      'release.yml:1:1: expected a release config: a map with version, ssh, hosts, vars, lock, releases and runners, got nothing',
    );
    expect(errorOf('- a\n').message).toBe(
      'release.yml:1:1: expected a release config: a map with version, ssh, hosts, vars, lock, releases and runners, got a list',
    );
  });

  it('a --var override with a reserved or invalid name is a usage error', () => {
    expect(errorOf(BASE.join('\n'), { BW_RELEASE: 'x' })).toEqual(
      new UsageError('BW_RELEASE is set by the tool for every job; choose another name'),
    );
    expect(errorOf(BASE.join('\n'), { 'A-B': 'x' })).toEqual(new UsageError('invalid variable name "A-B"'));
  });
});

describe('config files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bw-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('missing file: names it', async () => {
    await expect(loadConfig('nope/release.yml', { cwd: dir })).rejects.toThrow(
      new ConfigError(
        `config file not found: nope/release.yml (looked for ${join(dir, 'nope/release.yml')})`,
      ),
    );
    await expect(loadConfig('nope.mjs', { cwd: dir })).rejects.toThrow(
      new ConfigError(`config file not found: nope.mjs (looked for ${join(dir, 'nope.mjs')})`),
    );
    await expect(loadConfig(join(dir, 'abs.yml'))).rejects.toThrow(
      new ConfigError(`config file not found: ${join(dir, 'abs.yml')}`),
    );
  });

  it('no config found by discovery: says where it looked', async () => {
    await expect(findConfigFile(dir)).rejects.toThrow(
      new ConfigError(`no release config found: looked for .github/release.yml and release.yml in ${dir}`),
    );
  });
});
