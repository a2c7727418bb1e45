/** Runs async jobs with bounded concurrency (several notebooks or submissions, each on its own kernel). */

/**
 * Calls `work(item, index)` for every item, at most `concurrency` at a time, taking items in order.
 * Resolves when all are done (or, with `stop`, when it returns true: items not started are skipped); the first
 * rejection rejects the whole run, so callers catch per item.
 */
export async function forEachConcurrently<T>(items: readonly T[], concurrency: number,
  work: (item: T, index: number) => Promise<void>, opts: { stop?: () => boolean } = {}): Promise<void> {
  let next = 0;
  const lanes = Math.max(1, Math.min(Math.floor(concurrency) || 1, items.length));
  const lane = async (): Promise<void> => {
    while (next < items.length && !opts.stop?.()) {
      const k = next++;
      await work(items[k], k);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}
