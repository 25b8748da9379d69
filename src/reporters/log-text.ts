/**
 * The one way text that may come from a host (its output, its error messages, the fields of a
 * lock's owner.json, anything read back from it) reaches a log line: every front end and reporter
 * writes through `logText`. A compromised host must not be able to restyle the log (ESC, BEL, a
 * carriage return that hides a line) nor start a workflow command (`::error …`, `::stop-commands`),
 * which GitHub's runner reads from the start of any line of a step's output, after leading spaces.
 */

/**
 * C0 controls but tab and newline, DEL, the C1 block (U+009B is a CSI on some terminals) and the
 * Unicode line and paragraph separators.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/g;

/** What a control character becomes: visible, and never a way to join two parts of a secret. */
export const CONTROL_MARK = '\ufffd';

/** A line GitHub's runner would read as a workflow command: `::name …` (or `##[name]`). */
const COMMAND_START = /^(\s*)(::|##\[)/;

/** Marks the start of a line that would otherwise be read as a workflow command. */
export const COMMAND_MARK = '› ';

/** One line: control characters (a newline too) become CONTROL_MARK, and no command can start it. */
export function logLine(text: string): string {
  const flat = text.replace(/\r\n|\r|\n/g, ' ').replace(CONTROL, CONTROL_MARK);
  return COMMAND_START.test(flat) ? `${COMMAND_MARK}${flat}` : flat;
}

/**
 * Text for the log that may span lines (a message quoting a host's error, say): each line as
 * `logLine` makes it. A carriage return ends a line here too, so no line can overwrite another.
 */
export function logText(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => logLine(line))
    .join('\n');
}
