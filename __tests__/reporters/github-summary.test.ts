import { renderStartFailure, renderSummary } from '../../src/reporters/github-summary.js';
import { lastBytes } from '../../src/reporters/last-bytes.js';
import { job, run, stage } from '../support/report-fixtures.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

describe('renderSummary', () => {
  it('has a headline, a stage table and a host table with every host', () => {
    const report = run([
      stage('Build', [job('(controller)')], { canary: null }),
      stage('Distribute', [job('web-1'), job('web-2', { attempts: 2, durationMs: 2500 }), job('web-3')]),
    ]);
    const md = renderSummary(report);
    expect(md).toMatch(/^## ✅ Release succeeded\n/);
    expect(md).toContain('Runner **deploy** · release `20261128T010000Z` · 2 stages · 4.2 s');
    expect(md).toContain(
      '<tr><td>2</td><td>Distribute</td><td>✅ success</td><td>3</td><td>0</td><td>0</td><td>web-1</td><td>900 ms</td></tr>',
    );
    expect(md).toContain('### 2. Distribute · ✅ success');
    for (const host of ['web-1', 'web-2', 'web-3']) expect(md).toContain(`<td>${host}`);
    expect(md).toContain(
      '<tr><td>web-2</td><td>✅ success</td><td>2</td><td>2.5 s</td><td>0</td><td>—</td></tr>',
    );
    expect(md).toContain('<td>web-1 <sub>canary</sub></td>');
    expect(md).not.toContain('<details>'); // small tables stay open, nothing failed
  });

  it('shows each failed host with its output tail, collapsed', () => {
    const report = run([
      stage('Distribute', [
        job('web-1'),
        job('web-2', {
          result: 'failure',
          exitCode: 3,
          error: 'exit 3: tar failed',
          outputTail: 'fetching\ntar: bad\n',
        }),
        job('web-3', { result: 'skipped', exitCode: null, error: 'failure budget exceeded' }),
      ]),
    ]);
    const md = renderSummary(report);
    expect(md).toMatch(/^## ❌ Release failed/);
    expect(md).toContain(
      '<details><summary>❌ <b>web-2</b> · exit 3 · 1 attempt · 120 ms · exit 3: tar failed</summary>\n\n<pre>fetching\ntar: bad</pre>\n\n</details>',
    );
    expect(md).not.toMatch(/<summary>❌ <b>web-3/);
    expect(md).toContain('<td>⏭️ skipped</td>');
  });

  it('escapes Markdown and HTML coming from hosts and the config', () => {
    const evil = '<script>alert(1)</script> **bold** | pipe `code` [link](http://x) $x$';
    const report = run(
      [
        stage(`Stage <img src=x> # ${evil}`, [
          job('web-1', {
            result: 'failure',
            error: evil,
            outputTail: `${evil}\n\n\n</pre></details>\n\x1b[31mred\x1b[0m\n`,
          }),
        ]),
      ],
      { reason: evil },
    );
    const md = renderSummary(report);
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('<img');
    expect(md).not.toMatch(/<\/pre><\/details>\n(?!\n)/); // host output cannot close our blocks
    expect(md).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(md).not.toContain('\x1b');
    expect(md).toContain('red');
    // Markdown contexts (heading, the reason quote): Markdown characters become references
    const heading = md.split('\n').find((l) => l.startsWith('### ')) ?? '';
    expect(heading).not.toMatch(/[*|`[\]$]/);
    expect(heading).toContain('&#42;&#42;bold&#42;&#42;');
    const quote = md.split('\n').find((l) => l.startsWith('> ')) ?? '';
    expect(quote).not.toMatch(/[*|`[\]$]/);
    // host output cannot end our <pre> (a type-1 HTML block: only </pre> ends it, blank lines do not)
    expect(md.split('</pre>')).toHaveLength(2);
  });

  it('marks tolerated failures and cancelled runs', () => {
    const report = run(
      [
        stage('Prune', [job('a', { result: 'failure', exitCode: 1 }), job('b')], { tolerated: true }),
        stage('Warm', [job('a', { result: 'cancelled', exitCode: null, error: 'cancelled by SIGTERM' })], {
          result: 'failure',
        }),
      ],
      { result: 'cancelled', reason: 'cancelled by SIGTERM' },
    );
    const md = renderSummary(report);
    expect(md).toMatch(/^## 🚫 Release cancelled/);
    expect(md).toContain('> cancelled by SIGTERM');
    expect(md).toContain('⚠️ failure (tolerated: can-fail)');
    expect(md).toContain('<th>Cancelled</th>');
    expect(md).toContain('<td>🚫 cancelled</td>');
  });

  it('says dry run in the headline', () => {
    expect(renderSummary(run([stage('A', [job('a')])]), { dryRun: true })).toMatch(
      /^## 🧪 DRY RUN succeeded \(nothing was run\)/,
    );
  });

  it('collapses a large host table in <details> with a tally', () => {
    const jobs = Array.from({ length: 12 }, (_, i) => job(`web-${i + 1}`));
    jobs[4] = job('web-5', { result: 'failure', exitCode: 1 });
    const md = renderSummary(run([stage('Ship', jobs)]));
    expect(md).toContain('<details><summary>12 hosts: 11 ok, 1 failed, 0 skipped</summary>\n\n<table>');
  });

  it('stays under the size limit, keeping failures first, and says what it left out', () => {
    const big = 'x'.repeat(199) + '\n';
    const jobs = Array.from({ length: 400 }, (_, i) =>
      job(`host-${String(i).padStart(3, '0')}.example.com`, {
        result: i % 2 ? 'failure' : 'success',
        exitCode: i % 2,
        error: i % 2 ? 'exit 1' : null,
        outputTail: big.repeat(300),
      }),
    );
    const report = run([stage('Ship', jobs), stage('Verify', jobs.slice(0, 50))]);
    const maxBytes = 200_000;
    const md = renderSummary(report, { maxBytes });
    expect(bytes(md)).toBeLessThanOrEqual(maxBytes);
    expect(md).toMatch(/^## ❌ Release failed/);
    expect(md).toContain('<td>Ship</td>'); // the stage table is always there
    expect(md).toContain("> **Note:** this summary was shortened to stay under GitHub's 1 MiB limit");
    expect(md).toMatch(/the output of \d+ failed hosts/);
    expect(md).toContain('<summary>❌ <b>host-001.example.com</b>'); // the first failure kept its output
    expect(md).toContain('earlier lines not shown');
  });

  it('fits a real-size worst case under 1 MiB by default', () => {
    const jobs = Array.from({ length: 2000 }, (_, i) =>
      job(`h${i}`, {
        result: 'failure',
        exitCode: 1,
        error: 'e'.repeat(500),
        outputTail: '🔥'.repeat(20_000),
      }),
    );
    const md = renderSummary(run([stage('S', jobs)]));
    expect(bytes(md)).toBeLessThan(1024 * 1024);
    expect(md).toContain('**Note:**');
  });

  it('is pure: the same report renders the same text', () => {
    const report = run([stage('A', [job('a', { result: 'failure', outputTail: 'boom\n' })])]);
    expect(renderSummary(report)).toBe(renderSummary(structuredClone(report)));
  });
});

describe('renderStartFailure', () => {
  it('shows the reason escaped, in a <pre>', () => {
    const md = renderStartFailure('release.yml:3:5: runners.<x>: expected a map');
    expect(md).toBe(
      '## ❌ Release did not start\n\n<pre>release.yml:3:5: runners.&lt;x&gt;: expected a map</pre>\n',
    );
  });
});

describe('lastBytes', () => {
  it('keeps whole lines from the end', () => {
    expect(lastBytes('a\nbb\ncc', 5)).toEqual({ text: 'bb\ncc', linesLeftOut: 1 });
    expect(lastBytes('short', 100)).toEqual({ text: 'short', linesLeftOut: 0 });
  });

  it('keeps the end of one overlong line', () => {
    const r = lastBytes(`first\n${'y'.repeat(50)}`, 10);
    expect(r.linesLeftOut).toBe(1);
    expect(r.text).toMatch(/^…y{1,9}$/);
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(10);
    const emoji = lastBytes('🔥'.repeat(10), 10).text;
    expect(emoji).toBe('…🔥');
  });
});

describe('what the release steps moved', () => {
  it('a Release column per host and a now-live line under the headline', async () => {
    const { renderSummary } = await import('../../src/reporters/github-summary.js');
    const job = (host: string, before: string, after: string) => ({
      host,
      result: 'success' as const,
      attempts: 1,
      durationMs: 5,
      exitCode: 0,
      error: null,
      outputTail: '',
      release: { action: 'undo' as const, before, after },
    });
    const text = renderSummary({
      version: 1,
      runner: 'deploy',
      release: 'R2',
      result: 'failure',
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 10,
      stages: [
        {
          name: 'Undo',
          result: 'success',
          canary: null,
          when: 'failure',
          durationMs: 5,
          jobs: [job('web1', 'R2', 'R1'), job('web2', 'R1', 'R1')],
        },
      ],
    });
    expect(text).toMatch(/^now live: R1 on 2 hosts$/m);
    expect(text).toContain('<th>Release</th>');
    expect(text).toContain('<td>R2 → R1</td>');
    expect(text).toContain('<td>nothing to undo (R1 live)</td>');
  });
});
