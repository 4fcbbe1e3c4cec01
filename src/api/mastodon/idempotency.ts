/**
 * `Idempotency-Key`: a retried post (a flaky phone connection) answers the first result
 * instead of posting twice. Per instance and per member, kept an hour, at most 10,000 keys;
 * a key whose first attempt failed may be tried again.
 */
export interface IdempotencyCache {
  run<T>(memberId: string, key: string | undefined, work: () => Promise<T>): Promise<T>;
}

export function createIdempotencyCache(
  options: { ttlMs?: number; maxKeys?: number; now?: () => number } = {},
): IdempotencyCache {
  const ttlMs = options.ttlMs ?? 3600_000;
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { at: number; result: Promise<unknown> }>();

  return {
    run(memberId, key, work) {
      if (!key) return work();
      const id = `${memberId}\n${key.slice(0, 200)}`;
      const found = entries.get(id);
      if (found && found.at + ttlMs > now()) return found.result as ReturnType<typeof work>;
      if (entries.size >= maxKeys) {
        for (const [k, v] of entries) if (v.at + ttlMs <= now()) entries.delete(k);
        const oldest = entries.keys().next();
        if (entries.size >= maxKeys && !oldest.done) entries.delete(oldest.value);
      }
      const result = work();
      entries.set(id, { at: now(), result });
      result.catch(() => entries.delete(id));
      return result;
    },
  };
}
