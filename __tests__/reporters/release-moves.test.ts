import type { JobReport, StageReport } from '../../src/engine/report/report.js';
import { parseReleaseMove } from '../../src/engine/report/release-move.js';
import { liveNowText, moveText } from '../../src/reporters/vocabulary.js';

const job = (host: string, over: Partial<JobReport> = {}): JobReport => ({
  host,
  result: 'success',
  attempts: 1,
  durationMs: 1,
  exitCode: 0,
  error: null,
  outputTail: '',
  ...over,
});
const stage = (name: string, jobs: JobReport[]): StageReport => ({
  name,
  result: 'success',
  canary: null,
  jobs,
  durationMs: 1,
});
const moved = (action: 'switch' | 'rollback' | 'undo', before: string | null, after: string | null) => ({
  release: { action, before, after },
});

describe('what the release steps moved', () => {
  it('reads the line the host scripts print, and nothing else', () => {
    expect(parseReleaseMove('bw-release: undo R2 R1')).toEqual({ action: 'undo', before: 'R2', after: 'R1' });
    expect(parseReleaseMove('bw-release: switch - R1')).toEqual({
      action: 'switch',
      before: null,
      after: 'R1',
    });
    expect(parseReleaseMove('echo bw-release: undo R2 R1')).toBeNull();
    // A line that claims to be one and is not: an error (the job fails), never a move.
    expect(parseReleaseMove('bw-release: prune R2 R1')).toHaveProperty('problem');
    expect(parseReleaseMove('bw-release: undo .. R1')).toHaveProperty('problem');
  });

  it('says each move in words', () => {
    expect(moveText({ action: 'undo', before: 'R2', after: 'R1' })).toBe('R2 → R1');
    expect(moveText({ action: 'switch', before: null, after: 'R1' })).toBe('no release → R1');
    expect(moveText({ action: 'undo', before: 'R1', after: 'R1' })).toBe('nothing to undo (R1 live)');
    expect(moveText({ action: 'rollback', before: 'R1', after: 'R1' })).toBe('nothing rolled back (R1 live)');
    expect(moveText({ action: 'switch', before: 'R2', after: 'R2' })).toBe('R2 already live');
  });

  it('counts where the run left each host: the last move wins, hosts without one are unknown', () => {
    const report = {
      stages: [
        stage('Switch', [
          job('a', moved('switch', 'R1', 'R2')),
          job('b', moved('switch', 'R1', 'R2')),
          job('c', { result: 'skipped' }),
          job('d', moved('switch', 'R1', 'R2')),
        ]),
        stage('Undo', [
          job('a', moved('undo', 'R2', 'R1')),
          job('d', { result: 'unknown', error: 'not known' }),
        ]),
      ],
    };
    expect(liveNowText(report)).toBe('now live: R1 on 1 host, R2 on 1 host, unknown on 2 hosts');
    expect(liveNowText({ stages: [stage('Ship', [job('a')])] })).toBeNull();
  });
});
