/**
 * The HTML report opened in a real headless Chromium: it renders with no console error, loads
 * nothing from anywhere, draws one bar per job that started, and shows hostile output as text.
 * A screenshot of each page is taken into the test's temp directory (set BW_KEEP_SCREENSHOTS=DIR
 * to keep a copy there: the temp directory itself is removed).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunReport } from '../../src/engine/report/report.js';
import { renderHtmlReport } from '../../src/reporters/html-report.js';
import { itNeedingChromium, launchChromium, type HeadlessChromium } from '../support/chromium.js';
import { job, run, stage } from '../support/report-fixtures.js';
import { HOSTILE_OUTPUT, richReport, T0 } from './timeline-fixtures.js';

let dir: string;
let browser: HeadlessChromium | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bw-html-'));
});
afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Seen {
  bars: number;
  /** Each bar's hover title (its `<title>` child), in order; '' for a bar without one. */
  titles: string[];
  gates: number;
  scripts: number;
  images: number;
  title: string;
  text: string;
  svgHeight: number;
  pages: number;
  openPages: number;
}

const LOOK = `(() => ({
  bars: document.querySelectorAll('svg.timeline rect.job').length,
  titles: [...document.querySelectorAll('svg.timeline rect.job')].map(
    (r) => r.querySelector(':scope > title')?.textContent ?? '',
  ),
  gates: document.querySelectorAll('svg.timeline polygon.gate').length,
  scripts: document.querySelectorAll('script').length,
  images: document.querySelectorAll('img').length,
  title: document.title,
  text: document.body.innerText,
  svgHeight: document.querySelector('svg.timeline')?.getBoundingClientRect().height ?? 0,
  pages: document.querySelectorAll('details.page').length,
  openPages: document.querySelectorAll('details.page[open]').length,
}))()`;

/** Writes the page, opens it, takes a screenshot; what the browser saw. */
async function open(name: string, html: string): Promise<Seen & { errors: string[]; outside: string[] }> {
  const file = join(dir, `${name}.html`);
  await writeFile(file, html);
  const url = pathToFileURL(file).href;
  browser ??= await launchChromium();
  const { page, errors, outside } = await browser.newPage(url);
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.goto(url, { waitUntil: 'load' });
  const seen = (await page.evaluate(LOOK)) as Seen;
  const shot = join(dir, `${name}.png`);
  await page.screenshot({ path: shot, fullPage: false });
  const keep = process.env.BW_KEEP_SCREENSHOTS;
  if (keep) {
    await mkdir(keep, { recursive: true });
    await copyFile(shot, join(keep, `${name}.png`));
  }
  await page.context().close();
  return { ...seen, errors, outside };
}

/** `hosts` hosts in each of `stages` stages, every tenth failing with 8 KiB of output. */
function bigReport(hosts: number, stages: number): RunReport {
  const tail = `${'x'.repeat(99)}\n`.repeat(82);
  const list = Array.from({ length: stages }, (_, s) => {
    const t = s * 60_000;
    const jobs = Array.from({ length: hosts }, (_, i) =>
      job(`web-${i}.example.org`, {
        startedAtMs: T0 + t + (i === 0 ? 0 : 2000 + Math.floor((i - 1) / 20) * 500),
        durationMs: 480,
        ...(i % 10 === 9
          ? { result: 'failure' as const, exitCode: 1, error: 'exit code 1', outputTail: tail }
          : {}),
      }),
    );
    return stage(`Stage ${s + 1}`, jobs, {
      startedAtMs: T0 + t,
      durationMs: 30_000,
      result: 'success',
      waves: [
        { index: 1, hosts: [jobs[0]?.host ?? ''], gate: null },
        { index: 2, hosts: jobs.slice(1).map((j) => j.host), gate: null },
      ],
    });
  });
  return run(list, { durationMs: stages * 60_000, result: 'failure' });
}

describe('the HTML report in a real browser', () => {
  itNeedingChromium(
    'renders with no console error and no request, a bar per job, hostile output as text',
    async () => {
      const report = richReport();
      const seen = await open('rich', renderHtmlReport(report));
      expect(seen.errors).toEqual([]);
      expect(seen.outside).toEqual([]);
      const started = report.stages.flatMap((s) => s.jobs).filter((j) => j.startedAtMs !== undefined);
      expect(seen.bars).toBe(started.length);
      // A hover title per bar: the host as typed (the canary marked), its result, wave, times, error.
      const canaries = new Set(report.stages.map((s) => s.canary));
      expect(seen.titles.map((t) => t.split(' · ')[0]).sort()).toEqual(
        started.map((j) => `${j.host}${canaries.has(j.host) ? ' (canary)' : ''}`).sort(),
      );
      expect(seen.titles).toContain(
        'web-2.example.org:2222 · failure · wave 2 · +0.2 s → +0.3 s (80 ms) · exit code 3',
      );
      expect(seen.gates).toBe(2);
      expect(seen.scripts).toBe(0);
      expect(seen.images).toBe(0);
      expect(seen.title).not.toContain('pwned');
      for (const line of HOSTILE_OUTPUT.split('\n')) expect(seen.text).toContain(line);
      expect(seen.text).toContain('<img src=x onerror=alert(1)>');
      expect(seen.text).toContain('Deploy: "web" #1; 100%');
      expect(seen.text).toContain('on the way out, when: failure');
      expect(seen.text).toContain('the release failed at stage "Gated: waves"');
    },
    60_000,
  );

  itNeedingChromium(
    'stays usable at 1,000 hosts: under 5 MB, a bounded timeline, the hosts table folded in pages',
    async () => {
      const report = bigReport(1000, 3);
      const html = renderHtmlReport(report);
      expect(Buffer.byteLength(html)).toBeLessThan(5 * 1024 * 1024);
      const seen = await open('thousand', html);
      expect(seen.errors).toEqual([]);
      expect(seen.outside).toEqual([]);
      expect(seen.bars).toBe(3000);
      expect(
        seen.titles.filter((t) => !/^web-\d+\.example\.org( \(canary\))? · (success|failure) · /.test(t)),
      ).toEqual([]);
      // Packed into lanes (a canary, then 20 at a time): three stages in well under 1,000 px.
      expect(seen.svgHeight).toBeLessThan(1000);
      expect(seen.pages).toBe(30);
      expect(seen.openPages).toBe(3);
      expect(seen.text).toContain('Failed hosts (300)');
    },
    120_000,
  );
});

describe('the HTML report as text', () => {
  it('escapes every name and output, and loads nothing (a CSP of default-src none, no script)', () => {
    const html = renderHtmlReport(richReport());
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(html).not.toMatch(/<script|<img|<link|@import|url\(/i);
    expect(html).toContain('&lt;script&gt;document.title = &quot;pwned&quot;&lt;/script&gt;');
  });

  it('says there is no timeline for a report without start times', () => {
    const html = renderHtmlReport(run([stage('Old', [job('web-1')])]));
    expect(html).toContain('no timeline');
    expect(html).not.toContain('<svg');
  });
});
