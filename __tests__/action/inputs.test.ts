import {
  ACTION_SOURCES,
  Inputs,
  readDeploymentInputs,
  readInputs,
  type InputReader,
} from '../../src/action/inputs.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseVarsInput } from '../../src/action/vars-input.js';
import { UsageError } from '../../src/contract/errors.js';
import { secretValues } from '../../src/pipeline/secrets.js';

const KEY = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACDm1cLNrEa8qfJkYbYMtXWnZr5YyvnS0xDfXbYpGnV3yAAAAJgAAAAA
-----END OPENSSH PRIVATE KEY-----`;

function reader(values: Record<string, string>): InputReader {
  return (name) => values[name] ?? '';
}

function failure(values: Record<string, string>): string {
  try {
    readInputs(reader(values));
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected readInputs to throw');
}

describe('readInputs', () => {
  it('maps every input to the release settings', () => {
    const settings = readInputs(
      reader({
        [Inputs.Config]: 'deploy/release.yml',
        [Inputs.Runner]: 'rollback',
        [Inputs.Limit]: '3',
        [Inputs.Hosts]: 'web, cron\nlocal:a',
        [Inputs.Vars]: 'APP=shop\nURL=https://x.example/?a=b',
        [Inputs.SecretVars]: 'TOKEN=s3cr3t-t0ken',
        [Inputs.SshPrivateKey]: KEY,
        [Inputs.SshKeyPassphrase]: 'correct horse',
        [Inputs.SshKnownHosts]: '[10.0.0.1]:2222 ssh-ed25519 AAAA\r\nweb-1 ssh-ed25519 BBBB',
        [Inputs.DryRun]: 'true',
      }),
    );
    expect(settings).toEqual({
      configPath: 'deploy/release.yml',
      runner: 'rollback',
      limit: 3,
      hosts: ['web', 'cron', 'local:a'],
      vars: { APP: 'shop', URL: 'https://x.example/?a=b' },
      secretVars: { TOKEN: 's3cr3t-t0ken' },
      privateKey: `${KEY}\n`,
      passphrase: 'correct horse',
      knownHosts: '[10.0.0.1]:2222 ssh-ed25519 AAAA\nweb-1 ssh-ed25519 BBBB',
      dryRun: true,
      sources: ACTION_SOURCES,
    });
    expect(secretValues(settings)).toEqual([`${KEY}\n`, 'correct horse', 's3cr3t-t0ken']);
    expect(settings.sources.hosts).toEqual({ input: 'hosts' });
  });

  it('leaves out what is not set: the engine and config apply their defaults', () => {
    const settings = readInputs(reader({}));
    expect(settings).toEqual({ vars: {}, secretVars: {}, dryRun: false, sources: ACTION_SOURCES });
    expect(secretValues(settings)).toEqual([]);
  });

  it.each([
    [{ [Inputs.Limit]: 'ten' }, 'Input "limit": expected a positive integer, got "ten"'],
    [{ [Inputs.Limit]: '0' }, 'Input "limit": expected a positive integer, got "0"'],
    [{ [Inputs.Limit]: '2.5' }, 'Input "limit": expected a positive integer, got "2.5"'],
    [{ [Inputs.DryRun]: 'yes' }, 'Input "dry-run": expected true or false, got "yes"'],
    [{ [Inputs.Hosts]: ' , ' }, 'Input "hosts": expected names separated by commas'],
    [{ [Inputs.Vars]: 'A=1\nB' }, 'Input "vars" line 2: expected NAME=VALUE'],
    [{ [Inputs.Vars]: 'A=1\n9X=2' }, 'Input "vars" line 2: invalid variable name "9X"'],
    [
      { [Inputs.Vars]: 'A: [1, 2]' },
      'Input "vars": the value of "A" must be a string, number or boolean, found a list',
    ],
    [{ [Inputs.Vars]: '- a\n- b' }, 'Input "vars": expected NAME=VALUE lines or a YAML map, found a list'],
    [
      { [Inputs.SshPrivateKey]: '~/.ssh/id_ed25519' },
      'Input "ssh-private-key": expected the private key itself',
    ],
    [
      { [Inputs.SshKeyPassphrase]: 'hunter22' },
      'Input "ssh-key-passphrase" is set but "ssh-private-key" is not',
    ],
  ])('rejects %j naming the input', (values, message) => {
    expect(failure(values)).toContain(message);
  });

  it('never quotes a secret input in its errors', () => {
    const secret = 'hunter2-very-secret';
    const cases: Record<string, string>[] = [
      { [Inputs.SecretVars]: `TOKEN=${secret}\n${secret}` },
      { [Inputs.SecretVars]: `${secret}-x=1` },
      { [Inputs.SecretVars]: `TOKEN: "${secret}\n  bad: [` },
      { [Inputs.SecretVars]: `TOKEN: { nested: ${secret} }` },
      { [Inputs.SshPrivateKey]: `not a key ${secret}` },
    ];
    for (const values of cases) {
      const message = failure(values);
      expect(message).toMatch(/^Input "(secret-vars|ssh-private-key)"/);
      expect(message).not.toContain(secret);
    }
  });

  it('environment-url needs github-deployment, and must be a URL', () => {
    expect(() => readDeploymentInputs(reader({ 'environment-url': 'https://shop.example' }))).toThrow(
      'Input "environment-url" is set but "github-deployment" is not',
    );
    expect(() =>
      readDeploymentInputs(
        reader({ 'github-deployment': 'prod', 'github-token': 't', 'environment-url': 'shop' }),
      ),
    ).toThrow('Input "environment-url": expected an http(s) URL, got "shop"');
  });

  it('accepts a key squeezed onto one line with literal \\n, as docs/ssh.md says', () => {
    const oneLine = KEY.trim().replace(/\n/g, '\\n');
    const settings = readInputs(reader({ [Inputs.SshPrivateKey]: oneLine }));
    expect(settings.privateKey).toBe(`${KEY.trim()}\n`);
  });
});

