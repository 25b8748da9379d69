/**
 * The HTML report from the CLI, as a child process on `local:` hosts: `run --html FILE` and
 * `report html REPORT.json [-o FILE]`, the page opened in a real headless Chromium.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli, tempDir } from '../support/cli.js';
import { itNeedingChromium, launchChromium } from '../support/chromium.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('bw-cli-html-');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CONFIG = `version: 1
hosts:
  web: [local:a, local:b, local:c, local:d]
runners:
  deploy:
    stages:
      - name: 'Ship: <b>"all"</b>'
        hosts: [web]
        canary: true
        batch: [2]
        max-failures: 1
        gate: { local: 'echo gate for wave $BW_WAVE', soak: 0s }
        steps:
          - run: |
              echo "shipping to $BW_HOST"
              if [ "$BW_HOST" = local:c ]; then
                echo '<script>document.title="pwned"</script><img src=x onerror="document.title=1">' >&2
                exit 3
              fi
`;

const bars = (html: string): number => (html.match(/<rect class="job /g) ?? []).length;

describe('boerewors and the HTML report', () => {
  it('run --html writes the page; report html draws it again from the JSON report', async () => {
    const cfg = join(dir, 'release.yml');
    await writeFile(cfg, CONFIG);
    const report = join(dir, 'out/report.json');
    const page = join(dir, 'out/run.html');
    const r = await runCli(['run', '-c', cfg, '--report', report, '--html', page]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0); // one failure, within max-failures
    const json = JSON.parse(readFileSync(report, 'utf8'));
    const jobs = json.stages[0].jobs as { host: string; startMs?: number }[];
    expect(jobs.every((j) => typeof j.startMs === 'number')).toBe(true);
    expect(
      json.stages[0].waves.every((w: { gate: { startMs?: number } }) => typeof w.gate.startMs === 'number'),
    ).toBe(true);

    const fromRun = readFileSync(page, 'utf8');
    expect(bars(fromRun)).toBe(4);
    expect(fromRun).toContain('&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;');
    expect(fromRun).not.toMatch(/<script|<img/);

    const beside = await runCli(['report', 'html', report]);
    expect(beside.stderr).toBe('');
    expect(beside.code).toBe(0);
    expect(beside.stdout.trim()).toBe(join(dir, 'out/report.html'));
    expect(bars(readFileSync(join(dir, 'out/report.html'), 'utf8'))).toBe(4);

    const named = await runCli(['report', 'html', report, '-o', join(dir, 'elsewhere/page.html')]);
    expect(named.code).toBe(0);
    expect(existsSync(join(dir, 'elsewhere/page.html'))).toBe(true);
  });

  it('report html: a missing or broken report is a usage error naming the file (exit 2)', async () => {
    const missing = await runCli(['report', 'html', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${join(dir, 'nope.json')}: cannot read it`);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"version": 1, "runner": 3}');
    const bad = await runCli(['report', 'html', broken]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${broken}: runner: expected a string`);
    const none = await runCli(['report', 'html']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('report html: expected the JSON report to draw');
    const stray = await runCli(['report', 'html', broken, '--limit', '2']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--limit is not an option of "report html"');
  });

  itNeedingChromium(
    'the page from a real run opens in Chromium: no error, no request, a bar per job, output as text',
    async () => {
      const page = join(dir, 'out/run.html');
      const url = pathToFileURL(page).href;
      const browser = await launchChromium();
      try {
        const { page: tab, errors, outside } = await browser.newPage(url);
        await tab.goto(url, { waitUntil: 'load' });
        const seen = (await tab.evaluate(`({
          bars: document.querySelectorAll('svg.timeline rect.job').length,
          gates: document.querySelectorAll('svg.timeline polygon.gate').length,
          title: document.title,
          text: document.body.innerText,
        })`)) as { bars: number; gates: number; title: string; text: string };
        expect(errors).toEqual([]);
        expect(outside).toEqual([]);
        expect(seen.bars).toBe(4);
        expect(seen.gates).toBe(3);
        expect(seen.title).not.toContain('pwned');
        expect(seen.text).toContain('<script>document.title="pwned"</script>');
        expect(seen.text).toContain('Ship: <b>"all"</b>');
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
