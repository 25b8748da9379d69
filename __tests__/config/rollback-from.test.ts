import { parseCurrentLive, parseRolledBackInRun } from '../../src/steps/release-dir-scripts.js';
import { rollbackFrom } from '../../src/config/rollback-from.js';
import { job, stage } from '../support/report-fixtures.js';

const read = (host: string, line: string) =>
  job(host, { outputTail: `$ release: rollback: read current\n${line}\n` });

describe('which release a rollback rolls back', () => {
  it('is the newest release that went live on any host, by when it first went live', () => {
    const previous = [
      stage('Other', [
        job('web-1', { outputTail: 'current releases/zz first went live at 2099-01-01T00:00:00Z' }),
      ]),
      stage('Rollback: find the release to roll back', [
        read('web-1', 'current releases/r2 first went live at 2026-12-06T10:00:02.000Z'),
        read('web-2', 'current releases/r1 first went live at 2026-12-06T09:00:00.000Z'),
        read('web-3', 'current releases/r2 first went live at 2026-12-06T10:00:01.000Z'),
      ]),
    ];
    expect(rollbackFrom(previous, 'Rollback: find the release to roll back')).toBe('r2');
  });

  it('is the release this run already rolled back on some host (another part), wherever the hosts are now', () => {
    const previous = [
      stage('Read', [
        read('web-1', 'current releases/r1 first went live at 2026-12-06T09:00:00.000Z'),
        job('web-2', {
          outputTail:
            'this run rolled back releases/r2 at 2026-12-06T11:00:00.000Z\ncurrent releases/r1 first went live at 2026-12-06T09:00:00.000Z\n',
        }),
        job('web-3', {
          outputTail:
            'this run rolled back releases/r1 at 2026-12-06T10:00:00.000Z\ncurrent releases/r0 first went live at 2026-12-06T08:00:00.000Z\n',
        }),
      ]),
    ];
    expect(rollbackFrom(previous, 'Read')).toBe('r2');
    expect(parseRolledBackInRun('this run rolled back releases/a$(x) at t')).toBeNull();
  });

  it('is unknown when no host has a release that went live (each host then goes back from its own)', () => {
    const previous = [
      stage('Read', [
        read('web-1', '/srv/app/current does not point into /srv/app/releases'),
        read('web-2', 'current releases/hand-made first went live at never'),
      ]),
    ];
    expect(rollbackFrom(previous, 'Read')).toBeUndefined();
    expect(rollbackFrom([], 'Read')).toBeUndefined();
  });

  it('reads only its own line, never an id with characters a release id cannot hold', () => {
    expect(parseCurrentLive('current releases/a$(x) first went live at never')).toBeNull();
    expect(parseCurrentLive('x\ncurrent releases/r-1.2_3 first went live at never\n')).toEqual({
      id: 'r-1.2_3',
      time: 'never',
    });
  });
});
