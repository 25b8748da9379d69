/**
 * Turns zod issues into config issues a person can act on: the position of the offending node
 * (of the key, for unknown keys), its path, what was expected and what was found, and "did you
 * mean" for near-miss keys.
 */
import type { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { ConfigValidationError } from './config-error.js';
import type { ConfigIssue } from './config-error.js';
import type { ConfigPath, Locator } from './locator.js';

type Issue = z.core.$ZodIssue;

/** Validate `data` against `schema`: its output, or a ConfigValidationError listing every issue. */
export function validate<S extends z.ZodType>(schema: S, data: unknown, locator: Locator): z.output<S> {
  const result = schema.safeParse(data, { reportInput: true, error: fallbackMessage });
  if (result.success) return result.data;
  throw new ConfigValidationError(toConfigIssues(result.error.issues, data, schema, locator));
}

/** Zod issues → config issues in file order (duplicates dropped). */
export function toConfigIssues(
  issues: readonly Issue[],
  data: unknown,
  schema: z.ZodType,
  locator: Locator,
): ConfigIssue[] {
  const out: { issue: ConfigIssue; order: number }[] = [];
  const seen = new Set<string>();
  const add = (path: ConfigPath, message: string, key = false): void => {
    const position = locator.position(path, { key });
    const issue: ConfigIssue = { file: locator.file, path, message, ...(position ? { position } : {}) };
    const id = `${position?.line}:${position?.col}:${String(path.join('.'))}:${message}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ issue, order: out.length });
  };

  const collect = (issue: Issue, base: ConfigPath): void => {
    const path = [...base, ...issue.path];
    const missing = issue.code === 'unrecognized_keys' ? undefined : missingKey(data, path);
    if (missing !== undefined) {
      add(path.slice(0, -1), `missing required key "${missing}"`);
      return;
    }
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = objectKeysAt(schema, path);
        for (const key of issue.keys) {
          const hint =
            didYouMean(key, known) || (known.length ? `, expected one of: ${known.join(', ')}` : '');
          add([...path, key], `unknown key${hint}`, true);
        }
        return;
      }
      case 'invalid_union': {
        // A branch whose only complaint is "wrong type here" did not match at all; if exactly one
        // branch matched the shape, its own issues say precisely what is wrong.
        const matching = issue.errors.filter(
          (branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0),
        );
        if (matching.length === 1) {
          for (const inner of matching[0] as Issue[]) collect(inner, path);
          return;
        }
        add(path, withFound(issue.message, valueAt(data, path)));
        return;
      }
      case 'invalid_key': {
        const inner = issue.issues[0];
        add(path, withFound(inner?.message ?? issue.message, path[path.length - 1]), true);
        return;
      }
      default:
        add(path, withFound(issue.message, valueAt(data, path)));
    }
  };

  for (const issue of issues) collect(issue, []);
  return out.sort((a, b) => compare(a.issue, b.issue) || a.order - b.order).map(({ issue }) => issue);
}

/** Fallback for issues a schema leaf did not word itself. */
export function fallbackMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') return `expected ${String(issue.expected)}`;
  return undefined;
}

function compare(a: ConfigIssue, b: ConfigIssue): number {
  const pa = a.position;
  const pb = b.position;
  if (!pa || !pb) return 0;
  return pa.line - pb.line || pa.col - pb.col;
}

/** `expected …` messages get `, got <what was found>`; other messages are complete. */
function withFound(message: string, found: unknown): string {
  return message.startsWith('expected ') ? `${message}, got ${describeValue(found)}` : message;
}

/** A short, safe description of a found value: strings quoted and cut, containers by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const cut = value.length > 60 ? `${value.slice(0, 57)}…` : value;
    return JSON.stringify(cut);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  if (proto === null || Object.getPrototypeOf(proto) === null) {
    return Object.keys(value).length === 0 ? 'an empty map' : 'a map';
  }
  return `a ${proto.constructor?.name ?? 'object'}`;
}

function valueAt(data: unknown, path: ConfigPath): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/** The key name when `path` points at a key absent from an existing map. */
function missingKey(data: unknown, path: ConfigPath): string | undefined {
  if (path.length === 0) return undefined;
  const parent = valueAt(data, path.slice(0, -1));
  const key = path[path.length - 1];
  if (parent === null || typeof parent !== 'object' || Array.isArray(parent)) return undefined;
  return Object.prototype.hasOwnProperty.call(parent, key as PropertyKey) ? undefined : String(key);
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The keys an object schema accepts at `path` (for "did you mean" and "expected one of"). */
export function objectKeysAt(schema: z.ZodType, path: ConfigPath): string[] {
  const keys = new Set<string>();
  const visit = (node: z.ZodType, i: number): void => {
    const def = defOf(node);
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'readonly':
        return visit(def.innerType as z.ZodType, i);
      case 'pipe':
        return visit(def.in as z.ZodType, i);
      case 'union':
        for (const option of def.options ?? []) visit(option, i);
        return;
      case 'object':
        if (i === path.length) for (const key of Object.keys(def.shape ?? {})) keys.add(key);
        else {
          const child = def.shape?.[String(path[i])];
          if (child) visit(child, i + 1);
        }
        return;
      case 'array':
        if (i < path.length && typeof path[i] === 'number') visit(def.element as z.ZodType, i + 1);
        return;
      case 'record':
        if (i < path.length) visit(def.valueType as z.ZodType, i + 1);
        return;
    }
  };
  visit(schema, 0);
  return [...keys];
}
