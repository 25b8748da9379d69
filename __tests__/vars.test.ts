import { expandVars } from '../src/engine/vars.js';
import { ConfigError } from '../src/errors.js';

describe('expandVars', () => {
  it('expands known names and keeps escaped ones', () => {
    expect(expandVars('/srv/${APP}/releases/${BW_RELEASE}', { APP: 'shop', BW_RELEASE: 'r1' })).toBe(
      '/srv/shop/releases/r1',
    );
    expect(expandVars('$${APP}', { APP: 'x' })).toBe('${APP}');
  });
  it('rejects unknown names with the field', () => {
    expect(() => expandVars('${NOPE}', {}, 'upload.to')).toThrow(
      new ConfigError('upload.to: unknown variable "${NOPE}"'),
    );
  });
});
