/** Options of a bounded cache. */
export interface LruOptions {
  /** Entries kept; past it, the least recently used entry is forgotten. */
  max: number
  /** Lifetime of an entry unless `set` gives one; entries never expire when neither does. */
  ttlMs?: number
  clock?: () => number
}

interface Slot<V> {
  value: V
  expiresAt: number
}

/**
 * A size-capped Map, per isolate: the least recently used entry goes first once `max` is passed,
 * and an entry past its expiry is never returned. A Map keeps insertion order, so re-inserting an
 * entry on use makes its first key the least recently used.
 */
export function lru<K, V>({ max, ttlMs, clock = Date.now }: LruOptions) {
  const slots = new Map<K, Slot<V>>()

  /** The live slot of `key`, dropping it when expired. */
  const live = (key: K): Slot<V> | undefined => {
    const slot = slots.get(key)
    if (slot && slot.expiresAt <= clock()) {
      slots.delete(key)
      return undefined
    }
    return slot
  }

  return {
    /** The value, now the most recently used. */
    get(key: K): V | undefined {
      const slot = live(key)
      if (!slot) return undefined
      slots.delete(key)
      slots.set(key, slot)
      return slot.value
    },
    /** The value, leaving its place in the order alone. */
    peek: (key: K): V | undefined => live(key)?.value,
    /** Stores `value` as the most recently used, for `ttl` ms (default: the cache's `ttlMs`). */
    set(key: K, value: V, ttl = ttlMs): void {
      slots.delete(key)
      slots.set(key, { value, expiresAt: ttl === undefined ? Number.POSITIVE_INFINITY : clock() + ttl })
      for (const oldest of slots.keys()) {
        if (slots.size <= max) break
        slots.delete(oldest)
      }
    },
    delete: (key: K): boolean => slots.delete(key),
    get size(): number {
      return slots.size
    },
    /** Every stored value, expired or not, least recently used first. */
    values: (): IterableIterator<V> => Array.from(slots.values(), (s) => s.value).values(),
  }
}

export type Lru<K, V> = ReturnType<typeof lru<K, V>>
