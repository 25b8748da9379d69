/**
 * What the reporters make of verify, gates, waves and the stages on the way out: a real engine run
 * (fake transport) feeds the console and GitHub log reporters, and its report the summary and the
 * JSON report.
 */
import { Redactor } from '../../src/pipeline/secrets.js';
import { local, remote } from '../../src/engine/model/subtask.js';
import { ConsoleReporter } from '../../src/reporters/console.js';
import { stageAnnotations } from '../../src/reporters/github-annotations.js';
import { renderSummary } from '../../src/reporters/github-summary.js';
import { toJsonReport } from '../../src/reporters/json.js';
import { PartialReport } from '../../src/reporters/partial-report.js';
import { hosts, run, stage } from '../engine/harness.js';
import type { FakeScript } from '../support/fake-transport.js';

/** Ship (verify, gate, batches) whose gate fails after wave 2; Smoke skipped; Undo and Notify on the way out. */
async function failedRelease(script?: FakeScript) {
  let text = '';
  const console = new ConsoleReporter({ write: (t: string) => (text += t) });
  const partial = new PartialReport('deploy');
  const checks = new Map<string, number>();
  const outcome = await run(
    [
      stage({
        name: 'Ship',
        hosts: hosts(5),
        batch: [2],
        verify: { check: remote('check'), timeoutMs: 5_000, intervalMs: 10 },
        gate: { check: local('gate') },
      }),
      stage({ name: 'Smoke', hosts: hosts(5) }),
      stage({ name: 'Undo', hosts: hosts(2), when: 'failure', canary: false, script: 'undo' }),
      stage({ name: 'Notify', hosts: hosts(1, 'chat'), when: 'always', script: 'notify' }),
    ],
    {
      onEvent: (e) => {
        console.onEvent(e);
        partial.onEvent(e);
      },
      script:
        script ??
        ((c) => {
          if (c.script === 'check') {
            const n = (checks.get(c.host) ?? 0) + 1;
            checks.set(c.host, n);
            return { exitCode: c.host === 'web-1' && n < 3 ? 7 : 0 };
          }
          if (c.script === 'gate')
            return c.env.BW_WAVE === '2' ? { exitCode: 1, lines: ['error rate 4%'] } : {};
          if (c.script === 'undo' && c.host === 'web-2') return { exitCode: 5 };
          return {};
        }),
    },
  );
  return { ...outcome, text, partial };
}

