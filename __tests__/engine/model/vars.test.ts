import { expandVars } from '../../../src/engine/model/vars.js';
import { ConfigError } from '../../../src/contract/errors.js';

describe('expandVars', () => {
  it('expands known names and keeps escaped ones', () => {
    expect(expandVars('/srv/${APP}/releases/${BW_RELEASE}', { APP: 'shop', BW_RELEASE: 'r1' })).toBe(
      '/srv/shop/releases/r1',
    );
    expect(expandVars('$${APP}', { APP: 'x' })).toBe('${APP}');
    expect(expandVars('cost $$5 ${APP}', { APP: 'x' })).toBe('cost $5 x');
  });
  it('rejects a $ that is not ${NAME} or $$', () => {
    expect(() => expandVars('$HOME/releases', {}, 'upload.to')).toThrow(
      new ConfigError(
        'upload.to: "$HOME" is not expanded here: write ${NAME} for a variable, $$ for a literal "$"',
      ),
    );
    expect(() => expandVars('${APP', { APP: 'x' }, 'name')).toThrow(
      new ConfigError('name: "${APP" has no closing "}"'),
    );
  });
  it('rejects unknown names with the field', () => {
    expect(() => expandVars('${NOPE}', {}, 'upload.to')).toThrow(
      new ConfigError('upload.to: unknown variable "${NOPE}"'),
    );
  });
});
