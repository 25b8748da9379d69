/** How a job ends. `Skip` counts as success. */
export type Outcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'err'; readonly reason: string }
  | { readonly kind: 'skip'; readonly reason: string };

export const Ok = (): Outcome => ({ kind: 'ok' });
export const Err = (reason: string): Outcome => ({ kind: 'err', reason });
export const Skip = (reason: string): Outcome => ({ kind: 'skip', reason });

export const isSuccess = (o: Outcome): boolean => o.kind !== 'err';
