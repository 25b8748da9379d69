// @ts-check
/**
 * A release driven from code, without a config file: the library API the CLI and the action use.
 * It runs anywhere, with no server: three embedded `local:` hosts (their steps run on this machine
 * with bash). Swap them for real hosts and the same code releases over SSH.
 *
 *   npm ci && node examples/library-release.mjs
 *
 * Inside this repository `boerewors-action` resolves to the package itself (its `exports`); in a
 * project of yours it is the installed package.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Err,
  Executor,
  Job,
  LocalTransport,
  Ok,
  RoutingTransport,
  Runner,
  Stage,
  createSshTransport,
  remote,
  toJsonReport,
} from 'boerewors-action';

const work = await mkdtemp(join(tmpdir(), 'boerewors-library-'));

/** @type {import('boerewors-action').Host[]} */
const hosts = ['a', 'b', 'c'].map((n) => ({
  name: `local:${n}`,
  address: 'localhost',
  port: 0,
  local: true,
}));
// A real host instead: { name: 'web-1', address: 'web-1.example.com', port: 22, local: false }

/** Checks what the first stage wrote; a job class, as boerewors users wrote `NewJob`. */
class Verify extends Job {
  /**
   * @param {import('boerewors-action').JobContext} ctx
   * @returns {import('boerewors-action').JobBody}
   */
  async *run(ctx) {
    // A `remote` step hands back its ExecResult (exit code, signal, duration).
    const r = /** @type {import('boerewors-action').ExecResult} */ (
      yield remote('test "$(cat "$DIR/current")" = "$BW_RELEASE"', {
        env: { DIR: join(work, ctx.host.name.replace('local:', '')) },
        allowFailure: true,
      })
    );
    return r.exitCode === 0 ? Ok() : Err(`current is not ${ctx.release}`);
  }
}

const runner = new Runner({
  name: 'deploy',
  stages: [
    // Canary first (local:a alone), then the other two at once.
    Stage.forHosts({
      name: 'Distribute',
      hosts,
      poolSize: 2,
      retries: 1,
      job: (host) =>
        Job.of(host, async function* () {
          const dir = join(work, host.name.replace('local:', ''));
          yield remote('mkdir -p "$DIR" && echo "$BW_RELEASE" > "$DIR/current" && echo "wrote $DIR"', {
            env: { DIR: dir },
          });
        }),
    }),
    Stage.forHosts({ name: 'Verify', hosts, job: (host) => new Verify(host) }),
  ],
});

// Local hosts go to the LocalTransport; the SSH transport is only created if a real host shows up.
// Options left out take their defaults (DEFAULT_SSH_OPTIONS).
const transport = new RoutingTransport(new LocalTransport(), () =>
  createSshTransport({ user: 'deploy', privateKeyPath: '~/.ssh/id_ed25519' }),
);

const executor = new Executor({
  transport,
  onEvent: (e) => {
    if (e.type === 'output') console.log(`${e.host} │ ${e.line}`);
    if (e.type === 'stage-end') console.log(`stage ${e.stage.name}: ${e.stage.result}`);
  },
});
try {
  const report = await executor.run(runner);
  console.log(JSON.stringify(toJsonReport(report)));
  process.exitCode = report.result === 'success' ? 0 : 1;
} finally {
  await transport.close();
}