describe('parseVarsInput', () => {
  it('reads NAME=value lines verbatim, skipping blanks and comments', () => {
    expect(parseVarsInput('# comment\nA=1\n\n  B = x\nC=a=b#c\nD=', 'vars')).toEqual({
      A: '1',
      B: ' x',
      C: 'a=b#c',
      D: '',
    });
  });

  it('reads a YAML map, multi-line values included', () => {
    expect(parseVarsInput('A: 1\nB: true\nC: |\n  line 1\n  line 2\nD:', 'vars')).toEqual({
      A: '1',
      B: 'true',
      C: 'line 1\nline 2\n',
      D: '',
    });
  });

  it('keeps numbers and booleans of a YAML map as written, as the NAME=value form and the config do', () => {
    const text =
      'VERSION: 1.10\nZIP: 01234\nSHA: 1234e5\nPIN: 0123456\nHEX: 0x1F\nON: yes\nOFF: False\nQ: "007"';
    const expected = {
      VERSION: '1.10',
      ZIP: '01234',
      SHA: '1234e5',
      PIN: '0123456',
      HEX: '0x1F',
      ON: 'yes',
      OFF: 'False',
      Q: '007',
    };
    expect(parseVarsInput(text, 'vars')).toEqual(expected);
    expect(parseVarsInput(text, 'secret-vars', true)).toEqual(expected);
  });

  it('a single line with no "=" is named for what it is, not "a string"', () => {
    expect(() => parseVarsInput('DEBUG', 'vars')).toThrow(
      'Input "vars": expected NAME=VALUE lines or a YAML map, found text whose first line has no "=" (NAME=VALUE on every line)',
    );
  });

  it('keeps hostile values as data', () => {
    expect(parseVarsInput(`X='; rm -rf / #`, 'vars')).toEqual({ X: `'; rm -rf / #` });
  });

  it('is empty for an empty input', () => {
    expect(parseVarsInput('', 'vars')).toEqual({});
    expect(parseVarsInput('\n# nothing\n', 'vars')).toEqual({});
  });
});

