import { jest } from '@jest/globals';
import type { EngineEvent } from '../../src/engine/report/events.js';
import { GitHubLogReporter, type GitHubLog } from '../../src/reporters/github-log.js';
import { job, run, stage } from '../support/report-fixtures.js';

/** Records what the reporter writes, as the runner would show it. */
class RecordingLog implements GitHubLog {
  readonly lines: string[] = [];
  info(message: string): void {
    this.lines.push(...message.split('\n'));
  }
  startGroup(name: string): void {
    this.lines.push(`::group::${name}`);
  }
  endGroup(): void {
    this.lines.push('::endgroup::');
  }
  warning(message: string, p?: { title?: string }): void {
    this.lines.push(`::warning title=${p?.title ?? ''}::${message.replace(/\n/g, '%0A')}`);
  }
  error(message: string, p?: { title?: string }): void {
    this.lines.push(`::error title=${p?.title ?? ''}::${message.replace(/\n/g, '%0A')}`);
  }
}

const start = (name: string, hosts: string[], index = 1): EngineEvent => ({
  type: 'stage-start',
  stage: name,
  index,
  total: 2,
  hosts,
  canary: hosts[0] ?? null,
  when: 'success',
  gate: false,
  waves: hosts.length > 1 ? [1, hosts.length - 1] : [1],
});

