/** Sync or async iterables, pulled one item at a time. */
export type AnyIterable<T> = Iterable<T> | AsyncIterable<T>;

export function iteratorOf<T>(items: AnyIterable<T>): Iterator<T> | AsyncIterator<T> {
  if (typeof (items as AsyncIterable<T>)[Symbol.asyncIterator] === 'function') {
    return (items as AsyncIterable<T>)[Symbol.asyncIterator]();
  }
  if (typeof (items as Iterable<T>)[Symbol.iterator] === 'function')
    return (items as Iterable<T>)[Symbol.iterator]();
  throw new TypeError(`expected an iterable, got ${String(items)}`);
}

export async function collect<T>(items: AnyIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
