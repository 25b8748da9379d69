/**
 * Where a config value came from: `file:line:col` for YAML (from the parser's source ranges), just
 * `file` for JavaScript modules. Paths are printed as `runners.deploy.stages[0].pool-size`.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter } from 'yaml';
import type { Document, Node } from 'yaml';

export type ConfigPath = readonly PropertyKey[];

export interface Position {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
}

export interface Locator {
  readonly file: string;
  /**
   * Position of the node at `path`, or of its nearest existing ancestor. With `key`, the position of
   * the map key itself (used for unknown keys).
   */
  position(path: ConfigPath, opts?: { key?: boolean }): Position | undefined;
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `['runners', 'deploy', 'stages', 0, 'pool-size']` → `runners.deploy.stages[0].pool-size`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(String(segment))) out += `${out ? '.' : ''}${String(segment)}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** `file:line:col` when the position is known, else `file`. */
export function formatLocation(locator: Locator, path: ConfigPath, opts?: { key?: boolean }): string {
  const at = locator.position(path, opts);
  return at ? `${locator.file}:${at.line}:${at.col}` : locator.file;
}

/** For configs without source positions (JavaScript modules). */
export function fileLocator(file: string): Locator {
  return { file, position: () => undefined };
}

export function yamlLocator(file: string, doc: Document, lineCounter: LineCounter): Locator {
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };
  return {
    file,
    position(path, opts = {}) {
      let node: unknown = doc.contents;
      let offset = 0;
      for (const [i, segment] of path.entries()) {
        if (isAlias(node)) node = node.resolve(doc);
        const last = i === path.length - 1;
        if (isMap(node)) {
          const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(segment));
          if (!pair) break;
          const keyOffset = rangeStart(pair.key);
          if (keyOffset !== undefined) offset = keyOffset;
          if (last && opts.key) return at(offset);
          node = pair.value;
        } else if (isSeq(node) && typeof segment === 'number') {
          node = node.items[segment];
        } else {
          break;
        }
        const start = rangeStart(node);
        if (start === undefined) break;
        offset = start;
      }
      if (path.length === 0) offset = rangeStart(node) ?? 0;
      return at(offset);
    },
  };
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
