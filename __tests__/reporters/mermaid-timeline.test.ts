/**
 * The job summary's gantt, checked by the real Mermaid (the npm package, run in a headless
 * Chromium since it needs a DOM): it parses and renders, with the bars and milestones we meant,
 * whatever the stage and host names are.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSummary } from '../../src/reporters/github-summary.js';
import { mermaidText, renderMermaidTimeline } from '../../src/reporters/mermaid-timeline.js';
import { itNeedingChromium, launchChromium, type HeadlessChromium } from '../support/chromium.js';
import { job, run, stage } from '../support/report-fixtures.js';
import { HOSTILE, richReport, wideReport } from './timeline-fixtures.js';

const MERMAID = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');
interface Drawn {
  parsed: boolean;
  bars: number;
  crit: number;
  milestones: number;
  texts: string[];
}

/** Runs in the page (plain JavaScript): Mermaid parses and renders the gantt; what it drew. */
const RENDER_IN_PAGE = `async (src) => {
  const m = globalThis.mermaid;
  m.initialize({ startOnLoad: false });
  const parsed = await m.parse(src);
  const { svg } = await m.render('timeline', src);
  // Shown in the page for the screenshot: its style rules are scoped to the id it was rendered as.
  const out = document.getElementById('out');
  out.id = 'timeline';
  out.innerHTML = svg;
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  return {
    parsed: parsed !== false,
    bars: doc.querySelectorAll('rect.task').length,
    crit: doc.querySelectorAll('rect.crit0, rect.crit1, rect.crit2, rect.crit3').length,
    milestones: doc.querySelectorAll('rect.milestone').length,
    texts: [...doc.querySelectorAll('text')].map((t) => t.textContent || ''),
  };
}`;

function mermaidSource(summary: string): string {
  const m = /```mermaid\n([\s\S]*?)```\n/.exec(summary);
  if (!m?.[1]) throw new Error(`no mermaid block in:\n${summary.slice(0, 2000)}`);
  return m[1];
}