describe('the lock-token input', () => {
  const token = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

  it('is the token a run re-enters with, as BW_LOCK_TOKEN in the step env is; either one', () => {
    expect(readInputs(reader({ [Inputs.LockToken]: ` ${token}\n` }), {}).lockToken).toBe(token);
    expect(readInputs(reader({}), { BW_LOCK_TOKEN: token }).lockToken).toBe(token);
    expect(readInputs(reader({ [Inputs.LockToken]: token }), { BW_LOCK_TOKEN: token }).lockToken).toBe(token);
    expect(readInputs(reader({}), {}).lockToken).toBeUndefined();
  });

  it('two different tokens, or one that is not a token, are refused without quoting them', () => {
    const both = (): unknown =>
      readInputs(reader({ [Inputs.LockToken]: token }), { BW_LOCK_TOKEN: 'f'.repeat(32) });
    expect(both).toThrow(
      new UsageError(
        `Input "lock-token" and BW_LOCK_TOKEN in the step's env are different tokens: give one of them`,
      ),
    );
    const message = failure({ [Inputs.LockToken]: 'secret value!' });
    expect(message).toMatch(/^Input "lock-token": expected a lock token/);
    expect(message).not.toContain('secret value!');
  });
});

describe('ssh-config and ssh-certificate: the text, or the path of a file holding it', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bw-inputs-'));
    writeFileSync(join(dir, 'ssh_config'), 'Host app\n  HostName 127.0.0.1\n');
    writeFileSync(join(dir, 'with space'), 'Host spaced\n');
    writeFileSync(join(dir, 'user-cert.pub'), 'ssh-ed25519-cert-v01@openssh.com AAAA bw\n');
    mkdirSync(join(dir, 'a-directory'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const read = (values: Record<string, string>) => readInputs(reader(values), {}, dir);

  it('reads a one-line value naming a file: absolute, relative to the workspace, or with spaces', () => {
    const text = 'Host app\n  HostName 127.0.0.1';
    expect(read({ [Inputs.SshConfig]: join(dir, 'ssh_config') }).sshConfigText).toBe(text);
    expect(read({ [Inputs.SshConfig]: 'ssh_config' }).sshConfigText).toBe(text);
    expect(read({ [Inputs.SshConfig]: join(dir, 'with space') }).sshConfigText).toBe('Host spaced');
    expect(read({ [Inputs.SshCertificate]: 'user-cert.pub' }).certificateText).toBe(
      'ssh-ed25519-cert-v01@openssh.com AAAA bw',
    );
  });

  it('takes anything else as the text: several lines, or one line with a space or "="', () => {
    expect(read({ [Inputs.SshConfig]: 'Host a\n  Port 2' }).sshConfigText).toBe('Host a\n  Port 2');
    expect(read({ [Inputs.SshConfig]: 'Include /etc/ssh/deploy_config' }).sshConfigText).toBe(
      'Include /etc/ssh/deploy_config',
    );
    expect(read({ [Inputs.SshConfig]: 'Include=/etc/ssh/x' }).sshConfigText).toBe('Include=/etc/ssh/x');
    expect(read({ [Inputs.SshCertificate]: 'ssh-ed25519-cert-v01@openssh.com AAAA' }).certificateText).toBe(
      'ssh-ed25519-cert-v01@openssh.com AAAA',
    );
  });

  it('a path naming no file is an error naming the input and the path', () => {
    expect(() => read({ [Inputs.SshConfig]: 'no-such-file' })).toThrow(
      `Input "ssh-config": ${join(dir, 'no-such-file')}: no such file (a one-line value without a space or "=" is the path of a file`,
    );
    expect(() => read({ [Inputs.SshCertificate]: join(dir, 'a-directory') })).toThrow(
      `Input "ssh-certificate": ${join(dir, 'a-directory')}: not a file`,
    );
  });
});
