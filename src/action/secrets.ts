import { MIN_REDACTED_LENGTH } from '../report/redact.js';

/**
 * Every string to register with the runner's log masker for a set of secret values: each value
 * whole and, because the runner masks a multi-line value only where it appears whole, each of its
 * lines on its own. Lines under 4 characters are left out, as the Redactor does: masking every
 * "a" would garble the log and protect nothing.
 */
export function maskableValues(secrets: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const secret of secrets) {
    if (secret.trim() === '') continue;
    out.add(secret);
    for (const line of secret.split(/\r?\n/))
      if (line.trim().length >= MIN_REDACTED_LENGTH) out.add(line.trim());
  }
  return [...out];
}
