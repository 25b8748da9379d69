/**
 * Diagnostic, not part of `npm run bench`: what a leaner remote wrapper would save per step.
 * Runs `true` on one warm raw ssh2 connection, interleaved round by round, as
 *   bare        exec `true` (sshd session + login shell: the floor)
 *   bash        exec `bash --noprofile --norc -eo pipefail`, script on stdin
 *   current     our transport's wrapper (src/transport/ssh-remote-command.ts)
 *   lean        a bash wrapper: `read -N` instead of `head -c`, `set -m` instead of `setsid`
 *   lean-inline lean, and the default shell's script run in the wrapper's own subshell (no 2nd exec)
 * and checks that the wrappers keep the semantics (exit status, pipefail, env as data, stdin is
 * /dev/null, termination of the process group on a cut lifeline, `nohup … &` not waited for).
 *
 *   npx tsc -p tsconfig.bench.json && node .tmp/bench-build/bench/probes/wrapper-variants.js [ROUNDS]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import ssh2 from 'ssh2';
import { DEFAULT_SHELL } from '../../src/engine/subtask.js';
import { buildRemoteCommand, shellQuote } from '../../src/transport/ssh-remote-command.js';
import { startSshdFleet } from '../../__tests__/support/sshd.js';
import { BENCH_SSHD_CONFIG } from '../fleet.js';
import { median } from '../stats.js';

/** Same protocol as the current wrapper: $1 = payload length, the rest = shell argv; lifeline on stdin. */
const LEAN = [
  'exec 3<&0',
  'IFS= LC_ALL=C read -r -d "" -N "$1" __bw_p || [ "${#__bw_p}" = "$1" ] || exit 125',
  'eval "$__bw_p" || exit 125',
  '[ -n "${__bw_script+x}" ] || { echo "boerewors: could not read the script from stdin" >&2; exit 125; }',
  'shift',
  // Job-control notices ("[1] Done …") go to the wrapper's stderr: point it at /dev/null and give
  // the command the real one (fd 5), which nothing else may keep open, or the channel stays open.
  'exec 5>&2 2>/dev/null',
  'set -m',
  'RUN',
  'p=$!',
  '( while read -r _; do :; done; trap "" TERM; kill -s TERM -- -$p; sleep 2; kill -s KILL -- -$p ) <&3 >/dev/null 2>&1 5>&- &',
  'w=$!',
  'exec 3<&-',
  'wait "$p"; r=$?',
  'kill "$w" 2>/dev/null',
  'exit "$r"',
].join('\n');
// As the current wrapper: the script arrives as /dev/fd/4, stdin is /dev/null.
const RUN_SHELL = '"$@" /dev/fd/4 4<<<"$__bw_script" </dev/null 2>&5 3<&- 5>&- &';
// Not equivalent in every corner (eval parses the whole script before running any of it).
const RUN_INLINE = '( set -eo pipefail; eval "$__bw_script" ) </dev/null 2>&5 3<&- 5>&- &';

type Variant = 'bare' | 'bash' | 'current' | 'lean' | 'lean-inline';
interface Command {
  readonly command: string;
  readonly stdin: Buffer | null;
  readonly endStdin: boolean;
}

function variant(v: Variant, script: string, env: Record<string, string> = {}): Command {
  const current = buildRemoteCommand(script, DEFAULT_SHELL, env);
  switch (v) {
    case 'bare':
      return { command: script, stdin: null, endStdin: true };
    case 'bash':
      return { command: DEFAULT_SHELL.join(' '), stdin: Buffer.from(`${script}\n`), endStdin: true };
    case 'current':
      return { ...current, endStdin: false };
    case 'lean':
    case 'lean-inline': {
      const body = LEAN.replace('RUN', v === 'lean' ? RUN_SHELL : RUN_INLINE);
      const argv = v === 'lean' ? DEFAULT_SHELL.map(shellQuote) : [];
      const command = [
        'exec bash --noprofile --norc -c',
        shellQuote(body),
        'bw',
        String(current.stdin.length),
        ...argv,
      ];
      return { command: command.join(' '), stdin: current.stdin, endStdin: false };
    }
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
      ch.once('close', () => resolve({ code, output, ms: performance.now() - started }));
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
    const variants: Variant[] = ['bare', 'bash', 'current', 'lean', 'lean-inline'];
    for (const v of ['current', 'lean', 'lean-inline'] as const) {
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
    for (const [v, values] of ms) process.stdout.write(`  ${v.padEnd(12)} ${median(values).toFixed(2)} ms\n`);
  } finally {
    client.end();
    await fleet.stop();
  }
}

await main(Number(process.argv[2] ?? 300));
