import { jest } from '@jest/globals';
import type { EngineEvent } from '../../src/engine/report/events.js';
import { ConsoleReporter } from '../../src/reporters/console.js';
import { job, stage } from '../support/report-fixtures.js';

function terminal(isTTY: boolean) {
  let text = '';
  return { out: { isTTY, write: (t: string) => (text += t) }, text: () => text };
}

const start: Extract<EngineEvent, { type: 'stage-start' }> = {
  type: 'stage-start',
  stage: 'Ship',
  index: 2,
  total: 3,
  hosts: ['web-1', 'web-10'],
  canary: 'web-1',
  when: 'success',
  gate: false,
  waves: [1, 1],
};

describe('ConsoleReporter', () => {
  it('tells a job and a stage stopped by a cancel in the same words as the GitHub log', () => {
    const t = terminal(false);
    const r = new ConsoleReporter(t.out);
    const cancelled = job('a', { result: 'cancelled', exitCode: null, error: 'cancelled' });
    const failed = job('b', { result: 'failure', exitCode: 3, error: 'timed out after 5s' });
    r.onEvent({ ...start, hosts: ['a', 'b'] });
    r.onEvent({ type: 'job-end', stage: 'Ship', job: cancelled });
    r.onEvent({ type: 'job-end', stage: 'Ship', job: failed });
    r.onEvent({
      type: 'stage-end',
      stage: stage('Stop', [cancelled], { result: 'failure' }),
      index: 1,
      total: 1,
    });
    expect(t.text().split('\n').slice(2)).toEqual([
      'a ⊘ cancelled · 1 attempt · 120 ms',
      'b ✘ failure: timed out after 5s · exit 3 · 1 attempt · 120 ms',
      '■ Stop: cancelled · 0 ok · 0 failed · 0 skipped · 1 cancelled · 900 ms',
      '',
    ]);
  });

  it('labels every output line with its host, padded to the widest host of the stage', () => {
    const t = terminal(false);
    const r = new ConsoleReporter(t.out);
    r.onEvent(start);
    r.onEvent({ type: 'output', stage: 'Ship', host: 'web-1', stream: 'stdout', line: 'hello' });
    r.onEvent({ type: 'output', stage: 'Ship', host: 'web-10', stream: 'stderr', line: 'oops' });
    expect(t.text()).toBe('\n▶ Stage 2/3 · Ship · 2 hosts · canary web-1\nweb-1  │ hello\nweb-10 │ oops\n');
  });

  it('on a terminal keeps a live progress line at the bottom and clears it before log lines', () => {
    const t = terminal(true);
    const r = new ConsoleReporter(t.out);
    r.onEvent(start);
    r.onEvent({ type: 'job-start', stage: 'Ship', host: 'web-1', attempt: 1 });
    expect(t.text().endsWith('… Ship · 0/2 done · 0 failed · 1 running')).toBe(true);
    r.onEvent({ type: 'output', stage: 'Ship', host: 'web-1', stream: 'stdout', line: 'x' });
    // the status line is erased, the log line printed, the status drawn again below it
    expect(t.text().endsWith('\r\x1b[2Kweb-1  │ x\n… Ship · 0/2 done · 0 failed · 1 running')).toBe(true);
  });

  it('a dry run says DRY RUN in its first and last lines', () => {
    const t = terminal(false);
    const r = new ConsoleReporter(t.out, false, { dryRun: true });
    r.onEvent({ type: 'run-start', runner: 'deploy', release: 'R1', startedAt: 'x', stageCount: 0 });
    r.onEvent({
      type: 'run-end',
      report: {
        version: 1,
        runner: 'deploy',
        release: 'R1',
        result: 'success',
        startedAt: 'x',
        durationMs: 5,
        stages: [],
      },
    });
    expect(t.text()).toBe(
      'boerewors · DRY RUN · runner deploy · release R1\n\nDRY RUN success (nothing was run) · runner deploy · 0 stages · 5 ms\n',
    );
  });

  it('when piped, prints the progress as a line every 10 s while a stage runs, so a silent stage shows life', () => {
    jest.useFakeTimers();
    try {
      const t = terminal(false);
      const r = new ConsoleReporter(t.out);
      r.onEvent(start);
      r.onEvent({ type: 'job-start', stage: 'Ship', host: 'web-1', attempt: 1 });
      const before = t.text();
      jest.advanceTimersByTime(9_999);
      expect(t.text()).toBe(before);
      jest.advanceTimersByTime(1);
      expect(t.text()).toBe(`${before}… Ship · 0/2 done · 0 failed · 1 running · 10.0 s\n`);
      jest.advanceTimersByTime(10_000);
      expect(t.text().endsWith('… Ship · 0/2 done · 0 failed · 1 running · 20.0 s\n')).toBe(true);
      r.onEvent({
        type: 'stage-end',
        stage: { name: 'Ship', result: 'success', canary: 'web-1', jobs: [], durationMs: 20_000 },
        index: 2,
        total: 3,
      });
      const ended = t.text();
      jest.advanceTimersByTime(60_000);
      expect(t.text()).toBe(ended);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('on a terminal the live status line is the progress: no periodic lines', () => {
    jest.useFakeTimers();
    try {
      const t = terminal(true);
      const r = new ConsoleReporter(t.out);
      r.onEvent(start);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('writes no control characters when not on a terminal', () => {
    const t = terminal(false);
    const r = new ConsoleReporter(t.out);
    r.onEvent(start);
    r.onEvent({ type: 'job-start', stage: 'Ship', host: 'web-1', attempt: 1 });
    expect(t.text().includes('\r') || t.text().includes('\x1b')).toBe(false);
  });
});
