/** The pipeline both front ends share, on a real config with `local:` hosts (nothing needs SSH). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ACTION_SOURCES } from '../../src/action/inputs.js';
import { CLI_SOURCES } from '../../src/cli/args.js';
import { ConfigError, UsageError } from '../../src/contract/errors.js';
import { DEFAULT_SSH_OPTIONS } from '../../src/contract/ssh-options.js';
import type { EngineEvent } from '../../src/engine/report/events.js';
import { Cancellation } from '../../src/pipeline/cancellation.js';
import { loadRelease, runRelease } from '../../src/pipeline/pipeline.js';
import { createTransport, sshOverrides } from '../../src/pipeline/run-transport.js';
import { Redactor } from '../../src/pipeline/secrets.js';
import type { ReleaseSettings } from '../../src/pipeline/settings.js';
import { DryRunTransport } from '../../src/transport/dry-run.js';
import { RoutingTransport } from '../../src/transport/routing.js';
import { tempDir } from '../support/cli.js';

const CONFIG = `version: 1
hosts:
  demo: [local:a, local:b]
runners:
  deploy:
    stages:
      - name: Ship
        hosts: [demo]
        steps:
          - run: echo "token is $TOKEN"
  rollback:
    stages:
      - name: Back
        hosts: [demo]
        steps: [ { run: "true" } ]
`;

async function project(): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'release.yml'), CONFIG);
  return dir;
}

function settings(over: Partial<ReleaseSettings> = {}): ReleaseSettings {
  return { vars: {}, secretVars: {}, dryRun: false, sources: CLI_SOURCES, ...over };
}

describe('sshOverrides', () => {
  it('lets flags and inputs win over the ssh: block, and keeps the rest of it', () => {
    const ssh = { ...DEFAULT_SSH_OPTIONS, user: 'deploy', privateKeyPath: 'keys/deploy' };
    expect(sshOverrides({}, ssh)).toEqual(ssh);
    expect(
      sshOverrides(
        { identityPath: '~/.ssh/other', knownHostsPaths: ['kh'], knownHosts: 'h ssh-ed25519 AAAA' },
        ssh,
      ),
    ).toEqual({
      ...ssh,
      privateKeyPath: '~/.ssh/other',
      knownHostsPaths: ['kh'],
      knownHosts: 'h ssh-ed25519 AAAA',
    });
    expect(sshOverrides({ privateKey: 'KEY', passphrase: 'pw' }, ssh)).toMatchObject({
      privateKeyPath: 'keys/deploy',
      privateKey: 'KEY',
      passphrase: 'pw',
    });
  });
});

describe('createTransport', () => {
  it('a dry run gets the dry-run transport and nothing else; a run routes local and SSH hosts', async () => {
    const dry = createTransport({ dryRun: true }, DEFAULT_SSH_OPTIONS, () => {}, new Redactor([]));
    expect(dry).toBeInstanceOf(DryRunTransport);
    const real = createTransport({ dryRun: false }, DEFAULT_SSH_OPTIONS, () => {}, new Redactor([]));
    expect(real).toBeInstanceOf(RoutingTransport);
    await real.close();
  });
});

describe('loadRelease', () => {
  it('chooses the runner and resolves the hosts filter', async () => {
    const cwd = await project();
    const loaded = await loadRelease(settings({ runner: 'deploy', hosts: ['local:b'] }), { cwd });
    expect(loaded.runner.name).toBe('deploy');
    expect(loaded.hosts).toEqual(['local:b']);
    expect(loaded.config.file).toBe('release.yml');
  });

  it('names the flag or input the user typed in its errors', async () => {
    const cwd = await project();
    await expect(loadRelease(settings(), { cwd })).rejects.toThrow(
      new ConfigError('release.yml: 2 runners (deploy, rollback) and none chosen: pick one with --runner'),
    );
    await expect(loadRelease(settings({ sources: ACTION_SOURCES }), { cwd })).rejects.toThrow(
      new ConfigError(
        'release.yml: 2 runners (deploy, rollback) and none chosen: pick one with the "runner" input',
      ),
    );
    await expect(loadRelease(settings({ runner: 'deploy', hosts: ['nowhere'] }), { cwd })).rejects.toThrow(
      new UsageError('--hosts: unknown host or group "nowhere"'),
    );
    await expect(
      loadRelease(settings({ runner: 'deploy', hosts: ['nowhere'], sources: ACTION_SOURCES }), { cwd }),
    ).rejects.toThrow(new UsageError('Input "hosts": unknown host or group "nowhere"'));
  });

  it('collects the secrets into the redactor, or keeps the one the front end made', async () => {
    const cwd = await project();
    const secret = settings({
      runner: 'deploy',
      secretVars: { TOKEN: 's3cr3t-t0ken' },
      passphrase: 'pass-phrase',
    });
    const loaded = await loadRelease(secret, { cwd });
    expect(loaded.redactor.text('s3cr3t-t0ken and pass-phrase')).toBe('*** and ***');
    const mine = new Redactor(['x-y-z-w']);
    expect((await loadRelease(secret, { cwd, redactor: mine })).redactor).toBe(mine);
  });
});

describe('runRelease', () => {
  it('runs on local: hosts and hands every event and the report over redacted', async () => {
    const cwd = await project();
    const s = settings({ runner: 'deploy', secretVars: { TOKEN: 's3cr3t-t0ken' } });
    const loaded = await loadRelease(s, { cwd });
    const events: EngineEvent[] = [];
    const cancellation = new Cancellation();
    const { report, complete } = await runRelease(s, loaded, {
      cancellation,
      onEvent: (e) => events.push(e),
    });
    expect(complete).toBe(true);
    expect(report.result).toBe('success');
    const output = events.flatMap((e) => (e.type === 'output' ? [e.line] : []));
    expect(output).toEqual(['token is ***', 'token is ***']);
    expect(JSON.stringify(events)).not.toContain('s3cr3t-t0ken');
  });

  it('a dry run connects to nothing and prints the plan', async () => {
    const cwd = await project();
    const s = settings({ runner: 'deploy', dryRun: true });
    const events: EngineEvent[] = [];
    const { report } = await runRelease(s, await loadRelease(s, { cwd }), {
      cancellation: new Cancellation(),
      onEvent: (e) => events.push(e),
    });
    expect(report.result).toBe('success');
    const output = events.flatMap((e) => (e.type === 'output' ? [e.line] : []));
    expect(output).toEqual(['  $ echo "token is $TOKEN"', '  $ echo "token is $TOKEN"']);
  });
});
