// The library's entry point exports the type, as it does the report's others.
import type { LeftBehind } from '../../src/index.js';
import { fromJsonReport } from '../../src/reporters/json-read.js';
import { toJsonReport } from '../../src/reporters/json.js';
import { mergeReports } from '../../src/reporters/merge-reports.js';
import { renderSummary } from '../../src/reporters/github-summary.js';
import { renderHtmlReport } from '../../src/reporters/html-report.js';
import { leftBehindText, runFooter } from '../../src/reporters/vocabulary.js';
import { job, run, stage } from '../support/report-fixtures.js';

const web7: LeftBehind = { host: 'web-7', stage: 'Distribute', error: 'exit code 28' };
const report = run(
  [
    stage(
      'Distribute',
      [job('web-6'), job('web-7', { result: 'failure', exitCode: 28, error: 'exit code 28' })],
      {
        result: 'success',
      },
    ),
    stage('Switch', [
      job('web-6'),
      job('web-7', {
        result: 'skipped',
        attempts: 0,
        durationMs: 0,
        exitCode: null,
        error: 'failed at stage "Distribute"',
      }),
    ]),
  ],
  { result: 'success', leftBehind: [web7] },
);

describe('a release that left hosts behind says so', () => {
  it('in the summary headline', () => {
    expect(renderSummary(report)).toContain(
      '## ✅ Release succeeded · 1 host left on its previous release: web-7 (failed at Distribute)\n',
    );
  });

  it('in the HTML report’s headline and title', () => {
    const html = renderHtmlReport(report);
    expect(html).toContain(
      '<h1><span class="dot r-success">●</span> Release succeeded · 1 host left on its previous release: web-7 (failed at Distribute)</h1>',
    );
    expect(html).toContain(
      '<title>Release succeeded · 1 host left on its previous release: web-7 (failed at Distribute) · deploy · 20261128T010000Z</title>',
    );
    // A release that did not succeed says why in its reason instead.
    expect(renderHtmlReport({ ...report, result: 'failure' })).not.toContain('left on its previous release');
  });

  it('in the left-behind host’s row of the later stage: skipped, with the stage it failed at', () => {
    expect(renderSummary(report)).toContain(
      '<tr><td>web-7</td><td>⏭️ skipped</td><td>0</td><td>0 ms</td><td>—</td><td>failed at stage &quot;Distribute&quot;</td></tr>',
    );
    expect(renderHtmlReport(report)).toContain(
      '<tr><td>web-7</td><td><span class="dot r-skipped">●</span> skipped</td>',
    );
  });

  it('in the last line of the log', () => {
    expect(runFooter(report, false)).toBe(
      'Release success · 1 host left on its previous release: web-7 (failed at Distribute) · runner deploy',
    );
  });

  it('names five hosts, counts the rest, and says nothing once the release failed', () => {
    const many = Array.from({ length: 7 }, (_, i) => ({ ...web7, host: `web-${i + 1}` }));
    expect(leftBehindText({ result: 'success', leftBehind: many })).toBe(
      '7 hosts left on their previous release: web-1 (failed at Distribute), web-2 (failed at Distribute), ' +
        'web-3 (failed at Distribute), web-4 (failed at Distribute), web-5 (failed at Distribute), … 2 more',
    );
    expect(leftBehindText({ result: 'failure', leftBehind: many })).toBe('');
    expect(leftBehindText({ result: 'success' })).toBe('');
  });

  it('in the JSON report, read back and merged from shards', () => {
    const json = toJsonReport(report);
    expect(json.leftBehind).toEqual([web7]);
    expect(toJsonReport({ ...report, leftBehind: undefined }).leftBehind).toEqual([]);
    expect(fromJsonReport(json).leftBehind).toEqual([web7]);
    const web2 = { ...web7, host: 'web-2' };
    const merged = mergeReports([
      { file: 'a.json', report: { ...json, shard: { index: 1, count: 2 }, leftBehind: [web2] } },
      { file: 'b.json', report: { ...json, shard: { index: 2, count: 2 } } },
    ]);
    expect(merged.leftBehind).toEqual([web2, web7]);
  });
});
