/**
 * The job summary's gantt, checked by the real Mermaid (the npm package, run in a headless
 * Chromium since it needs a DOM): it parses and renders, with the bars and milestones we meant,
 * whatever the stage and host names are.
 */
import { createRequire } from 'node:module';
import type { RunReport } from '../../src/engine/report.js';
import { renderSummary } from '../../src/reporters/github-summary.js';
import { mermaidText, renderMermaidTimeline } from '../../src/reporters/mermaid-timeline.js';
import { itNeedingChromium, launchChromium, type HeadlessChromium } from '../support/chromium.js';
import { job, run, stage } from './report-fixtures.js';

const MERMAID = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');
const T0 = Date.parse('2026-11-28T01:00:00.000Z');

const HOSTILE = [
  'Deploy: "web" #1; 100%',
  '%% not a comment',
  'section fake',
  '{braces} `ticks` ``` <b>bold</b> \\ back',
  'title: click me\nsecond line',
];

/** A release with everything the picture draws: a canary, waves and gates, a failure, a skip. */
function richReport(): RunReport {
  const at = (ms: number) => ({ startedAtMs: T0 + ms });
  const gate = (ms: number, result: 'success' | 'failure' = 'success') => ({
    result,
    durationMs: 40,
    exitCode: result === 'success' ? 0 : 1,
    error: result === 'success' ? null : 'exit code 1',
    outputTail: '',
    ...at(ms),
  });
  const hostile = HOSTILE.map((name, i) =>
    stage(name, [job(`local:h${i}`, { ...at(i * 10), durationMs: 5 })], { ...at(i * 10) }),
  );
  const gated = stage(
    'Gated: waves',
    [
      job('local:canary', { ...at(100), durationMs: 50 }),
      job('local:a', { ...at(200), durationMs: 60 }),
      job('web-2.example.org:2222', {
        ...at(200),
        durationMs: 80,
        result: 'failure',
        exitCode: 3,
        error: 'exit code 3',
      }),
      job('local:late', { result: 'skipped', attempts: 0, durationMs: 0, error: 'gate after wave 2 failed' }),
    ],
    {
      ...at(100),
      durationMs: 400,
      canary: 'local:canary',
      reason: 'gate after wave 2 failed: exit code 1',
      waves: [
        { index: 1, hosts: ['local:canary'], gate: gate(160) },
        { index: 2, hosts: ['local:a', 'web-2.example.org:2222'], gate: gate(290, 'failure') },
      ],
    },
  );
  const big = stage(
    'Eighty',
    Array.from({ length: 80 }, (_, i) => job(`local:n${i}`, { ...at(600 + i * 3), durationMs: 20 })),
    {
      ...at(600),
      waves: [
        { index: 1, hosts: ['local:n0'], gate: null },
        { index: 2, hosts: Array.from({ length: 79 }, (_, i) => `local:n${i + 1}`), gate: null },
      ],
    },
  );
  const skipped = stage('Notify: "on success"', [], {
    result: 'skipped',
    canary: null,
    durationMs: 0,
    reason: 'the release failed at stage "Gated: waves"',
  });
  const wayOut = stage('Roll back', [job('local:rb', { ...at(900), durationMs: 30 })], {
    ...at(900),
    when: 'failure',
  });
  return run([...hostile, gated, big, skipped, wayOut], { durationMs: 1000 });
}

function mermaidSource(summary: string): string {
  const m = /```mermaid\n([\s\S]*?)```\n/.exec(summary);
  if (!m?.[1]) throw new Error(`no mermaid block in:\n${summary.slice(0, 2000)}`);
  return m[1];
}

describe('the summary timeline (Mermaid gantt)', () => {
  it('escapes what Mermaid reads, so a name shows as typed, on one line', () => {
    expect(mermaidText('local:a')).toBe('local∶a');
    expect(mermaidText('a;b#c%%d"e\'f`g{h}i')).toBe('a;b＃c％％d＂e’fˋg｛h｝i');
    expect(mermaidText('one\ntwo\r\n')).toBe('one two');
    expect(mermaidText('   ')).toBe('(unnamed)');
  });

  it('is under the headline of the summary, and left out of a report without times', () => {
    const summary = renderSummary(richReport());
    expect(summary.indexOf('```mermaid')).toBeGreaterThan(summary.indexOf('## '));
    expect(summary.indexOf('```mermaid')).toBeLessThan(summary.indexOf('<table>'));
    expect(renderSummary(run([stage('Old', [job('web-1')])]))).not.toContain('```mermaid');
  });

  it('draws a bar per job, failed ones crit, gates as milestones, the big stage by its waves', () => {
    const text = mermaidSource(renderMermaidTimeline(richReport()));
    expect(text).toContain('dateFormat x');
    expect(text).toMatch(/✘ web-2\.example\.org∶2222 :crit, 200, 280/);
    expect(text).toMatch(/✔ local∶canary \(canary\) :done, 100, 150/);
    expect(text).toMatch(/gate after wave 2∶ failure :crit, milestone, 290, 330/);
    expect(text).toMatch(/1 host not started/);
    expect(text).toMatch(/wave 2 \(79 hosts\) :done/);
    expect(text).not.toMatch(/local∶n5\b/);
    expect(text).toMatch(/section \d+\. Roll back \(on the way out, when∶ failure\)/);
    expect(text).toMatch(/skipped∶ the release failed at stage ＂Gated∶ waves＂ :milestone/);
  });

  describe('in the real Mermaid', () => {
    let browser: HeadlessChromium | undefined;
    afterAll(async () => {
      await browser?.close();
    });

    itNeedingChromium(
      'parses and renders, with hostile names, local: hosts, a failure, gates and an 80-host stage',
      async () => {
        browser = await launchChromium();
        const { page, errors, outside } = await browser.newPage();
        await page.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
        await page.addScriptTag({ path: MERMAID });
        const text = mermaidSource(renderSummary(richReport()));
        const drawn = await page.evaluate(async (src) => {
          const m = (globalThis as unknown as { mermaid: any }).mermaid; // eslint-disable-line @typescript-eslint/no-explicit-any
          m.initialize({ startOnLoad: false });
          const parsed: unknown = await m.parse(src);
          const { svg } = (await m.render('timeline', src)) as { svg: string };
          const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
          const texts = [...doc.querySelectorAll('text')].map((t) => t.textContent ?? '');
          return {
            parsed: parsed !== false,
            bars: doc.querySelectorAll('rect.task').length,
            crit: doc.querySelectorAll('rect.crit0, rect.crit1, rect.crit2, rect.crit3').length,
            milestones: doc.querySelectorAll('rect.milestone').length,
            texts,
          };
        }, text);
        expect(errors).toEqual([]);
        expect(outside).toEqual([]);
        expect(drawn.parsed).toBe(true);
        // 5 hostile + 3 gated jobs + 2 waves of the big stage + 1 way out; milestones: 2 gates, not started, skipped.
        expect(drawn.bars).toBe(5 + 3 + 2 + 1 + 4);
        expect(drawn.milestones).toBe(4);
        expect(drawn.crit).toBeGreaterThanOrEqual(2);
        const all = drawn.texts.join('\n');
        expect(all).toContain('✘ web-2.example.org∶2222');
        expect(all).toContain('Deploy∶ ＂web＂ ＃1; 100％');
        expect(all).toContain('％％ not a comment');
        expect(all).toContain('section fake');
      },
      60_000,
    );
  });
});
