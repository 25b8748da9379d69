import { ConfigError, ConnectError, UsageError } from '../../src/contract/errors.js';
import { EXIT, exitCodeOf, exitCodeOfError } from '../../src/pipeline/exit-codes.js';

describe('exit codes', () => {
  it('are the documented ones', () => {
    expect(EXIT).toEqual({ success: 0, failure: 1, usage: 2, cancelled: 130 });
  });

  it('follow the run result', () => {
    expect(exitCodeOf({ result: 'success' })).toBe(0);
    expect(exitCodeOf({ result: 'failure' })).toBe(1);
    expect(exitCodeOf({ result: 'cancelled' })).toBe(130);
  });

  it('are 2 for bad usage or config (nothing ran), 1 for anything else', () => {
    expect(exitCodeOfError(new UsageError('--limit: x'))).toBe(2);
    expect(exitCodeOfError(new ConfigError('release.yml: x'))).toBe(2);
    expect(exitCodeOfError(new ConnectError('a@b:22: refused'))).toBe(1);
    expect(exitCodeOfError(new Error('bug'))).toBe(1);
  });
});
