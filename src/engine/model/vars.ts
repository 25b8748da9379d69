import { ConfigError } from '../../contract/errors.js';
import { VAR_NAME } from '../../contract/transport.js';

/** A non-command field, split: literal text and `${NAME}` references, in order. */
export type TemplatePiece = { readonly text: string } | { readonly ref: string };

/** Why a non-command field cannot be expanded; `found` is the offending text (`$HOME`, `${a-b}`). */
export class TemplateSyntaxError extends Error {
  constructor(
    readonly problem: 'bare-dollar' | 'invalid-name' | 'unclosed',
    readonly found: string,
  ) {
    super(
      problem === 'bare-dollar'
        ? `"${found}" is not expanded here: write \${NAME} for a variable, $$ for a literal "$"`
        : problem === 'invalid-name'
          ? `invalid variable name "${found}"`
          : `"${found}" has no closing "}"`,
    );
  }
}

/**
 * `${NAME}` is a reference, `$$` a literal `$` (so `$${` writes `${`). Any other `$` is an error:
 * these fields are expanded by the tool on the controller, never by a shell, so a `$HOME` would
 * otherwise silently stay a directory named `$HOME`.
 */
export function parseTemplate(text: string): TemplatePiece[] {
  const pieces: TemplatePiece[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar === -1) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      literal += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const close = text.indexOf('}', dollar + 2);
      if (close === -1) throw new TemplateSyntaxError('unclosed', text.slice(dollar, dollar + 40));
      const name = text.slice(dollar + 2, close);
      if (!VAR_NAME.test(name)) throw new TemplateSyntaxError('invalid-name', `\${${name}}`);
      if (literal) pieces.push({ text: literal });
      literal = '';
      pieces.push({ ref: name });
      i = close + 1;
    } else {
      const word = /^[A-Za-z0-9_]*/.exec(text.slice(dollar + 1))?.[0] ?? '';
      throw new TemplateSyntaxError('bare-dollar', `$${word}`);
    }
  }
  if (literal) pieces.push({ text: literal });
  return pieces;
}

/**
 * Expand `${NAME}` in a non-command field (upload paths, names). Unknown names and a `$` that is
 * not `${NAME}` or `$$` are errors, so a typo never silently becomes a path segment. The config
 * loader checks every field before anything runs; this is the last line of defence.
 */
export function expandVars(text: string, vars: Readonly<Record<string, string>>, where = 'value'): string {
  let pieces: TemplatePiece[];
  try {
    pieces = parseTemplate(text);
  } catch (e) {
    throw new ConfigError(`${where}: ${(e as Error).message}`);
  }
  return pieces
    .map((piece) => {
      if ('text' in piece) return piece.text;
      const value = Object.hasOwn(vars, piece.ref) ? vars[piece.ref] : undefined;
      if (value === undefined) throw new ConfigError(`${where}: unknown variable "\${${piece.ref}}"`);
      return value;
    })
    .join('');
}
