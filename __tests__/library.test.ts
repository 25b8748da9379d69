import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Err,
  Executor,
  Job,
  LocalTransport,
  Ok,
  remote,
  Runner,
  Stage,
  type ExecResult,
} from '../src/index.js';
import { REPO, tempDir } from './support/cli.js';

const host = (name: string) => ({ name: `local:${name}`, address: 'localhost', port: 0, local: true });

describe('library API', () => {
  it('Stage.forHosts given host names instead of host objects is a TypeError when the stage is built', () => {
    const build = () =>
      Stage.forHosts({
        name: 'Ship',
        hosts: ['web-1', 'web-2'] as never,
        job: (host) => Job.of(host, async function* () {}),
      });
    expect(build).toThrow(TypeError);
    expect(build).toThrow(
      'stage "Ship": hosts[0] must be a host object ({ name, address, port, … }), got "web-1"',
    );
  });

  it('runs a runner of custom jobs on local hosts through the public exports', async () => {
    const dir = await tempDir();
    class Touch extends Job {
      async *run() {
        yield remote(`touch "${dir}/$BW_HOST"`);
        const r = (yield remote('test "$BW_HOST" != local:c', { allowFailure: true })) as ExecResult;
        return r.exitCode === 0 ? Ok() : Err('c is refused');
      }
    }
    const runner = new Runner({
      name: 'lib',
      stages: [
        new Stage({
          name: 'touch',
          maxFailures: 1,
          jobs: () => ['a', 'b', 'c'].map((n) => new Touch(host(n))),
        }),
      ],
    });
    const transport = new LocalTransport();
    const report = await new Executor({ transport, release: 'r1' }).run(runner);
    await transport.close();
    expect(report.result).toBe('success');
    expect(report.stages[0]?.jobs.map((j) => [j.host, j.result, j.error])).toEqual([
      ['local:a', 'success', null],
      ['local:b', 'success', null],
      ['local:c', 'failure', 'c is refused'],
    ]);
    expect(readFileSync(join(dir, 'local:b'), 'utf8')).toBe('');
  });

  it('the package name resolves to the built library (package.json exports)', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('boerewors-action'); console.log(typeof m.Executor, typeof m.Job)",
      ],
      { cwd: REPO, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('function function');
  });
});
