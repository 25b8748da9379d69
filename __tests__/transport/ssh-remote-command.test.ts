/**
 * The remote command builder, by exact strings (no I/O), plus the wrapper run by the local `sh`
 * to check its contract without an SSH server: payload on stdin, exit status, lifeline kill.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SHELL } from '../../src/engine/subtask.js';
import { buildRemoteCommand, exportStatements, shellQuote } from '../../src/transport/ssh-remote-command.js';

describe('shellQuote / exportStatements', () => {
  it('single-quotes, escaping only the single quote', () => {
    expect(shellQuote(`it's $(x) \`y\` "z" \\`)).toBe(`'it'\\''s $(x) \`y\` "z" \\'`);
    expect(shellQuote('')).toBe(`''`);
  });

  it('writes one export per variable, in order', () => {
    expect(exportStatements({ APP: 'shop', EVIL: `'; rm -rf / #`, MULTI: 'a\nb' })).toBe(
      `export APP='shop'\nexport EVIL=''\\''; rm -rf / #'\nexport MULTI='a\nb'\n`,
    );
  });

  it('rejects bad names and NUL bytes without echoing the value', () => {
    expect(() => exportStatements({ 'BAD-NAME': 'x' })).toThrow('invalid variable name "BAD-NAME"');
    expect(() => exportStatements({ TOKEN: 'sec\0ret' })).toThrow(/TOKEN contains a NUL byte/);
    expect(() => exportStatements({ TOKEN: 'sec\0ret' })).not.toThrow(/sec/);
  });
});

describe('buildRemoteCommand', () => {
  it('puts values and the script on stdin only; the command carries the payload length and the shell', () => {
    const { command, stdin } = buildRemoteCommand('echo "$TOKEN"', DEFAULT_SHELL, { TOKEN: 'hunter2' });
    expect(stdin.toString()).toBe(`export TOKEN='hunter2'\n__bw_script='echo "$TOKEN"\n'\n`);
    expect(command).not.toContain('hunter2');
    expect(command).not.toContain('echo "$TOKEN"');
    expect(command.startsWith("exec /bin/sh -c '")).toBe(true);
    expect(command.endsWith(`' bw ${stdin.length} 'bash' '--noprofile' '--norc' '-eo' 'pipefail'`)).toBe(
      true,
    );
  });

  it('counts the payload in bytes, not characters', () => {
    const { command, stdin } = buildRemoteCommand('echo 🌭', ['sh'], {});
    expect(stdin.length).toBe(Buffer.byteLength(stdin.toString()));
    expect(command).toContain(` bw ${stdin.length} 'sh'`);
  });
});

/**
 * Runs the built command with the local /bin/sh, as sshd would run it with the login shell.
 * `newSession`: like sshd, start it as a session leader (the wrapper then signals its own group);
 * otherwise it shares our group and must start the shell under `setsid` instead.
 */
function runLocally(
  script: string,
  env: Record<string, string>,
  opts: { cutLifelineAfterMs?: number; newSession?: boolean } = {},
) {
  const { command, stdin } = buildRemoteCommand(script, DEFAULT_SHELL, env);
  const child = spawn('/bin/sh', ['-c', command], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: opts.newSession ?? false,
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stdin.write(stdin);
  if (opts.cutLifelineAfterMs !== undefined) setTimeout(() => child.stdin.end(), opts.cutLifelineAfterMs);
  return new Promise<{ code: number | null; signal: string | null; stdout: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout })),
  );
}

describe('the wrapper, run by the local sh', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bw-wrapper-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('runs the script with the variables as environment and returns its status, lifeline still open', async () => {
    const r = await runLocally('echo "$A|$B"\nexit 4', { A: `x'y`, B: '$(echo no)' });
    expect(r).toEqual({ code: 4, signal: null, stdout: `x'y|$(echo no)\n` });
  }, 5000);

  it.each([
    ['in its own session, like under sshd (signals its own group)', true],
    ["in the caller's group (starts the shell under setsid)", false],
  ])(
    'cutting the lifeline terminates the whole process group: %s',
    async (_how, newSession) => {
      const marker = join(dir, `marker-${newSession}`);
      const started = Date.now();
      const r = await runLocally(
        `(sleep 1; touch ${marker}) &\nsleep 1\ntouch ${marker}`,
        {},
        {
          cutLifelineAfterMs: 200,
          newSession,
        },
      );
      // In its own group the wrapper gets the TERM too; otherwise it reports the shell's 128+15.
      expect(newSession ? r.signal : r.code).toBe(newSession ? 'SIGTERM' : 143);
      expect(Date.now() - started).toBeLessThan(900);
      await new Promise((res) => setTimeout(res, 1200));
      expect(existsSync(marker)).toBe(false);
    },
    5000,
  );
});
