/**
 * The bundled action against real OpenSSH servers on loopback (the fleet from
 * __tests__/support/sshd.ts), with the key and known_hosts passed as inputs, as a workflow does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, signalWhen, tempDir } from '../support/cli.js';
import { fleetConfigHead, useActionFleet, writeWorkspaceConfig } from '../support/ssh-release-fixture.js';
import { readPids, waitForExit } from '../support/survivors.js';
import {
  annotationsOf,
  filesHolding,
  keyMaterial,
  leaks,
  maskCommands,
  runAction,
  type ActionRun,
} from './action-harness.js';

const suite = useActionFleet({ count: 3 }, 30_000);
const fleet = suite.fleet;
const TOKEN = 'ssh-test-token-5d41402abc4b2a76';

const names = ['web-1', 'web-2', 'web-3'];

/** A workspace whose `.github/release.yml` runs `script` on the fleet, trusting only the inputs' known_hosts. */
async function workspace(script: string, ssh: Record<string, string> = {}, lock = 'false'): Promise<string> {
  const ws = await tempDir('bw-ws-ssh-');
  await writeFile(join(ws, 'empty_known_hosts'), '');
  await writeWorkspaceConfig(
    ws,
    `${fleetConfigHead(fleet, {
      names,
      lock,
      credentials: 'inputs',
      ssh: { 'known-hosts': join(ws, 'empty_known_hosts'), ...ssh },
    })}runners:
  deploy:
    stages:
      - name: Distribute code
        hosts: [web]
        steps:
          - run: |
${script
  .split('\n')
  .map((l) => `              ${l}`)
  .join('\n')}
`,
  );
  return ws;
}

function run(
  ws: string,
  inputs: Record<string, string> = {},
  more: Partial<Parameters<typeof runAction>[0]> = {},
) {
  return runAction({
    actionDir: suite.actionDir,
    workspace: ws,
    inputs: {
      ...suite.sshInputs,
      'secret-vars': `TOKEN=${TOKEN}`,
      ...inputs,
    },
    ...more,
  });
}

function expectNoLeaks(r: ActionRun): void {
  expect(leaks(r, [suite.privateKey, TOKEN])).toEqual([]);
  expect(maskCommands(r.stdout)).toEqual(
    expect.arrayContaining([suite.privateKey, TOKEN, ...suite.privateKey.trim().split('\n')]),
  );
}

