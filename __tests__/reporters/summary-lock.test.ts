/** The deploy lock in the job summary: shown when it kept a run from starting, or was taken over. */
import { renderSummary } from '../../src/reporters/github-summary.js';
import { run, stage, job } from '../support/report-fixtures.js';

describe('the job summary and the deploy lock', () => {
  it('a refused run names the holder, since when, and links their run', () => {
    const md = renderSummary(
      run([], {
        result: 'failure',
        reason: 'deploy lock "shop" on web-1 is held by alice … Nothing ran.',
        lock: {
          name: 'shop',
          host: 'web-1',
          state: 'refused',
          heldBy: 'alice',
          since: '2026-11-29T08:05:54.000Z',
          runUrl: 'https://github.com/acme/shop/actions/runs/42',
        },
      }),
    );
    expect(md).toContain(
      '🔒 The deploy lock `shop` on web-1 is held by **alice** since 2026-11-29T08:05:54.000Z ' +
        '([their run](https://github.com/acme/shop/actions/runs/42)): nothing ran.',
    );
  });

  it('a holder’s text is escaped, and a link that is not http(s) is left out', () => {
    const md = renderSummary(
      run([], {
        result: 'failure',
        lock: {
          name: 'shop',
          host: 'web-1',
          state: 'refused',
          heldBy: '<img src=x> *bob*',
          runUrl: 'javascript:alert(1)',
        },
      }),
    );
    expect(md).not.toContain('<img');
    expect(md).not.toContain('javascript:');
    expect(md).not.toContain('*bob*');
  });

  it('a takeover gets a warning line; an acquired lock, a dry run’s plan and no lock get none', () => {
    const taken = renderSummary(
      run([stage('Ship', [job('web-1')])], {
        lock: { name: 'shop', host: 'web-1', state: 'taken-over', heldBy: 'carol' },
      }),
    );
    expect(taken).toContain('⚠️ The deploy lock `shop` on web-1 was stale and taken over from **carol**.');
    const failed = renderSummary(
      run([], { result: 'failure', lock: { name: 'shop', host: 'web-1', state: 'failed' } }),
    );
    expect(failed).toContain('🔒 The deploy lock `shop` on web-1 could not be asked: nothing ran.');
    for (const state of ['acquired', 'reentered', 'planned'] as const) {
      expect(
        renderSummary(run([stage('Ship', [job('web-1')])], { lock: { name: 'shop', host: 'web-1', state } })),
      ).not.toContain('deploy lock');
    }
  });
});
