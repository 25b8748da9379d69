import { COMMAND_MARK, CONTROL_MARK, logLine, logText } from '../../src/reporters/log-text.js';

describe('logLine: host text in one log line', () => {
  it('flattens every control character (ESC, BEL, CR, NUL, C1, U+2028) to a visible mark, never joining text', () => {
    expect(logLine('a\x1b[31mb\x07c\rd\0e\x9bf\u2028g')).toBe(
      `a${CONTROL_MARK}[31mb${CONTROL_MARK}c d${CONTROL_MARK}e${CONTROL_MARK}f${CONTROL_MARK}g`,
    );
    expect(logLine('tab\tstays')).toBe('tab\tstays');
  });

  it('joins lines into one: nothing after a newline can start a line of its own', () => {
    expect(logLine('who\n::error::forged')).toBe('who ::error::forged');
  });

  it('marks a line that would start a workflow command, even after spaces', () => {
    for (const text of ['::error::x', '  ::stop-commands::tok', '##[error]x'])
      expect(logLine(text)).toBe(`${COMMAND_MARK}${text}`);
    expect(logLine('a ::error::x')).toBe('a ::error::x');
  });
});

describe('logText: several lines', () => {
  it('keeps the lines, each made safe; a carriage return ends a line too', () => {
    expect(logText('ok\n::error::x\r  ::warning::y\n\x1b]0;t\x07')).toBe(
      `ok\n${COMMAND_MARK}::error::x\n${COMMAND_MARK}  ::warning::y\n${CONTROL_MARK}]0;t${CONTROL_MARK}`,
    );
  });
});
