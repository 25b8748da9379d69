/**
 * examples/library-release.mjs, run as a user runs it (`node examples/library-release.mjs`): the
 * package imported by its name, the built `lib/`, a two-stage release on local: hosts.
 */
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { REPO, runNode } from '../support/cli.js';

describe('examples/library-release.mjs', () => {
  it('releases to its three local: hosts through the library API, canary first', async () => {
    const r = await runNode(join(REPO, 'examples/library-release.mjs'), []);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('stage '))).toEqual([
      'stage Distribute: success',
      'stage Verify: success',
    ]);
    const report = JSON.parse(lines.at(-1)!) as {
      result: string;
      stages: { canary: string; jobs: { host: string; result: string }[] }[];
    };
    expect(report.result).toBe('success');
    expect(report.stages.map((s) => s.canary)).toEqual(['local:a', 'local:a']);
    // What the first stage wrote is really on disk, holding the release id the second stage checked.
    const wrote = lines.find((l) => l.startsWith('local:b │ wrote '))!.replace('local:b │ wrote ', '');
    expect((await readFile(join(wrote, 'current'), 'utf8')).trim()).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    await rm(dirname(wrote), { recursive: true, force: true });
  });
});
