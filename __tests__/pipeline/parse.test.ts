import { UsageError } from '../../src/contract/errors.js';
import {
  parseBoolean,
  parseList,
  parsePositiveInteger,
  parseShard,
  parseVarAssignment,
} from '../../src/pipeline/parse.js';
import type { SettingSource } from '../../src/pipeline/settings.js';

const flag = (name: string): SettingSource => ({ flag: name });
const input = (name: string): SettingSource => ({ input: name });

describe('parsePositiveInteger', () => {
  it('takes whole numbers from 1 up, blanks around them ignored', () => {
    expect(parsePositiveInteger('3', flag('--limit'))).toBe(3);
    expect(parsePositiveInteger(' 12 ', input('limit'))).toBe(12);
  });

  it.each(['0', '-1', '2.5', 'ten', '', '1e3', '99999999999999999999'])(
    'refuses %j, naming the setting as the user gave it',
    (text) => {
      expect(() => parsePositiveInteger(text, flag('--limit'))).toThrow(
        new UsageError(`--limit: expected a positive integer, got "${text}"`),
      );
      expect(() => parsePositiveInteger(text, input('limit'))).toThrow(
        new UsageError(`Input "limit": expected a positive integer, got "${text}"`),
      );
    },
  );
});

describe('parseList', () => {
  it('splits on commas, spaces and newlines', () => {
    expect(parseList('web, cron\nlocal:a  db', flag('--hosts'))).toEqual(['web', 'cron', 'local:a', 'db']);
  });

  it('a list that names nothing is an error in both front ends, not "all" or "none"', () => {
    for (const text of ['', ' , ', ',,\n']) {
      expect(() => parseList(text, flag('--hosts'))).toThrow(
        new UsageError('--hosts: expected names separated by commas'),
      );
      expect(() => parseList(text, input('hosts'))).toThrow(
        new UsageError('Input "hosts": expected names separated by commas'),
      );
    }
  });
});

describe('parseBoolean', () => {
  it('reads YAML 1.2 core booleans; empty is false', () => {
    expect(parseBoolean('true', input('dry-run'))).toBe(true);
    expect(parseBoolean('FALSE', input('dry-run'))).toBe(false);
    expect(parseBoolean('', input('dry-run'))).toBe(false);
    expect(() => parseBoolean('yes', input('dry-run'))).toThrow(
      new UsageError('Input "dry-run": expected true or false, got "yes"'),
    );
  });
});

describe('parseVarAssignment', () => {
  it('splits at the first "=" and keeps the rest verbatim', () => {
    expect(parseVarAssignment('URL=https://x/?a=b', flag('--var'))).toEqual(['URL', 'https://x/?a=b']);
    expect(parseVarAssignment('EMPTY=', flag('--var'))).toEqual(['EMPTY', '']);
  });

  it('never echoes text without "=" (it may be a secret), and checks the name', () => {
    expect(() => parseVarAssignment('hunter22', flag('--var'))).toThrow(
      new UsageError('--var: expected NAME=VALUE, found no "="'),
    );
    expect(() => parseVarAssignment('9X=1', flag('--var'))).toThrow(
      new UsageError('--var: invalid variable name "9X"'),
    );
  });
});

describe('parseShard', () => {
  it('takes K/N with 1 ≤ K ≤ N, blanks around the numbers ignored', () => {
    expect(parseShard('2/3', flag('--shard'))).toEqual({ index: 2, count: 3 });
    expect(parseShard(' 1 / 1 ', input('shard'))).toEqual({ index: 1, count: 1 });
  });

  it.each([
    ['0/3', '--shard: shard 0 of 3 does not exist: K runs from 1 to 3, got "0/3"'],
    ['3/2', '--shard: shard 3 of 2 does not exist: K runs from 1 to 2, got "3/2"'],
    ['1/0', '--shard: expected at least 1 shard, got "1/0"'],
    ['2', '--shard: expected K/N (shard K of N, such as 2/3), got "2"'],
    ['a/b', '--shard: expected K/N (shard K of N, such as 2/3), got "a/b"'],
    ['-1/3', '--shard: expected K/N (shard K of N, such as 2/3), got "-1/3"'],
    ['1.5/3', '--shard: expected K/N (shard K of N, such as 2/3), got "1.5/3"'],
    ['', '--shard: expected K/N (shard K of N, such as 2/3), got ""'],
  ])('refuses %j', (text, message) => {
    expect(() => parseShard(text, flag('--shard'))).toThrow(new UsageError(message));
  });
});
