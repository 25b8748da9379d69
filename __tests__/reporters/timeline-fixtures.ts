/** Reports with start times, for the tests of the pictures (the summary's gantt, the HTML report). */
import type { RunReport } from '../../src/engine/report/report.js';
import { job, run, stage } from '../support/report-fixtures.js';

export const T0 = Date.parse('2026-11-28T01:00:00.000Z');

/** Output that would run if it were markup: it must show as text. */
export const HOSTILE_OUTPUT = [
  'deploying…',
  '<script>document.title = "pwned"</script>',
  '<img src="x.png" onerror="document.title = \'pwned\'">',
  '<link rel="stylesheet" href="https://example.invalid/x.css"> & done',
].join('\n');

export const HOSTILE = [
  'Deploy: "web" #1; 100%',
  '%% not a comment',
  'section fake',
  '{braces} `ticks` ``` <b>bold</b> \\ back',
  'title: click me\nsecond line',
];

/** A release with everything the picture draws: a canary, waves and gates, a failure, a skip. */
export function richReport(): RunReport {
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
        outputTail: HOSTILE_OUTPUT,
      }),
      job('<img src=x onerror=alert(1)>', { ...at(210), durationMs: 30 }),
      job('local:late', { result: 'skipped', attempts: 0, durationMs: 0, error: 'gate after wave 2 failed' }),
    ],
    {
      ...at(100),
      durationMs: 400,
      canary: 'local:canary',
      reason: 'gate after wave 2 failed: exit code 1',
      waves: [
        { index: 1, hosts: ['local:canary'], gate: gate(160) },
        {
          index: 2,
          hosts: ['local:a', 'web-2.example.org:2222', '<img src=x onerror=alert(1)>'],
          gate: gate(290, 'failure'),
        },
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

/**
 * `stages` stages of `hosts` hosts each (`local:s<stage>-h<host>`): the canary its own wave, then
 * waves of `perWave` hosts; the last host of each stage fails.
 */
export function wideReport(stages: number, hosts: number, perWave: number): RunReport {
  const list = Array.from({ length: stages }, (_, s) => {
    const t = s * 10_000;
    const names = Array.from({ length: hosts }, (_, i) => `local:s${s + 1}-h${i}`);
    const jobs = names.map((host, i) =>
      job(host, {
        startedAtMs: T0 + t + i * 50,
        durationMs: 40,
        ...(i === hosts - 1 ? { result: 'failure', exitCode: 1, error: 'exit code 1' } : {}),
      }),
    );
    const rest = names.slice(1);
    const waves = [{ index: 1, hosts: names.slice(0, 1), gate: null }];
    for (let i = 0; i < rest.length; i += perWave) {
      waves.push({ index: waves.length + 1, hosts: rest.slice(i, i + perWave), gate: null });
    }
    return stage(`Stage ${s + 1}: roll`, jobs, { startedAtMs: T0 + t, durationMs: hosts * 50, waves });
  });
  return run(list, { durationMs: stages * 10_000 });
}
