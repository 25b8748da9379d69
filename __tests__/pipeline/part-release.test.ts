import { UsageError } from '../../src/contract/errors.js';
import { releaseIdOf, workflowRunReleaseId } from '../../src/pipeline/part-release.js';
import type { ReleaseSettings } from '../../src/pipeline/settings.js';

const cli = { shard: { flag: '--shard' }, canaryOnly: { flag: '--canary-only' } } as const;
const base: Pick<ReleaseSettings, 'dryRun' | 'sources'> = { dryRun: false, sources: cli };
const inActions = { GITHUB_RUN_ID: '987654' };

describe('the release id of a part of a sharded release', () => {
  it('a release id given wins, in every part and outside Actions', () => {
    expect(releaseIdOf({ ...base, release: 'v42', shard: { index: 2, count: 3 } }, {})).toBe('v42');
    expect(releaseIdOf({ ...base, release: 'v42' }, inActions)).toBe('v42');
  });

  it('a whole release without one keeps the engine default (undefined), in Actions too', () => {
    expect(releaseIdOf(base, inActions)).toBeUndefined();
  });

  it('in GitHub Actions the canary part and every shard take the workflow run id', () => {
    expect(releaseIdOf({ ...base, canaryOnly: true }, inActions)).toBe('run-987654');
    expect(releaseIdOf({ ...base, shard: { index: 3, count: 3 } }, inActions)).toBe('run-987654');
    expect(workflowRunReleaseId({ GITHUB_RUN_ID: 'x; rm -rf' })).toBeUndefined();
  });

  it('outside Actions a part without one is refused, naming the flag or input it was given by', () => {
    expect(() => releaseIdOf({ ...base, shard: { index: 1, count: 2 } }, {})).toThrow(UsageError);
    expect(() => releaseIdOf({ ...base, shard: { index: 1, count: 2 } }, {})).toThrow(
      /^--shard: the parts of a sharded release must share one release id/,
    );
    const action = { dryRun: false, sources: { canaryOnly: { input: 'canary-only' } } };
    expect(() => releaseIdOf({ ...action, canaryOnly: true }, {})).toThrow(/^Input "canary-only": /);
  });

  it('a dry run of a part needs none: it names no release on any host', () => {
    expect(releaseIdOf({ ...base, dryRun: true, shard: { index: 1, count: 2 } }, {})).toBeUndefined();
  });
});
