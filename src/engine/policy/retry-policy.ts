/** What may be retried, and how long to wait before it. */

/** Backoff never waits longer than this between two attempts (unless the base itself is longer). */
export const MAX_RETRY_DELAY_MS = 5 * 60_000;

/**
 * Whether another attempt may help. An error, or any error in its `cause` chain, that says
 * `retryable: false` (auth, host key, cancelled, config) settles it: a nested job failing on a
 * rejected key must not be retried just because it arrives wrapped in a JobFailedError.
 */
export function isRetryable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (
    let e = error;
    typeof e === 'object' && e !== null && !seen.has(e);
    e = (e as { cause?: unknown }).cause
  ) {
    seen.add(e);
    if ((e as { retryable?: unknown }).retryable === false) return false;
  }
  return true;
}

/**
 * Exponential backoff with jitter, p-retry's formula (`randomize: true`, factor 2): the n-th retry
 * waits `base × 2^(n-1) × r`, r uniform in [1, 2). Computed here rather than inside p-retry so the
 * `job-retry` event can tell the exact wait.
 */
export function retryDelay(baseMs: number, retryNumber: number, random: number = Math.random()): number {
  const delay = Math.round(baseMs * 2 ** (retryNumber - 1) * (1 + random));
  return Math.min(delay, Math.max(MAX_RETRY_DELAY_MS, baseMs));
}
