export interface Page<V> {
  items: V[]
  next_cursor: string | null
}

/**
 * A page of `limit` items from `limit + 1` rows fetched; the last item's key is the next cursor:
 * its id, or what `keyOf` names for rows keyed otherwise (devices, by `device_id`).
 */
export function page<R extends { id: string }, V>(rows: R[], limit: number, view: (r: R) => V): Page<V>
export function page<R, V>(rows: R[], limit: number, view: (r: R) => V, keyOf: (r: R) => string): Page<V>
export function page<R, V>(
  rows: R[],
  limit: number,
  view: (r: R) => V,
  keyOf: (r: R) => string = (r) => (r as { id: string }).id,
): Page<V> {
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return { items: items.map(view), next_cursor: rows.length > limit && last !== undefined ? keyOf(last) : null }
}
