/** Maps items with at most `limit` calls in flight; results keep the order of the items. */
export async function mapConcurrent<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * Calls `fn` on the items, `limit` at a time, and hands each result to `consume` in the items'
 * order as soon as those before it are consumed: besides the result being consumed, at most
 * `limit` calls are started and not consumed, however many items there are.
 */
export async function consumeConcurrentInOrder<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  consume: (result: R, item: T) => Promise<void>,
): Promise<void> {
  const started: Promise<R>[] = [];
  let next = 0;
  const startNext = (): void => {
    const call = fn(items[next++] as T);
    // A failure is thrown where it is awaited, in order; the calls after it are not consumed.
    call.catch(() => undefined);
    started.push(call);
  };
  while (next < items.length && started.length < Math.max(1, limit)) startNext();
  for (const item of items) {
    const result = await (started.shift() as Promise<R>);
    if (next < items.length) startNext();
    await consume(result, item);
  }
}

/**
 * The items of `source`, asking it for the next one as soon as the current one is handed out, so
 * the next page of a list is on its way while the caller works on this one.
 */
export async function* prefetched<T>(source: AsyncIterator<T>): AsyncGenerator<T> {
  let next = source.next();
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = source.next();
      // Thrown where it is awaited, at the next turn; not unhandled if the caller stops first.
      next.catch(() => undefined);
      yield result.value;
    }
  } finally {
    void source.return?.(undefined)?.catch(() => undefined);
  }
}
