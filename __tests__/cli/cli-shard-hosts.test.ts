/**
 * A shard acts on the same hosts in every stage, end to end: the built CLI on eight `local:` hosts,
 * a release spread over a canary-only part and three shards, with a Distribute that has a canary
 * and a Switch that has none. A host that failed in its shard's Distribute is left behind there,
 * and no other shard switches it.
 */
import { existsSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, tempDir, type CliRun } from '../support/cli.js';

const HOSTS = Array.from({ length: 8 }, (_, i) => `local:h${i + 1}`);

const CONFIG = `version: 1
hosts:
  web: [${HOSTS.join(', ')}]
vars:
  ROOT: .
  FAIL_HOST: ''
releases:
  path: \${ROOT}/hosts/\${BW_HOST}
runners:
  deploy:
    stages:
      - name: Distribute
        hosts: [web]
        max-failures: 1
        steps:
          - release: prepare
          - name: check
            run: '[ "$BW_HOST" != "$FAIL_HOST" ] || { echo "disk quota exceeded" >&2; exit 28; }'
      - name: Switch
        hosts: [web]
        canary: false
        steps: [{ release: switch }]
`;

describe('a shard acts on the same hosts in every stage (local: hosts)', () => {
  it('a host that failed in its shard’s Distribute (which has a canary) is switched by no shard (Switch has none)', async () => {
    const dir = await tempDir('bw-shard-hosts-');
    await writeFile(join(dir, 'release.yml'), CONFIG);
    const current = (h: string) => {
      const link = join(dir, 'hosts', h, 'current');
      return existsSync(link) ? readlinkSync(link) : null;
    };
    const run = async (args: readonly string[]): Promise<CliRun> => {
      const r = await runCli(['run', '-c', join(dir, 'release.yml'), '--var', `ROOT=${dir}`, ...args], {
        cwd: dir,
        timeoutMs: 60_000,
      });
      if (r.code !== 0) throw new Error(`${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      return r;
    };
    await run(['-r', 'deploy', '--release-id', 'r1']);

    // Every part is given FAIL_HOST=local:h4, as a matrix gives every job the same inputs. The
    // hosts split h1..h3 | h4..h6 | h7..h8 in both stages (h1, Distribute's canary, is the
    // canary part's there): h4 is shard 2's alone. (Split after the canary, Distribute's blocks
    // would be h2..h4 | h5..h6 | h7..h8: shard 1 would leave h4 behind and shard 2 switch it.)
    const r2 = ['-r', 'deploy', '--release-id', 'r2', '--var', 'FAIL_HOST=local:h4'];
    const parts = ['--canary-only', '--shard 1/3', '--shard 2/3', '--shard 3/3'];
    const out: string[] = [];
    for (const part of parts) out.push((await run([...r2, ...part.split(' ')])).stdout);
    expect(out.map((o) => o.includes('local:h4'))).toEqual([false, false, true, false]);
    expect(out[2]).toContain('1 host left on its previous release: local:h4 (failed at Distribute)');
    expect(out[2]).toMatch(/^local:h4 +– skipped: failed at stage "Distribute"/m);

    expect(Object.fromEntries(HOSTS.map((h) => [h, current(h)]))).toEqual(
      Object.fromEntries(HOSTS.map((h) => [h, h === 'local:h4' ? 'releases/r1' : 'releases/r2'])),
    );
  }, 120_000);
});
