/**
 * A real headless Chromium for the tests that look at what a browser makes of our output (the HTML
 * report, the summary's Mermaid): the machine's own browser, driven by playwright-core (which never
 * downloads one). Found as $BW_CHROMIUM, else `chromium`, `google-chrome`, `google-chrome-stable` or
 * `chromium-browser` on PATH (Debian's package; Chrome on GitHub's runners). With
 * BW_REQUIRE_CHROMIUM=1 (CI) a missing browser fails the tests that need it instead of skipping them.
 *
 * Every page is watched: its console errors, uncaught page errors, and each request it makes to
 * anything but the page itself (`file:` of the page, `data:`, `about:`), which is refused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

const NAMES = ['chromium', 'google-chrome', 'google-chrome-stable', 'chromium-browser'];

export function findChromium(): string | undefined {
  const given = process.env.BW_CHROMIUM;
  if (given) return existsSync(given) ? given : undefined;
  for (const name of NAMES) {
    try {
      const path = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (path) return path;
    } catch {
      // not this one
    }
  }
  return undefined;
}

export const CHROMIUM = findChromium();

/** `it` when a browser is here; else a visibly skipped test, or a failing one with BW_REQUIRE_CHROMIUM=1. */
export function itNeedingChromium(name: string, fn: () => Promise<void>, timeout?: number): void {
  if (CHROMIUM) return it(name, fn, timeout);
  if (process.env.BW_REQUIRE_CHROMIUM === '1') {
    return it(name, () => {
      throw new Error('no Chromium found (install Debian\'s "chromium", or set BW_CHROMIUM)');
    });
  }
  return it.skip(`${name} [skipped: no Chromium on this machine]`, fn, timeout);
}

export interface WatchedPage {
  page: Page;
  /** Console messages of type error, and uncaught errors. */
  errors: string[];
  /** Every URL the page requested but `own` (the page's file) and `data:`/`about:` ones. */
  outside: string[];
}

export interface HeadlessChromium {
  browser: Browser;
  /** A page whose own URL is `own` (if any): requests elsewhere are recorded and refused. */
  newPage(own?: string): Promise<WatchedPage>;
  close(): Promise<void>;
}

/** Playwright keeps the profile in a temp directory of its own and removes it on close. */
export async function launchChromium(): Promise<HeadlessChromium> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    browser,
    async newPage(own) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const watched: WatchedPage = { page, errors: [], outside: [] };
      const isOwn = (url: string): boolean => url === own || /^(data|about|blob):/.test(url);
      page.on('console', (m) => {
        if (m.type() === 'error') watched.errors.push(m.text());
      });
      page.on('pageerror', (e) => watched.errors.push(String(e)));
      page.on('request', (r) => {
        if (!isOwn(r.url())) watched.outside.push(r.url());
      });
      await context.route('**/*', (route) =>
        isOwn(route.request().url()) ? route.continue() : route.abort(),
      );
      return watched;
    },
    async close() {
      await browser.close();
    },
  };
}
