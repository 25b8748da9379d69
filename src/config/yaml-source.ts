/** Parse the YAML text of a release config, keeping source positions for error messages. */
import { isMap, isPair, isScalar, LineCounter, parseDocument, Scalar } from 'yaml';
import { ConfigValidationError } from './config-error.js';
import { yamlLocator } from './locator.js';
import type { Locator } from './locator.js';

export interface YamlSource {
  /** The document as plain data (maps, lists, strings, numbers, booleans, null). */
  readonly data: unknown;
  readonly locator: Locator;
}

/** Malformed YAML → ConfigValidationError at the parser's position (`release.yml:3:7: invalid YAML: …`). */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  // `merge`: `<<: *defaults` is the usual way to share stage settings in YAML.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, merge: true });
  const locator = yamlLocator(file, doc, lineCounter);
  const error = doc.errors[0];
  if (error) {
    const at = keyColumn(error.linePos?.[0], text);
    const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigValidationError([
      {
        file,
        path: [],
        message: `invalid YAML: ${message}`,
        ...(at ? { position: { line: at.line, col: at.col } } : {}),
      },
    ]);
  }
  let data: unknown;
  try {
    // An empty file is "nothing", not null.
    data = doc.contents === null ? undefined : doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new ConfigValidationError([{ file, path: [], message: `invalid YAML: ${(e as Error).message}` }]);
  }
  keepVarsAsWritten(doc.get('vars', true), data, text);
  return { data, locator };
}

/**
 * The parser places indentation errors ("All mapping items must start at the same column", a
 * sequence item without "-") at column 1, the start of the line's indentation. The key that is
 * misplaced is what the user must move: point at it, the first non-blank character of the line.
 */
function keyColumn(
  at: { line: number; col: number } | undefined,
  text: string,
): { line: number; col: number } | undefined {
  if (!at) return undefined;
  const line = text.split(/\r?\n/)[at.line - 1] ?? '';
  const indent = /^ */.exec(line)?.[0].length ?? 0;
  return at.col <= indent && indent < line.length ? { line: at.line, col: indent + 1 } : at;
}

/**
 * `vars:` values are strings. A plain scalar that YAML would read as a number or boolean keeps the
 * text as written (`VERSION: 1.10` is "1.10", not "1.1"; `MODE: 0755` stays "0755").
 */
function keepVarsAsWritten(varsNode: unknown, data: unknown, text: string): void {
  if (!isMap(varsNode) || data === null || typeof data !== 'object') return;
  const vars = (data as { vars?: unknown }).vars;
  if (vars === null || typeof vars !== 'object') return;
  for (const pair of varsNode.items) {
    if (!isPair(pair) || !isScalar(pair.key) || !isScalar(pair.value)) continue;
    const value = pair.value;
    const range = value.range;
    if (value.type !== Scalar.PLAIN || !range) continue;
    if (typeof value.value !== 'number' && typeof value.value !== 'boolean') continue;
    (vars as Record<string, unknown>)[String(pair.key.value)] = text.slice(range[0], range[1]);
  }
}
