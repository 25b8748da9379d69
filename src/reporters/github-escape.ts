/**
 * Escaping for text that reaches a GitHub job summary from outside (host output, error messages,
 * names from the config): rendered as typed, never as markup.
 */

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// ANSI CSI/OSC sequences (colours, cursor moves) and other control characters but tab and newline.
const CONTROL =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]/g;

/** Removes terminal escape sequences and control characters (tab and newline stay). */
export function stripControl(text: string): string {
  return text.replace(CONTROL, '');
}

/** For the inside of `<pre>`: GitHub does not process Markdown there, so HTML escaping is enough. */
export function escapeHtml(text: string): string {
  return stripControl(text).replace(/[&<>"']/g, (c) => HTML[c] ?? c);
}

/**
 * For text inside an HTML block (table cells, `<summary>`): Markdown is not processed there, but a
 * blank line would end the block, so newlines become spaces.
 */
export function escapeCell(text: string): string {
  return escapeHtml(text).replace(/\s*\n\s*/g, ' ');
}

/**
 * For Markdown text (headings, paragraphs): HTML escaping plus every character Markdown and
 * GitHub's extensions (tables, math, strikethrough) give a meaning, as a numeric reference. One
 * pass, so no reference is escaped again: an apostrophe shows as typed.
 */
export function escapeMarkdown(text: string): string {
  return stripControl(text)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/[&<>"'\\`*_[\]{}|~#!$]/g, (c) => HTML[c] ?? `&#${c.charCodeAt(0)};`);
}

/**
 * A link for the summary, built with `new URL()` and its parentheses, spaces and quotes
 * percent-encoded so nothing in it can close the link or start markup; '' when `url` is not a plain
 * http(s) URL (a `javascript:` link, say), which is then not shown at all.
 */
export function markdownLink(label: string, url: string | undefined): string {
  const href = safeHttpUrl(url);
  return href === undefined ? '' : `[${escapeMarkdown(label)}](${href})`;
}

/**
 * `url` as an absolute http(s) URL (no user or password in it) with `()` `'` `"` `<>` `` ` `` `\`
 * and white space percent-encoded; else undefined.
 */
export function safeHttpUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  if (parsed.username || parsed.password) return undefined;
  return parsed.href.replace(
    /[()'"<>`\\\s]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/** Keeps at most `max` characters (code points), marking the cut with `…`. */
export function truncateText(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** An HTML table of cells already escaped (`escapeCell`): GitHub renders it in Markdown. */
export function htmlTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const tr = (cells: readonly string[], tag: 'th' | 'td'): string =>
    `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
  return ['<table>', tr(header, 'th'), ...rows.map((r) => tr(r, 'td')), '</table>'].join('\n');
}