describe('GitHubLogReporter', () => {
  it('writes one group per stage with host-labelled lines, then the result and annotations', () => {
    const log = new RecordingLog();
    const r = new GitHubLogReporter(log);
    const failed = job('web-10', {
      result: 'failure',
      exitCode: 2,
      error: 'exit code 2',
      outputTail: 'a\nb\nno space left\n',
    });
    const ship = stage('Ship', [job('web-1'), failed]);
    const events: EngineEvent[] = [
      {
        type: 'run-start',
        runner: 'deploy',
        release: 'R1',
        startedAt: '2026-11-28T01:00:00Z',
        stageCount: 2,
      },
      start('Ship', ['web-1', 'web-10']),
      { type: 'job-start', stage: 'Ship', host: 'web-1', attempt: 1 },
      { type: 'step-start', stage: 'Ship', host: 'web-1', label: 'run: ./deploy.sh' },
      { type: 'output', stage: 'Ship', host: 'web-1', stream: 'stdout', line: 'deployed' },
      { type: 'output', stage: 'Ship', host: 'web-10', stream: 'stderr', line: 'no space left' },
      { type: 'job-retry', stage: 'Ship', host: 'web-10', attempt: 1, error: 'exit code 2', delayMs: 2000 },
      { type: 'job-start', stage: 'Ship', host: 'web-10', attempt: 2 },
      { type: 'job-end', stage: 'Ship', job: job('web-1') },
      { type: 'job-end', stage: 'Ship', job: failed },
      { type: 'stage-end', stage: ship, index: 1, total: 2 },
      { type: 'run-end', report: run([ship], { reason: 'stage "Ship" failed' }) },
    ];
    events.forEach(r.onEvent);
    expect(log.lines).toEqual([
      'boerewors · runner deploy · release R1',
      '::group::Stage 1/2 · Ship · 2 hosts · canary web-1',
      'web-1  » run: ./deploy.sh',
      'web-1  │ deployed',
      'web-10 │ no space left',
      'web-10 ↻ exit code 2 — attempt 2 in 2.0 s',
      'web-10 ● attempt 2',
      'web-1  ✔ success · 1 attempt · 120 ms',
      'web-10 ✘ failure: exit code 2 · 1 attempt · 120 ms',
      '::endgroup::',
      '■ Ship: failure · 1 ok · 1 failed · 0 skipped · 900 ms',
      '::error title=web-10 failed · Ship::exit code 2 · 1 attempt%0A│ a%0A│ b%0A│ no space left',
      'Release failure · runner deploy · 4.2 s',
    ]);
  });

  it('a dry run says DRY RUN in its first and last lines', () => {
    const log = new RecordingLog();
    const r = new GitHubLogReporter(log, { dryRun: true });
    r.onEvent({ type: 'run-start', runner: 'deploy', release: 'R1', startedAt: 'x', stageCount: 1 });
    r.onEvent({ type: 'run-end', report: run([stage('Ship', [job('web-1')])]) });
    expect(log.lines[0]).toBe('boerewors · DRY RUN · runner deploy · release R1');
    expect(log.lines.at(-1)).toBe('DRY RUN success (nothing was run) · runner deploy · 4.2 s');
  });

  it('labels every physical line, so host output cannot issue workflow commands', () => {
    const log = new RecordingLog();
    const r = new GitHubLogReporter(log);
    r.onEvent(start('S', ['h']));
    r.onEvent({ type: 'output', stage: 'S', host: 'h', stream: 'stdout', line: '::error::pwned' });
    r.onEvent({ type: 'step-start', stage: 'S', host: 'h', label: 'x\n::endgroup::\r::warning::y' });
    expect(log.lines.slice(1)).toEqual([
      'h │ ::error::pwned',
      'h » x',
      'h » ::endgroup::',
      'h » ::warning::y',
    ]);
    for (const line of log.lines.slice(1)) expect(line.trimStart().startsWith('::')).toBe(false);
  });

  it('warns for tolerated failures and transport warnings (once each)', () => {
    const log = new RecordingLog();
    const r = new GitHubLogReporter(log);
    const prune = stage('Prune', [job('a', { result: 'failure', exitCode: 1, error: 'exit code 1' })], {
      tolerated: true,
    });
    const budget = stage(
      'Ship',
      [job('b'), job('c', { result: 'failure', exitCode: null, error: 'timed out after 10 s' })],
      { result: 'success' },
    );
    const warn: EngineEvent = {
      type: 'warning',
      message: 'host-key-checking is off: host keys are not verified',
    };
    [warn, warn, { type: 'stage-end', stage: prune, index: 1, total: 2 } as EngineEvent].forEach(r.onEvent);
    r.onEvent({ type: 'stage-end', stage: budget, index: 2, total: 2 });
    expect(log.lines.filter((l) => l.startsWith('::'))).toEqual([
      '::warning title=boerewors::host-key-checking is off: host keys are not verified',
      '::warning title=a failed · Prune (tolerated: can-fail)::exit code 1 · 1 attempt',
      '::warning title=c failed · Ship (tolerated: within max-failures)::timed out after 10 s · 1 attempt',
    ]);
  });

  it('says a stage stopped by a cancel was cancelled, not failed', () => {
    const log = new RecordingLog();
    const r = new GitHubLogReporter(log);
    const cancelled = job('a', { result: 'cancelled', exitCode: null, error: 'cancelled' });
    r.onEvent(start('Long', ['a']));
    r.onEvent({ type: 'job-end', stage: 'Long', job: cancelled });
    r.onEvent({
      type: 'stage-end',
      stage: stage('Long', [cancelled], { result: 'failure' }),
      index: 1,
      total: 1,
    });
    expect(log.lines.slice(1)).toEqual([
      'a ⊘ cancelled · 1 attempt · 120 ms',
      '::endgroup::',
      '■ Long: cancelled · 0 ok · 0 failed · 0 skipped · 1 cancelled · 900 ms',
    ]);
  });

  it('sends at most 8 error annotations, then one that counts the rest', () => {
    const log = new RecordingLog();
    const r = new GitHubLogReporter(log);
    const jobs = Array.from({ length: 30 }, (_, i) => job(`h${i}`, { result: 'failure', error: 'boom' }));
    r.onEvent({ type: 'stage-end', stage: stage('S', jobs), index: 1, total: 1 });
    r.close();
    const errors = log.lines.filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(9);
    expect(errors[8]).toMatch(/^::error title=22 more hosts failed::/);
  });

  it('prints a progress line every interval while a stage runs, and stops', () => {
    jest.useFakeTimers();
    try {
      let now = 0;
      const log = new RecordingLog();
      const r = new GitHubLogReporter(log, { progressIntervalMs: 5000, now: () => now });
      r.onEvent(start('Ship', ['a', 'b', 'c']));
      r.onEvent({ type: 'job-start', stage: 'Ship', host: 'a', attempt: 1 });
      r.onEvent({ type: 'job-end', stage: 'Ship', job: job('a') });
      r.onEvent({ type: 'job-start', stage: 'Ship', host: 'b', attempt: 1 });
      r.onEvent({ type: 'job-start', stage: 'Ship', host: 'c', attempt: 1 });
      now = 5000;
      jest.advanceTimersByTime(5000);
      expect(log.lines.at(-1)).toBe('… Ship · 1/3 done · 0 failed · 2 running · 5.0 s');
      r.onEvent({
        type: 'stage-end',
        stage: stage('Ship', [job('a'), job('b'), job('c')]),
        index: 1,
        total: 1,
      });
      const count = log.lines.length;
      jest.advanceTimersByTime(60_000);
      expect(log.lines).toHaveLength(count);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
