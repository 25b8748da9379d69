import { UsageError } from '../../src/contract/errors.js';
import {
  parseBoolean,
  parseList,
  parsePositiveInteger,
  parseVarAssignment,
} from '../../src/release/parse.js';
import type { SettingSource } from '../../src/release/settings.js';

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
