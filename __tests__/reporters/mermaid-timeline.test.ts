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
import { richReport } from './timeline-fixtures.js';

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
        browser = await launchChromium();
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