describe('the bundled action over SSH (real sshd)', () => {
  it('success: one group, every line labelled, every host in the summary, outputs; no key or secret anywhere', async () => {
    const lockName = `action-ssh-${process.pid}-${Date.now()}`;
    const ws = await workspace(
      'echo "hello from $BW_HOST as $(id -un) with $TOKEN"',
      {},
      `{ name: ${lockName} }`,
    );
    const r = await run(ws);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('::group::Stage 1/1 · Distribute code · 3 hosts · canary web-1\n');
    for (const host of names) {
      expect(r.stdout).toContain(`${host} │ hello from ${host} as ${fleet.user} with ***\n`);
      expect(r.summary).toContain(`<tr><td>${host}`);
    }
    expect(r.outputs.result).toBe('success');
    expect(r.outputs['failed-hosts']).toBe('[]');
    expect(JSON.parse(r.reportText).stages[0].jobs).toHaveLength(3);
    expect(JSON.parse(r.reportText).lock).toEqual({ name: lockName, host: names[0], state: 'acquired' });
    expect(r.stdout).toContain(`🔓 deploy lock "${lockName}" on ${names[0]} released\n`);
    expectNoLeaks(r);
    // The key was used and never written: not in RUNNER_TEMP, HOME, TMPDIR or the workspace.
    expect(filesHolding(r, keyMaterial(suite.privateKey))).toEqual([]);
  });

  it('an encrypted key with ssh-key-passphrase logs in; the passphrase shows nowhere', async () => {
    // The fleet's own key, encrypted (few KDF rounds: the test needs the format, not the work).
    const dir = await tempDir('bw-enc-key-');
    const encryptedPath = join(dir, 'id_enc');
    await writeFile(encryptedPath, suite.privateKey, { mode: 0o600 });
    const passphrase = 'pass-phrase-7c3a91e0';
    execFileSync('ssh-keygen', ['-q', '-p', '-a', '2', '-P', '', '-N', passphrase, '-f', encryptedPath]);
    const encrypted = await readFile(encryptedPath, 'utf8');
    expect(encrypted).not.toBe(suite.privateKey);
    const ws = await workspace('echo "in as $(id -un)"');
    const r = await run(ws, { 'ssh-private-key': encrypted, 'ssh-key-passphrase': passphrase });
    expect(r.code).toBe(0);
    for (const host of names) expect(r.stdout).toContain(`${host} │ in as ${fleet.user}\n`);
    expect(leaks(r, [passphrase, encrypted])).toEqual([]);
    expect(maskCommands(r.stdout)).toContain(passphrase);
    // Neither the key (as given, or decrypted) nor the passphrase reached a file.
    expect(
      filesHolding(r, [...keyMaterial(encrypted), ...keyMaterial(suite.privateKey), passphrase]),
    ).toEqual([]);
    // Without it, the run stops before connecting, saying why (and still without a byte of the key).
    const missing = await run(ws, { 'ssh-private-key': encrypted });
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toMatch(/encrypted, but no passphrase was given/);
    expect(leaks(missing, [encrypted])).toEqual([]);
  });

  it('a wrong ssh-key-passphrase stops the run before anything runs, exit 2, naming the input', async () => {
    const dir = await tempDir('bw-enc-key-');
    const encryptedPath = join(dir, 'id_enc');
    await writeFile(encryptedPath, suite.privateKey, { mode: 0o600 });
    execFileSync('ssh-keygen', ['-q', '-p', '-a', '2', '-P', '', '-N', 'the-right-one', '-f', encryptedPath]);
    const encrypted = await readFile(encryptedPath, 'utf8');
    const ws = await workspace('echo "in as $(id -un)"');
    // A stage on the controller ahead of the SSH one: it must not run either.
    const config = join(ws, '.github/release.yml');
    const text = await readFile(config, 'utf8');
    await writeFile(
      config,
      text.replace(
        '    stages:\n',
        `    stages:\n      - name: Build\n        steps: [{ local: 'touch "${dir}/built"' }]\n`,
      ),
    );
    const r = await run(ws, { 'ssh-private-key': encrypted, 'ssh-key-passphrase': 'a-wrong-one' });
    expect(r.code).toBe(2);
    expect(annotationsOf(r.stdout, 'error').map((a) => a.message)).toEqual([
      'Input "ssh-key-passphrase": wrong passphrase for the key of the "ssh-private-key" input',
    ]);
    expect(existsSync(join(dir, 'built'))).toBe(false);
    expect(r.stdout).not.toContain('in as');
    expect(leaks(r, [encrypted, 'a-wrong-one'])).toEqual([]);
  });

  it('failure: an error annotation for the failed host, failed-hosts, exit 1', async () => {
    const ws = await workspace(
      'echo "checking $BW_HOST"\ntest "$BW_HOST" != web-3 || { echo "health check failed" >&2; exit 4; }',
    );
    const r = await run(ws);
    expect(r.code).toBe(1);
    expect(annotationsOf(r.stdout, 'error')).toEqual([
      {
        level: 'error',
        title: 'web-3 failed · Distribute code',
        message:
          'failed at step "run: echo "checking $BW_HOST"": exit code 4 · 1 attempt\n│ checking web-3\n│ health check failed',
      },
      { level: 'error', title: '', message: expect.stringMatching(/^Release failed: /) },
    ]);
    expect(JSON.parse(r.outputs['failed-hosts'] ?? '')).toEqual(['web-3']);
    expect(r.summary).toContain('<summary>❌ <b>web-3</b>');
    expect(r.summary).toContain('health check failed');
    expectNoLeaks(r);
  });

  it('a host missing from ssh-known-hosts fails closed, named in its annotation', async () => {
    const ws = await workspace('echo ran on $BW_HOST');
    const withoutWeb2 = suite.knownHosts
      .split('\n')
      .filter((l) => !l.includes(`]:${fleet.hosts[1]!.port} `))
      .join('\n');
    const r = await run(ws, { 'ssh-known-hosts': withoutWeb2 });
    expect(r.code).toBe(1);
    const errors = annotationsOf(r.stdout, 'error');
    expect(errors[0]?.title).toBe('web-2 failed · Distribute code');
    expect(errors[0]?.message).toMatch(/host key/i);
    expect(r.stdout).not.toContain('web-2 │ ran on');
    expect(JSON.parse(r.outputs['failed-hosts'] ?? '')).toEqual(['web-2']);
  });

  it('an insecure host-key mode is a warning annotation', async () => {
    const ws = await workspace('echo ok', { 'host-key-checking': 'off' });
    const r = await run(ws, { 'ssh-known-hosts': '' });
    expect(r.code).toBe(0);
    const warnings = annotationsOf(r.stdout, 'warning');
    expect(warnings).toEqual([expect.objectContaining({ message: expect.stringMatching(/host.key/i) })]);
  });

  it('cancelled: SIGTERM stops the remote commands; outputs, summary and report written; non-zero within 5 s', async () => {
    // The shell and a background child record their pids; either writes a marker 8 s in if it
    // survives (8 s: the signal, its relay and the kill get seconds on a loaded machine; the canary
    // must also still be running when it comes, or web-2 would start).
    const ws = await workspace(
      [
        'echo $$ >> "$PIDS"',
        '(sleep 8; touch "$SCRATCH/late-child-$BW_HOST") &',
        'echo $! >> "$PIDS"',
        'echo "sleeping on $BW_HOST"',
        'sleep 8',
        'touch "$SCRATCH/late-$BW_HOST"',
      ].join('\n'),
    );
    const pids = join(fleet.scratchDir, `cancel-pids-${process.pid}`);
    const interrupt = signalWhen((out) => out.includes('web-1 │ sleeping on web-1'), 'SIGTERM');
    const r = await run(
      ws,
      { vars: `SCRATCH=${fleet.scratchDir}\nPIDS=${pids}` },
      {
        // the canary (web-1) runs alone: cancel while it sleeps
        onStdout: interrupt.onStdout,
      },
    );
    expect(interrupt.sentAt()).toBeGreaterThan(0);
    expect(Date.now() - interrupt.sentAt()).toBeLessThan(5000);
    expect(r.code).toBe(130);
    expect(r.outputs.result).toBe('cancelled');
    expect(JSON.parse(r.reportText).result).toBe('cancelled');
    expect(r.summary).toMatch(/^## 🚫 Release cancelled/);
    expect(r.stdout).not.toContain('web-2 │');
    // The remote shell and its child are gone, not orphaned on the host: wait for them, then look.
    const remote = readPids(pids);
    expect(remote).toHaveLength(2);
    await waitForExit(remote, 15_000);
    expect(readdirSync(fleet.scratchDir).filter((f) => f.startsWith('late-'))).toEqual([]);
    expectNoLeaks(r);
  }, 30_000);

  it('the key input wins over the config file path; a broken key stops the run before it starts', async () => {
    const ws = await workspace('echo ran', { 'private-key': '/nonexistent/id_ed25519' });
    const ok = await run(ws, { 'dry-run': 'true' });
    expect(ok.code).toBe(0);
    const broken = '-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n-----END OPENSSH PRIVATE KEY-----\n';
    const r = await run(ws, { 'ssh-private-key': broken });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(
      '::error::Input "ssh-private-key": not a private key in a supported format (OpenSSH or PEM; ed25519, ecdsa or rsa)',
    );
    expect(r.stdout).not.toContain('│ ran');
    expect(r.summary).toMatch(/^## ❌ Release did not start/);
  });

  it('dry run: the plan, and no connection to any host', async () => {
    const ws = await workspace('echo never');
    const before = await Promise.all(fleet.hosts.map((h) => h.connections()));
    const r = await run(ws, { 'dry-run': 'true' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^web-2 │ +\$ echo never$/m);
    expect(await Promise.all(fleet.hosts.map((h) => h.connections()))).toEqual(before);
    expect(r.summary).toMatch(/^## 🧪 DRY RUN succeeded/);
  });
  it('a held deploy lock: refused with the holder in the summary; lock-wait waits for it; release-id sets BW_RELEASE', async () => {
    const lockName = `action-lock-${process.pid}-${Date.now()}`;
    const ws = await workspace('echo "release $BW_RELEASE"', {}, `{ name: ${lockName} }`);
    const cfg = join(ws, '.github/release.yml');
    const lockCli = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
      runCli(['lock', ...args, '-c', cfg, '-i', fleet.keyPath, '--known-hosts', fleet.knownHostsPath], {
        timeoutMs: 60_000,
        env: { GITHUB_ACTOR: 'alice', GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '77', ...env },
      });
    const taken = await lockCli(['acquire', '-m', 'maintenance']);
    expect(taken.code).toBe(0);
    const token = taken.stdout.trim();

    const refused = await run(ws);
    expect(refused.code).toBe(1);
    expect(refused.outputs.result).toBe('failure');
    expect(refused.summary).toContain(
      `🔒 The deploy lock \`${lockName}\` on web-1 is held by **alice** since `,
    );
    expect(refused.summary).toContain('([their run](https://github.com/acme/shop/actions/runs/77))');
    expect(refused.stdout).not.toContain('│ release');
    expect(JSON.parse(refused.reportText)).toMatchObject({
      stages: [],
      lock: { name: lockName, host: 'web-1', state: 'refused', heldBy: 'alice' },
    });

    // With lock-wait the action waits; releasing the lock by hand lets it through.
    let release: Promise<unknown> | undefined;
    const waited = await run(
      ws,
      { 'lock-wait': '60s', 'release-id': 'v1.2.3' },
      {
        timeoutMs: 90_000,
        onStdout: (text) => {
          if (!release && text.includes('waiting up to'))
            release = lockCli(['release'], { BW_LOCK_TOKEN: token });
        },
      },
    );
    expect(await release).toMatchObject({ code: 0 });
    expect(waited.code).toBe(0);
    expect(waited.stdout).toMatch(/^web-3 │ release v1\.2\.3$/m);
    expect(JSON.parse(waited.reportText)).toMatchObject({
      release: 'v1.2.3',
      lock: { name: lockName, state: 'acquired' },
    });
    expect(waited.outputs.result).toBe('success');
  }, 150_000);
});
