/**
 * Diagnostic, not part of `npm run bench`: what each remote wrapper costs per step. Runs `true` on
 * one warm raw ssh2 connection, interleaved round by round, as
 *   bare     exec `true` (sshd session + login shell: the floor)
 *   bash     exec `bash --noprofile --norc -eo pipefail`, script on stdin
 *   posix    the POSIX wrapper (any shell): `sh` reads the payload, the shell runs it as /dev/fd/4
 *   inline   the inline bash wrapper (the default shell): one bash reads the payload and runs it
 * both wrappers taken from src/transport/remote/remote-command.ts, and checks that both keep the
 * semantics (exit status, pipefail, env as data, stdin is /dev/null, termination of the process
 * group on a cut lifeline, `nohup … &` not waited for). The tests check far more:
 * __tests__/transport/remote/inline-shell.test.ts.
 *
 *   npx tsc -p tsconfig.bench.json && node .tmp/bench-build/bench/probes/wrapper-variants.js [ROUNDS]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import ssh2 from 'ssh2';
import { DEFAULT_SHELL } from '../../src/contract/transport.js';
import {
  GROUP_ANNOUNCEMENT,
  inlineWrapperCommand,
  posixWrapperCommand,
  remotePayload,
} from '../../src/transport/remote/remote-command.js';
import { startSshdFleet } from '../../__tests__/support/sshd.js';
import { BENCH_SSHD_CONFIG } from '../fleet.js';
import { median } from '../stats.js';

type Variant = 'bare' | 'bash' | 'posix' | 'inline';
interface Command {
  readonly command: string;
  readonly stdin: Buffer | null;
  readonly endStdin: boolean;
}

function variant(v: Variant, script: string, env: Record<string, string> = {}): Command {
  const payload = remotePayload(script, env);
  switch (v) {
    case 'bare':
      return { command: script, stdin: null, endStdin: true };
    case 'bash':
      return { command: DEFAULT_SHELL.join(' '), stdin: Buffer.from(`${script}\n`), endStdin: true };
    case 'posix':
      return { command: posixWrapperCommand(payload.length, DEFAULT_SHELL), stdin: payload, endStdin: false };
    case 'inline':
      return { command: inlineWrapperCommand(payload.length), stdin: payload, endStdin: false };
  }
}

interface Outcome {
  readonly code: number | string | null;
  readonly output: string;
  readonly ms: number;
}

function run(client: ssh2.Client, c: Command, cutLifelineAfterMs?: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    client.exec(c.command, (err, ch) => {
      if (err) return reject(err);
      const started = performance.now();
      let code: number | string | null = null;
      let output = '';
      ch.on('exit', (status: number | null, signal?: string) => (code = status ?? signal ?? null));
      ch.on('data', (d: Buffer) => (output += d.toString()));
      ch.stderr.on('data', (d: Buffer) => (output += d.toString()));
      // The wrappers' announcement of their process group is for the transport, not output.
      const announcement = new RegExp(`${GROUP_ANNOUNCEMENT}[^\\n]*\\n`, 'g');
      ch.once('close', () =>
        resolve({ code, output: output.replace(announcement, ''), ms: performance.now() - started }),
      );
      if (c.stdin) ch.write(c.stdin);
      if (c.endStdin) ch.end();
      if (cutLifelineAfterMs !== undefined) setTimeout(() => ch.end(), cutLifelineAfterMs);
    });
  });
}

async function checkSemantics(client: ssh2.Client, v: Variant, scratch: string): Promise<string[]> {
  const problems: string[] = [];
  const expect = (what: string, ok: boolean, got: Outcome): void => {
    if (!ok) problems.push(`${v}: ${what}: got ${JSON.stringify(got)}`);
  };
  let r = await run(client, variant(v, 'echo hi; exit 3'));
  expect('exit status and output', r.code === 3 && r.output === 'hi\n', r);
  r = await run(client, variant(v, 'false | true; echo not-reached'));
  expect('pipefail', r.code === 1 && r.output === '', r);
  const hostile = `'; echo pwned #$(id)\``;
  r = await run(client, variant(v, 'printf %s "$X"', { X: hostile }));
  expect('env value arrives as data', r.code === 0 && r.output === hostile, r);
  const marker = join(scratch, `marker-${v}`);
  r = await run(client, variant(v, `sleep 2; touch ${marker}`), 200);
  expect('lifeline cut ends the step promptly', r.ms < 1500, r);
  await sleep(2500);
  if (existsSync(marker)) problems.push(`${v}: the command survived the cut lifeline (${marker} written)`);
  r = await run(client, variant(v, 'cat; echo after'));
  expect('a command reading stdin gets /dev/null, not the script', r.code === 0 && r.output === 'after\n', r);
  r = await run(client, variant(v, 'nohup sleep 5 >/dev/null 2>&1 & echo started'));
  expect('background job not waited for', r.code === 0 && r.output === 'started\n' && r.ms < 2000, r);
  return problems;
}

async function main(rounds: number): Promise<void> {
  const fleet = await startSshdFleet({ count: 1, config: { ...BENCH_SSHD_CONFIG } });
  const host = fleet.hosts[0];
  if (!host) throw new Error('no host');
  const client = new ssh2.Client();
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve).once('error', reject);
      client.connect({
        host: host.address,
        port: host.port,
        username: fleet.user,
        privateKey: readFileSync(fleet.keyPath),
        hostVerifier: () => true,
      });
    });
    client.setNoDelay(true);
    const variants: Variant[] = ['bare', 'bash', 'posix', 'inline'];
    for (const v of ['posix', 'inline'] as const) {
      for (const p of await checkSemantics(client, v, fleet.scratchDir))
        process.stdout.write(`SEMANTICS ${p}\n`);
    }
    const ms = new Map<Variant, number[]>(variants.map((v) => [v, []]));
    for (const v of variants) await run(client, variant(v, 'true'));
    for (let i = 0; i < rounds; i++) {
      for (const v of variants) {
        const r = await run(client, variant(v, 'true'));
        if (r.code !== 0) throw new Error(`${v}: true exited ${r.code}: ${r.output}`);
        ms.get(v)?.push(r.ms);
      }
    }
    process.stdout.write(`median of ${rounds} interleaved rounds, \`true\` on one warm connection:\n`);
    for (const [v, values] of ms) process.stdout.write(`  ${v.padEnd(8)} ${median(values).toFixed(2)} ms\n`);
  } finally {
    client.end();
    await fleet.stop();
  }
}

await main(Number(process.argv[2] ?? 300));
