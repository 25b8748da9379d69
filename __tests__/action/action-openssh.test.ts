/**
 * The bundled action with the OpenSSH client, as a workflow gives it an organisation's SSH: the
 * `ssh-config` input (host aliases), the `ssh-certificate` input (a CA-signed user certificate: the
 * hosts have no authorized_keys at all) and the key in `ssh-private-key`, which goes to a per-run
 * ssh-agent. Afterwards: no key material in any file the run left, no ssh process, no private
 * directory under RUNNER_TEMP.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDir } from '../support/cli.js';
import type { SshdConfig } from '../support/sshd.js';
import { useActionFleet, writeWorkspaceConfig } from '../support/ssh-release-fixture.js';
import { waitUntil } from '../support/sshd-fixtures.js';
import { makeCa, processesWith, sign } from '../support/openssh-support.js';
import { MAX_LINE_CHARS } from '../../src/transport/line-splitter.js';
import {
  filesHolding,
  keyMaterial,
  leaks,
  runAction,
  visibleText,
  type ActionRun,
} from './action-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'bw-action-openssh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config: SshdConfig = {};
let caPath = '';
beforeAll(async () => {
  const ca = await makeCa(join(dir, 'user_ca'));
  caPath = ca.privatePath;
  Object.assign(config, { TrustedUserCAKeys: ca.publicPath, AuthorizedKeysFile: 'none' });
});
const suite = useActionFleet({ count: 2, config }, 30_000);
const fleet = suite.fleet;

let certificate = '';
let sshConfig = '';
beforeAll(async () => {
  // The fleet's public key, signed: the certificate a Vault or a tbot would hand the job.
  const pub = join(dir, 'user.pub');
  copyFileSync(`${fleet.keyPath}.pub`, pub);
  certificate = readFileSync(await sign(caPath, pub, fleet.user), 'utf8');
  sshConfig = fleet.hosts
    .map((h, i) => `Host app-${i}\n  HostName 127.0.0.1\n  Port ${h.port}\n  User ${fleet.user}\n`)
    .join('');
});

/** A config with one stage that runs `run` on `hosts` (`head`: lines before `hosts:`). */
function oneStage(hosts: readonly string[], stage: string, run: string, head = ''): string {
  const entries = hosts.map((h) => `    - { name: ${h} }\n`).join('');
  return `version: 1
lock: false
${head}hosts:
  web:
${entries}runners:
  deploy:
    stages:
      - name: ${stage}
        hosts: [web]
        steps:
          - run: ${run}
`;
}

/**
 * The bundled action in a workspace of its own holding `configText`, with the fleet's SSH inputs
 * and `inputs`; `check` runs while the workspace still exists (some checks read it).
 */
async function inWorkspace(
  prefix: string,
  configText: string,
  inputs: Record<string, string>,
  check: (r: ActionRun) => void | Promise<void>,
): Promise<void> {
  const ws = await tempDir(prefix);
  try {
    await writeWorkspaceConfig(ws, configText);
    const r = await runAction({
      actionDir: suite.actionDir,
      workspace: ws,
      inputs: { ...suite.sshInputs, ...inputs },
      timeoutMs: 60_000,
    });
    await check(r);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}

it('runs over the ssh-config and ssh-certificate inputs, the key in an agent, nothing left behind', async () => {
  await inWorkspace(
    'bw-ws-openssh-',
    oneStage(['app-0', 'app-1'], 'Deploy', 'echo "certified on $BW_HOST as $(id -un)"'),
    { 'ssh-config': sshConfig, 'ssh-certificate': certificate },
    async (r) => {
      expect(r.code).toBe(0);
      for (const name of ['app-0', 'app-1'])
        expect(r.stdout).toContain(`certified on ${name} as ${fleet.user}`);
      expect(leaks(r, [suite.privateKey])).toEqual([]);
      expect(filesHolding(r, keyMaterial(suite.privateKey))).toEqual([]);
      // The private directory for the inputs' files is gone from RUNNER_TEMP.
      const runnerTemp = readdirSync(r.runnerDir, { recursive: true }).map(String);
      expect(runnerTemp.filter((p) => /bw-ssh-/.test(p))).toEqual([]);
      // Every ssh of the run names its files under this RUNNER_TEMP (-F …); other test files' do not.
      await waitUntil(() => processesWith(r.runnerDir).length === 0, 5000, 'no ssh process of the run left');
    },
  );
}, 90_000);

it('takes ssh-config as a file path (teleport-actions/auth hands one), the certificate as a path too', async () => {
  const configFile = join(dir, 'from-auth', 'ssh_config');
  mkdirSync(join(dir, 'from-auth'), { recursive: true });
  writeFileSync(configFile, sshConfig);
  const certFile = join(dir, 'from-auth', 'user-cert.pub');
  writeFileSync(certFile, certificate);
  await inWorkspace(
    'bw-ws-openssh-path-',
    oneStage(['app-1'], 'Deploy', 'echo "routed to $BW_HOST"'),
    { 'ssh-config': configFile, 'ssh-certificate': certFile },
    async (r) => {
      expect(r.stdout).toContain('routed to app-1');
      expect(r.code).toBe(0);
      await waitUntil(() => processesWith(r.runnerDir).length === 0, 5000, 'no ssh process of the run left');
    },
  );
}, 90_000);

it('a secret the step prints over the OpenSSH client is masked, also where a long line is cut through it', async () => {
  const token = 'tok_3f9Qz7LpW2xK8vRb5d';
  // The second line is cut into pieces 14 characters into the secret: the transport redacts it
  // before the cut, or a half of it would show.
  const run = `|
              echo "token=$TOKEN on $BW_HOST"
              printf '%s%s\\n' "$(head -c ${MAX_LINE_CHARS - 14} /dev/zero | tr '\\0' x)" "$TOKEN"`;
  await inWorkspace(
    'bw-ws-openssh-secret-',
    oneStage(['app-0'], 'Print', run),
    { 'ssh-config': sshConfig, 'ssh-certificate': certificate, 'secret-vars': `TOKEN=${token}` },
    (r) => {
      expect(r.code).toBe(0);
      // It ran over OpenSSH and printed the value: masked, so the line reached the log.
      expect(r.stdout).toMatch(/app-0 │ token=\*\*\* on app-0$/m);
      const pieces = [...Array(token.length - 9).keys()].map((i) => token.slice(i, i + 10));
      const shown = Object.entries(visibleText(r)).flatMap(([channel, text]) =>
        pieces.filter((p) => text.includes(p)).map((p) => `${channel}: ${p}`),
      );
      expect(shown).toEqual([]);
    },
  );
}, 90_000);

it('client: builtin with the ssh-config input is an input error naming it, before anything runs', async () => {
  await inWorkspace(
    'bw-ws-openssh-builtin-',
    oneStage(['app-0'], 'Deploy', 'echo "ran on $BW_HOST"', 'ssh:\n  client: builtin\n'),
    { 'ssh-config': sshConfig },
    (r) => {
      expect(r.code).not.toBe(0);
      expect(r.stdout).toContain(
        'Input "ssh-config" needs the OpenSSH client, but the config\'s ssh.client is builtin: set it to openssh or auto',
      );
      expect(r.stdout).not.toContain('ran on app-0');
    },
  );
}, 90_000);
