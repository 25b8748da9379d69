/** A release spread over several machines (a GitHub job matrix): the part one machine runs. */

/** Which part of every stage this run is. */
export type RunPart =
  | { readonly kind: 'canary' }
  /** `index` is 1-based: shard 1 of 3 is `{ index: 1, count: 3 }`. */
  | { readonly kind: 'shard'; readonly index: number; readonly count: number };

/** `canary-only`, `shard 2/3`: how logs and reports name a part. */
export function partLabel(part: RunPart): string {
  return part.kind === 'canary' ? 'canary-only' : `shard ${part.index}/${part.count}`;
}
