/**
 * The SSH key and known_hosts files are checked before anything runs: a missing key must not be
 * found only when the first SSH stage starts, after the local stages before it ran. `run`,
 * `--dry-run` and `validate` all say so, with exit code 2 and the path. No server is needed: the
 * check happens before any connection (the host below is never contacted).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir } from '../support/cli.js';
import { generateKey } from '../support/sshd-keys.js';

/** A config whose first stage runs locally (and leaves a marker), the second on an SSH host. */
async function project(ssh: string, hosts = '[web-1.example.com]'): Promise<{ dir: string; cfg: string }> {
  const dir = await tempDir();
  const cfg = join(dir, 'release.yml');
  await writeFile(
    cfg,
    `version: 1
ssh:
${ssh}
runners:
  deploy:
    stages:
      - name: Build
        steps: [{ local: touch "${dir}/built" }]
      - name: Ship
        hosts: ${hosts}
        steps: [{ run: echo shipped }]
lock: false
`,
  );
  return { dir, cfg };
}

/** A home without ~/.ssh: the default known_hosts is missing (which is fine), and no agent. */
async function env(): Promise<NodeJS.ProcessEnv> {
  return { HOME: await tempDir('bw-home-'), SSH_AUTH_SOCK: '' };
}

describe('SSH files are checked before anything runs', () => {
  it('a missing private key: run, --dry-run and validate exit 2 with its path; nothing ran', async () => {
    const { dir, cfg } = await project('  private-key: keys/deploy_key');
    const expected = `${cfg}:3:16: ssh.private-key: private key file keys/deploy_key: not found (${join(dir, 'keys/deploy_key')})`;
    for (const args of [['run'], ['run', '--dry-run'], ['validate']]) {
      const r = await runCli([...args, '-c', cfg], { cwd: dir, env: await env() });
      expect([args, r.code]).toEqual([args, 2]);
      expect(r.stderr).toBe(`boerewors: ${expected}\n`);
    }
    expect(existsSync(join(dir, 'built'))).toBe(false);
  });

  it('--identity wins over the config: its file is the one checked, and named as the flag', async () => {
    const { dir, cfg } = await project('  private-key: /nonexistent/key');
    const key = await generateKey(join(dir, 'id_ed25519'));
    const ok = await runCli(['run', '--dry-run', '-c', cfg, '-i', key.privatePath], { env: await env() });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const bad = await runCli(['run', '-c', cfg, '-i', join(dir, 'nope')], { env: await env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--identity: private key file ${join(dir, 'nope')}: not found`);
    expect(existsSync(join(dir, 'built'))).toBe(false);
  });

  it('a public key, or an encrypted key the CLI cannot decrypt, is refused up front', async () => {
    const dir = await tempDir();
    const plain = await generateKey(join(dir, 'plain'));
    const locked = await generateKey(join(dir, 'locked'), { passphrase: 'correct horse' });
    const pub = await project(`  private-key: ${plain.publicPath}`);
    const r1 = await runCli(['run', '-c', pub.cfg], { env: await env() });
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(`private key file ${plain.publicPath}: this is a public key`);
    const enc = await project(`  private-key: ${locked.privatePath}`);
    const r2 = await runCli(['validate', '-c', enc.cfg], { env: await env() });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(
      'the key is encrypted, but no passphrase was given (a key file takes no passphrase here: load the key into ssh-agent',
    );
    expect(r2.stderr).toContain('ssh-agent');
    expect(r2.stderr).not.toContain('BEGIN');
  });

  it('no key and no ssh-agent: the run says so before the first stage; validate does not require a key', async () => {
    const { dir, cfg } = await project('  user: deploy');
    const r = await runCli(['run', '-c', cfg], { env: await env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'no SSH private key given (ssh.private-key or --identity) and no ssh-agent (SSH_AUTH_SOCK)',
    );
    expect(existsSync(join(dir, 'built'))).toBe(false);
    const v = await runCli(['validate', '-c', cfg], { env: await env() });
    expect(v.code).toBe(0);
  });

  it('a known_hosts file the config names must exist; the default one may be missing', async () => {
    const { dir, cfg } = await project(
      '  private-key: /nonexistent\n  known-hosts: [/etc/hostname, known_hosts]',
    );
    const key = await generateKey(join(dir, 'id'));
    const r = await runCli(['run', '-c', cfg, '-i', key.privatePath], { cwd: dir, env: await env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `boerewors: ${cfg}:4:32: ssh.known-hosts[1]: known_hosts file known_hosts: not found (${join(dir, 'known_hosts')})\n`,
    );
    const flag = await runCli(['run', '--dry-run', '-c', cfg, '-i', key.privatePath, '--known-hosts', 'x'], {
      cwd: dir,
      env: await env(),
    });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain(`--known-hosts: known_hosts file x: not found (${join(dir, 'x')})`);
    // The default ~/.ssh/known_hosts is absent in this HOME: fine, as it always was.
    const byDefault = await project(`  private-key: ${key.privatePath}`);
    const d = await runCli(['run', '--dry-run', '-c', byDefault.cfg], { env: await env() });
    expect(d.stderr).toBe('');
    expect(d.code).toBe(0);
  });

  it('with accept-new the first known_hosts file may be missing (new hosts are recorded there); the others may not', async () => {
    const dir = await tempDir();
    const key = await generateKey(join(dir, 'id'));
    const first = await project(
      `  private-key: ${key.privatePath}\n  host-key-checking: accept-new\n  known-hosts: [new_known_hosts]`,
    );
    const ok = await runCli(['run', '--dry-run', '-c', first.cfg], { cwd: first.dir, env: await env() });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const second = await project(
      `  private-key: ${key.privatePath}\n  host-key-checking: accept-new\n  known-hosts: [/etc/hostname, missing]`,
    );
    const bad = await runCli(['run', '--dry-run', '-c', second.cfg], { cwd: second.dir, env: await env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('known_hosts file missing: not found');
  });

  it('a run that reaches no SSH host needs no key: local hosts only, or --hosts leaving them out', async () => {
    const { dir, cfg } = await project('  private-key: /nonexistent/key', '[local:a, web-1.example.com]');
    const r = await runCli(['run', '-c', cfg, '--hosts', 'local:a'], { env: await env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'built'))).toBe(true);
    const local = await project('  private-key: /nonexistent/key', '[local:a]');
    expect((await runCli(['run', '-c', local.cfg], { env: await env() })).code).toBe(0);
  });
});