describe('reporting verify, gates and the way out', () => {
  it('the console log: verify retries, waves with their gates, skipped stages with why, the way out', async () => {
    const { text } = await failedRelease();
    const lines = text.split('\n');
    expect(lines).toContain('web-1 » verify: check');
    expect(lines).toContain('web-1 ↻ verify: exit code 7 — attempt 2 in 10 ms');
    expect(lines).toContainEqual(
      expect.stringMatching(/^web-1 ✔ success · 1 attempt · verified \(3 attempts\) · \d+ ms$/),
    );
    expect(lines).toContain('controller » gate: gate');
    expect(lines).toContainEqual(expect.stringMatching(/^≡ wave 1\/3 · web-1 · gate ✔ passed · \d+ ms$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^≡ wave 2\/3 · 2 hosts · gate ✘ failed: exit code 1 · \d+ ms$/),
    );
    expect(lines).toContain('■ Smoke: skipped · the release failed at stage "Ship"');
    expect(lines).toContain('▶ Stage 3/4 · Undo · 2 hosts · when: failure');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^■ Undo \(when: failure\): failure \(a warning only: the result stands\) · 1 ok · 1 failed/,
      ),
    );
    expect(lines).toContain(
      'warning: stage "Undo" (when: failure) failed, which does not change the result: 1 of 2 jobs failed (max-failures 0): web-2',
    );
    expect(lines).toContain('stage "Ship" failed: gate after wave 2 failed: exit code 1');
  });

  it('a stage of two waves and no gate shows no wave lines, as before', async () => {
    let text = '';
    const console = new ConsoleReporter({ write: (t: string) => (text += t) });
    await run([stage({ name: 'Ship', hosts: hosts(3) })], { onEvent: console.onEvent });
    expect(text).not.toContain('≡');
  });

  it('the job summary: the way-out stage marked, the waves table, a verify column, the failed gate’s output, the warnings', async () => {
    const { report } = await failedRelease();
    const md = renderSummary(report);
    expect(md).toMatch(/^## ❌ Release failed/);
    expect(md).toContain('> stage &quot;Ship&quot; failed: gate after wave 2 failed: exit code 1');
    expect(md).toContain(
      '> ⚠️ stage &quot;Undo&quot; (when: failure) failed, which does not change the result: 1 of 2 jobs failed (max-failures 0): web-2',
    );
    expect(md).toContain('<tr><th>Wave</th><th>Hosts</th><th>Gate</th></tr>');
    expect(md).toMatch(
      /<tr><td>2<\/td><td>web-2, web-3<\/td><td>❌ failed: exit code 1 · \d+ ms<\/td><\/tr>/,
    );
    expect(md).toMatch(/<tr><td>1<\/td><td>web-1<\/td><td>✅ passed · \d+ ms<\/td><\/tr>/);
    expect(md).toContain('<tr><th>Host</th><th>Result</th><th>Attempts</th><th>Verify</th><th>Duration</th>');
    expect(md).toMatch(
      /<td>web-1 <sub>canary<\/sub><\/td><td>✅ success<\/td><td>1<\/td><td>✅ 3 attempts · \d+ ms<\/td>/,
    );
    expect(md).toContain('<td>web-4</td><td>⏭️ skipped</td><td>0</td><td>—</td>');
    expect(md).toMatch(
      /<summary>❌ <b>gate after wave 2<\/b> · 1 attempt · \d+ ms · exit code 1<\/summary>\n\n<pre>error rate 4%<\/pre>/,
    );
    expect(md).toContain('### 2. Smoke · ⏭️ skipped\n');
    expect(md).toContain('_Skipped: the release failed at stage &quot;Ship&quot;._');
    expect(md).toContain('### 3. Undo (when: failure) · ⚠️ failure (a warning only: the result stands)');
    expect(md).toContain('<td>4</td><td>Notify (when: always)</td><td>✅ success</td>');
  });

  it('the JSON report: when per stage, waves with their gates, verify per job, the warnings', async () => {
    const { report } = await failedRelease();
    const json = toJsonReport(report);
    expect(json.warnings).toEqual([
      'stage "Undo" (when: failure) failed, which does not change the result: 1 of 2 jobs failed (max-failures 0): web-2',
    ]);
    expect(json.stages.map((s) => [s.name, s.result, s.when])).toEqual([
      ['Ship', 'failure', 'success'],
      ['Smoke', 'skipped', 'success'],
      ['Undo', 'failure', 'failure'],
      ['Notify', 'success', 'always'],
    ]);
    const ship = json.stages[0]!;
    expect(ship.waves.map((w) => [w.index, w.hosts, w.gate?.result, w.gate?.exitCode])).toEqual([
      [1, ['web-1'], 'success', 0],
      [2, ['web-2', 'web-3'], 'failure', 1],
    ]);
    expect(Object.keys(ship.waves[1]!.gate!)).toEqual([
      'result',
      'durationMs',
      'startMs',
      'exitCode',
      'error',
    ]);
    // The gate ran after its wave's jobs: its start is no earlier than theirs.
    const wave2 = ship.jobs.filter((j) => ship.waves[1]!.hosts.includes(j.host));
    expect(ship.waves[1]!.gate!.startMs).toBeGreaterThanOrEqual(
      Math.max(...wave2.map((j) => j.startMs ?? Infinity)),
    );
    expect(ship.jobs.map((j) => [j.host, j.result, j.verify?.result, j.verify?.attempts])).toEqual([
      ['web-1', 'success', 'success', 3],
      ['web-2', 'success', 'success', 1],
      ['web-3', 'success', 'success', 1],
      ['web-4', 'skipped', undefined, undefined],
      ['web-5', 'skipped', undefined, undefined],
    ]);
    expect(ship.jobs[3]!.verify).toBeNull();
    expect(json.stages[1]).toMatchObject({ waves: [], jobs: [] });
  });

  it('annotations: an error for the failed gate; a warning for a host that failed on the way out', async () => {
    const { report } = await failedRelease();
    expect(stageAnnotations(report.stages[0]!)).toEqual([
      { level: 'error', title: 'gate after wave 2 failed · Ship', message: 'exit code 1\n│ error rate 4%' },
    ]);
    expect(stageAnnotations(report.stages[2]!).map((a) => [a.level, a.title])).toEqual([
      ['warning', 'web-2 failed · Undo (a warning only: the result stands)'],
    ]);
  });

  it('the partial report (a cancelled run reported from its events) keeps the waves and warnings', async () => {
    const { partial, report, events } = await failedRelease();
    // As if the engine had not returned: rebuilt from every event but the final report.
    const rebuilt = new PartialReport('deploy');
    for (const e of events) if (e.type !== 'run-end') rebuilt.onEvent(e);
    const snap = rebuilt.snapshot('cancelled by SIGINT');
    expect(snap.stages.map((s) => s.name)).toEqual(['Ship', 'Smoke', 'Undo', 'Notify']);
    expect(snap.stages[0]!.waves!.map((w) => w.gate?.result)).toEqual(['success', 'failure']);
    expect(snap.warnings).toEqual(report.warnings);
    expect(partial.snapshot('x')).toBe(partial.snapshot('y')); // after run-end: the engine's own report
  });

  it('the redactor removes secrets from gate errors and output, stage reasons and warnings', async () => {
    const secret = 's3cr3t-token-value';
    const { report } = await failedRelease((c) => {
      if (c.script === 'gate') return { reject: new Error(`bad ${secret}`), lines: [`token=${secret}`] };
      return {};
    });
    const withWarning = { ...report, warnings: [`a warning about ${secret}`] };
    expect(report.stages[0]!.reason).toBe(`gate after wave 1 failed: bad ${secret}`);
    const redacted = new Redactor([secret]).report(withWarning);
    const gate = redacted.stages[0]!.waves![0]!.gate!;
    expect(gate).toMatchObject({ error: 'bad ***', outputTail: 'token=***' });
    expect(redacted.stages[0]!.reason).toBe('gate after wave 1 failed: bad ***');
    expect(redacted.warnings).toEqual(['a warning about ***']);
    expect(JSON.stringify(redacted)).not.toContain(secret);
  });
});