describe('the summary timeline (Mermaid gantt)', () => {
  it('writes what Mermaid reads as its entity codes, so a name shows as typed, on one line', () => {
    expect(mermaidText('local:a')).toBe('local#58;a');
    expect(mermaidText('a;b#c%%d"e\'f`g{h}i<j>k\\l')).toBe(
      'a#59;b#35;c#37;#37;d#34;e#39;f#96;g#123;h#125;i#60;j#62;k#92;l',
    );
    // A code typed in a name stays as typed: its `#` is escaped, the rest is not escaped twice.
    expect(mermaidText('#58; ¶ß ﬂ°')).toBe('#35;58#59; #182;ß #64258;°');
    expect(mermaidText('one\ntwo\r\n')).toBe('one two');
    expect(mermaidText('   ')).toBe('(unnamed)');
    // Cut at 80 characters as typed, before the codes: no code is cut in half.
    expect(mermaidText(':'.repeat(100))).toBe(`${'#58;'.repeat(79)}…`);
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
    expect(text).toMatch(/✘ web-2\.example\.org#58;2222 :crit, 200, 280/);
    expect(text).toMatch(/✔ local#58;canary \(canary\) :done, 100, 150/);
    expect(text).toMatch(/gate after wave 2#58; failure :crit, milestone, 290, 330/);
    expect(text).toMatch(/1 host not started/);
    expect(text).toMatch(/wave 2 \(79 hosts\) :done/);
    expect(text).not.toMatch(/local#58;n5\b/);
    expect(text).toMatch(/section \d+\. Roll back \(on the way out, when#58; failure\)/);
    expect(text).toMatch(/skipped#58; the release failed at stage #34;Gated#58; waves#34; :milestone/);
  });

  describe('past 40,000 characters', () => {
    it('draws every stage by its waves: 30 stages of 60 hosts', () => {
      const report = wideReport(30, 60, 59);
      // By host it would be over 40,000 characters (60 is not over the 60 bars a stage may have).
      expect(renderMermaidTimeline(report, { maxChars: Infinity }).length).toBeGreaterThan(40_000);
      const summary = renderSummary(report);
      const text = mermaidSource(summary);
      expect(text.length).toBeLessThanOrEqual(40_000);
      for (let s = 1; s <= 30; s++) {
        const section = text.split(`  section ${s}. Stage ${s}#58; roll\n`)[1]!.split('  section ')[0]!;
        expect(section.trimEnd().split('\n')).toEqual([
          expect.stringMatching(/^ {2}✔ wave 1 \(1 host\) :done, \d+, \d+$/),
          expect.stringMatching(/^ {2}✘ wave 2 \(59 hosts, 1 failed\) :crit, \d+, \d+$/),
        ]);
      }
      expect(text).not.toContain('local#58;s');
    });

    it('says in one line under the headline that it left the timeline out, and why, when even that is too big', () => {
      // 30 stages of 61 hosts in waves of one: 1,830 wave bars.
      const report = wideReport(30, 61, 1);
      expect(renderMermaidTimeline(report)).toBe('');
      const summary = renderSummary(report);
      expect(summary).not.toContain('```mermaid');
      const lines = summary.split('\n').filter((l) => /timeline/i.test(l));
      expect(lines).toEqual([
        expect.stringMatching(
          /^_The timeline is left out: even with every stage drawn by its waves, its Mermaid text is \d{2},\d{3} characters, over the 40,000 a diagram may have\. The HTML report \(the action's `html-report` output\) draws it\._$/,
        ),
      ]);
      expect(summary.indexOf(lines[0]!)).toBeGreaterThan(summary.indexOf('## '));
      expect(summary.indexOf(lines[0]!)).toBeLessThan(summary.indexOf('<table>'));
    });

    it('says so too when the diagram would take over a quarter of a small summary budget', () => {
      const block = renderMermaidTimeline(richReport());
      const summary = renderSummary(richReport(), { maxBytes: 4_000 });
      expect(Buffer.byteLength(block)).toBeGreaterThan(1_000);
      expect(summary).not.toContain('```mermaid');
      expect(summary).toContain(
        `_The timeline is left out: it is ${Buffer.byteLength(block).toLocaleString('en-US')} bytes, over the 1,000 kept for it in this summary.`,
      );
    });
  });

  describe('in the real Mermaid', () => {
    let browser: HeadlessChromium | undefined;
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'bw-gantt-'));
    });
    afterAll(async () => {
      await browser?.close();
      await rm(dir, { recursive: true, force: true });
    });

    itNeedingChromium(
      'parses and renders, with hostile names, local: hosts, a failure, gates and an 80-host stage',
      async () => {
        browser ??= await launchChromium();
        const { page, errors, outside } = await browser.newPage();
        await page.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
        await page.addScriptTag({ path: MERMAID });
        const text = mermaidSource(renderSummary(richReport()));
        const drawn = (await page.evaluate(`(${RENDER_IN_PAGE})(${JSON.stringify(text)})`)) as Drawn;
        // What a reader of the job summary sees, for a person to look at (BW_KEEP_SCREENSHOTS=DIR).
        const shot = join(dir, 'gantt.png');
        await page.setViewportSize({ width: 1280, height: 1400 });
        await page.screenshot({ path: shot, fullPage: true });
        const keep = process.env.BW_KEEP_SCREENSHOTS;
        if (keep) {
          await mkdir(keep, { recursive: true });
          await copyFile(shot, join(keep, 'gantt.png'));
        }
        expect(errors).toEqual([]);
        expect(outside).toEqual([]);
        expect(drawn.parsed).toBe(true);
        // 5 hostile + 4 gated jobs + 2 waves of the big stage + 1 way out; milestones: 2 gates, not started, skipped.
        expect(drawn.bars).toBe(5 + 4 + 2 + 1 + 4);
        expect(drawn.milestones).toBe(4);
        expect(drawn.crit).toBeGreaterThanOrEqual(2);
        // Every label, each name as typed (a name on two lines on one): no look-alike, no code.
        const shown = drawn.texts.map((t) => t.trim());
        const sections = [
          ...HOSTILE,
          'Gated: waves',
          'Eighty',
          'Notify: "on success"',
          'Roll back (on the way out, when: failure)',
        ].map((name, i) => `${i + 1}. ${name.replace(/\s+/g, ' ')}`);
        const labels = [
          ...HOSTILE.map((_, i) => `✔ local:h${i} (canary)`),
          '✔ local:canary (canary)',
          '✔ local:a',
          '✘ web-2.example.org:2222',
          '✔ <img src=x onerror=alert(1)>',
          '✔ gate after wave 1: success',
          '✘ gate after wave 2: failure',
          '– 1 host not started: gate after wave 2 failed: exit code 1',
          '✔ wave 1 (1 host)',
          '✔ wave 2 (79 hosts)',
          '– skipped: the release failed at stage "Gated: waves"',
          '✔ local:rb (canary)',
        ];
        const named = shown.filter((t) => t !== '' && !/^\d\d:\d\d$/.test(t)); // less the axis
        expect(named.sort()).toEqual([...sections, ...labels].sort());
      },
      60_000,
    );

    itNeedingChromium(
      'parses and renders 30 stages of 60 hosts drawn by their waves',
      async () => {
        browser ??= await launchChromium();
        const { page, errors, outside } = await browser.newPage();
        await page.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
        await page.addScriptTag({ path: MERMAID });
        const text = mermaidSource(renderSummary(wideReport(30, 60, 59)));
        const drawn = (await page.evaluate(`(${RENDER_IN_PAGE})(${JSON.stringify(text)})`)) as Drawn;
        expect(errors).toEqual([]);
        expect(outside).toEqual([]);
        expect(drawn.parsed).toBe(true);
        expect([drawn.bars, drawn.crit]).toEqual([60, 30]);
        expect(drawn.texts).toContain('✘ wave 2 (59 hosts, 1 failed) ');
        expect(drawn.texts).toContain('30. Stage 30: roll');
      },
      60_000,
    );
  });
});
