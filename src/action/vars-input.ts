import { isMap, isScalar, isSeq, parseDocument, Scalar } from 'yaml';
import { VAR_NAME } from '../contract/transport.js';
import { UsageError } from '../contract/errors.js';

/** A line that starts like `NAME=`: the input is written as `K=V` lines, not as a YAML map. */
const ASSIGNMENT_LINE = /^\s*[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Parses the `vars` / `secret-vars` inputs: either lines of `NAME=value` (blank lines and `#`
 * comments ignored, the value taken verbatim up to the end of the line) or a YAML map of scalars
 * (use it for multi-line values). Error messages name the input and never echo a value: the text
 * may be a secret, and so for a secret input is a mistyped name (it may be a line of the value).
 */
export function parseVarsInput(text: string, input: string, secret = false): Record<string, string> {
  const lines = text.split(/\r?\n/);
  const meaningful = lines.filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (meaningful.length === 0) return {};
  const named = (name: string): string => (secret ? '' : ` "${name}"`);
  return ASSIGNMENT_LINE.test(meaningful[0] ?? '')
    ? parseAssignmentLines(lines, input, named)
    : parseYamlMap(text, input, named);
}

type NameQuote = (name: string) => string;

function parseAssignmentLines(
  lines: readonly string[],
  input: string,
  named: NameQuote,
): Record<string, string> {
  const vars: Record<string, string> = {};
  lines.forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const where = `Input "${input}" line ${i + 1}`;
    if (eq === -1) {
      throw new UsageError(
        `${where}: expected NAME=VALUE, found no "=" (use a YAML map for multi-line values)`,
      );
    }
    const name = line.slice(0, eq).trimEnd();
    if (!VAR_NAME.test(name)) throw new UsageError(`${where}: invalid variable name${named(name)}`);
    vars[name] = line.slice(eq + 1);
  });
  return vars;
}

function parseYamlMap(text: string, input: string, named: NameQuote): Record<string, string> {
  const doc = parseDocument(text, { prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    // The YAML library quotes the offending source line; give only the position.
    const pos = error.linePos ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '';
    throw new UsageError(
      `Input "${input}": expected NAME=VALUE lines or a YAML map, found invalid YAML${pos}`,
    );
  }
  const map = doc.contents;
  if (!isMap(map)) {
    const found = isScalar(map)
      ? 'text whose first line has no "=" (NAME=VALUE on every line)'
      : `a ${describe(doc.toJS())}`;
    throw new UsageError(`Input "${input}": expected NAME=VALUE lines or a YAML map, found ${found}`);
  }
  const vars: Record<string, string> = {};
  for (const pair of map.items) {
    const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
    if (!VAR_NAME.test(name)) throw new UsageError(`Input "${input}": invalid variable name${named(name)}`);
    const value = pair.value;
    if (value === null || (isScalar(value) && value.value === null)) vars[name] = '';
    else if (isScalar(value) && ['string', 'number', 'boolean'].includes(typeof value.value))
      vars[name] = asWritten(value, text);
    else {
      throw new UsageError(
        `Input "${input}": the value of${named(name) || ' a variable'} must be a string, number or boolean, found a ${isMap(value) ? 'map' : isSeq(value) ? 'list' : 'non-scalar'}`,
      );
    }
  }
  return vars;
}

/**
 * A scalar's value as a string. A plain scalar that YAML reads as a number or boolean keeps its
 * text as written, as the config's `vars:` do: `1.10` stays "1.10", `01234` "01234", `1234e5`
 * "1234e5" (the value may be a secret: a PIN must not lose its leading zero).
 */
function asWritten(value: Scalar, text: string): string {
  const range = value.range;
  if (value.type === Scalar.PLAIN && range && typeof value.value !== 'string')
    return text.slice(range[0], range[1]);
  return String(value.value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'map';
  return typeof value === 'string' ? 'string' : typeof value;
}
