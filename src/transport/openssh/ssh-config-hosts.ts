/**
 * Reading just enough of an ssh_config to tell whether it defines a host alias, and whether it sets
 * GlobalKnownHostsFile. OpenSSH itself applies the file; this only lets a host named by an alias
 * the file does not define fail with a clear message instead of a DNS error.
 */

/** `Host` patterns (not negated, not `*` alone), or null when the file has `Include`/`Match` (cannot tell). */
export function hostPatterns(text: string): string[] | null {
  const patterns: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [keyword = '', ...rest] = line.split(/[\s=]+/);
    const key = keyword.toLowerCase();
    if (key === 'include' || key === 'match') return null;
    if (key !== 'host') continue;
    for (const word of rest.join(' ').split(/\s+/)) {
      const pattern = word.replace(/^"|"$/g, '');
      if (pattern !== '' && !pattern.startsWith('!') && pattern.replace(/[*?]/g, '') !== '')
        patterns.push(pattern);
    }
  }
  return patterns;
}

function globMatches(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

/** Whether `name` looks like an alias (no dot, not an address) the file does not define. */
export function undefinedAlias(text: string, name: string): boolean {
  if (name.includes('.') || name.includes(':') || name === 'localhost') return false;
  const patterns = hostPatterns(text);
  if (patterns === null) return false;
  return !patterns.some((p) => globMatches(p, name));
}

/** Whether the file sets GlobalKnownHostsFile (then it is not turned off). */
export function setsGlobalKnownHosts(text: string): boolean {
  return /^\s*GlobalKnownHostsFile[\s=]/im.test(text);
}
