import { parse as parseYaml, YAMLError } from 'yaml';
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
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: false });
  } catch (e) {
    // The YAML library quotes the offending source line; give only the position.
    const pos =
      e instanceof YAMLError && e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new UsageError(
      `Input "${input}": expected NAME=VALUE lines or a YAML map, found invalid YAML${pos}`,
    );
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UsageError(
      `Input "${input}": expected NAME=VALUE lines or a YAML map, found a ${describe(doc)}`,
    );
  }
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(doc)) {
    if (!VAR_NAME.test(name)) throw new UsageError(`Input "${input}": invalid variable name${named(name)}`);
    if (value === null || value === undefined) vars[name] = '';
    else if (['string', 'number', 'boolean'].includes(typeof value)) vars[name] = String(value);
    else {
      throw new UsageError(
        `Input "${input}": the value of${named(name) || ' a variable'} must be a string, number or boolean, found a ${describe(value)}`,
      );
    }
  }
  return vars;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'map';
  return typeof value === 'string' ? 'string' : typeof value;
}
