/**
 * The API's one cache: lru-cache's LRUCache, least recently used out first, bounded by a count of
 * entries or by a total weight. Every cache of the query side and of what-if is built here, with a
 * size from configuration (server.cache, src/domain/config.ts), so there is one eviction policy.
 * Most entries are promises of loads: sharedLoad lets concurrent callers share one load and keeps
 * no failure, so the next caller after a failed load (a database error) loads again.
 */
import { LRUCache } from "lru-cache";

/** What a cache may hold: anything but null and undefined, which lru-cache reads as "absent". */
export type Cacheable = NonNullable<unknown>;

export type Cache<V extends Cacheable> = LRUCache<string, V>;

/** At most `max` entries. */
export function lruCache<V extends Cacheable>(max: number): Cache<V> {
  return new LRUCache<string, V>({ max });
}

/**
 * Entries weighed by the caller (set(key, value, { size })), at most `maxWeight` in total; an entry
 * set without a size weighs 1. An entry heavier than the whole cache is not kept.
 */
export function weighedCache<V extends Cacheable>(maxWeight: number): Cache<V> {
  return new LRUCache<string, V>({ maxSize: maxWeight, sizeCalculation: () => 1 });
}

/** The cached load of `key`, or a new one from `load` (kept while it has not failed). */
export function sharedLoad<V>(cache: Cache<Promise<V>>, key: string, load: () => Promise<V>): Promise<V> {
  const hit = cache.get(key);
  if (hit) return hit;
  const loading = load();
  cache.set(key, loading);
  forgetIfFails(cache, key, loading);
  return loading;
}

/** Deletes `key` when `loading` fails, if the cache still holds that very load (not a newer one). */
export function forgetIfFails<V>(cache: Cache<Promise<V>>, key: string, loading: Promise<V>): void {
  loading.catch(() => {
    if (cache.peek(key) === loading) cache.delete(key);
  });
}

/** The key of a (cluster, generation, ...) entry: NUL never occurs in names. */
export function cacheKey(...parts: readonly (string | number)[]): string {
  return parts.join("\u0000");
}
