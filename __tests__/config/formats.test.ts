import { closest } from '../../src/config/did-you-mean.js';
import { parseDuration, parseHostEntry, parsePercent } from '../../src/config/index.js';

describe('formats', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['0s', 0],
  ])('duration %s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['10', '1.5s', '5 m', '1d', '-1s', 's', ''])('rejects the duration %p', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('percentages are 0…100 with a % sign', () => {
    expect(parsePercent('25%')).toBe(25);
    expect(parsePercent('12.5%')).toBe(12.5);
    expect(parsePercent('100%')).toBe(100);
    expect(parsePercent('101%')).toBeUndefined();
    expect(parsePercent('25')).toBeUndefined();
    expect(parsePercent('25 %')).toBeUndefined();
  });

  it('host entries', () => {
    expect(parseHostEntry('web-1.example.com')).toEqual({
      name: 'web-1.example.com',
      address: 'web-1.example.com',
      local: false,
    });
    expect(parseHostEntry('deploy@web-2.example.com:2222')).toEqual({
      name: 'web-2.example.com',
      address: 'web-2.example.com',
      port: 2222,
      user: 'deploy',
      local: false,
    });
    expect(parseHostEntry('local:a')).toEqual({ name: 'local:a', address: 'localhost', local: true });
    for (const bad of [
      'local:',
      'local:a b',
      'a b',
      'user@',
      '@host',
      'host:0',
      'host:70000',
      'host:http',
      'a@b@c',
    ]) {
      expect(parseHostEntry(bad)).toBeUndefined();
    }
  });

  it('did-you-mean tolerates case, _ for -, camelCase and small typos', () => {
    const keys = ['pool-size', 'max-failures', 'retry-delay', 'retries', 'name'];
    expect(closest('pool_size', keys)).toBe('pool-size');
    expect(closest('maxFailures', keys)).toBe('max-failures');
    expect(closest('retires', keys)).toBe('retries');
    expect(closest('nmae', keys)).toBe('name');
    expect(closest('colour', keys)).toBeUndefined();
  });
});
