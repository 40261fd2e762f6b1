export interface Page<V> {
  items: V[]
  next_cursor: string | null
}

/** How to show a row of a page, and (for rows not keyed by `id`) which key of it is the cursor. */
export interface RowView<R, V> {
  view: (r: R) => V
  keyOf: (r: R) => string
}

/**
 * A page of `limit` items from `limit + 1` rows fetched; the last item's key is the next cursor:
 * its id, or what `keyOf` names for rows keyed otherwise (devices, by `device_id`).
 */
export function page<R extends { id: string }, V>(rows: R[], limit: number, view: (r: R) => V): Page<V>
export function page<R, V>(rows: R[], limit: number, shown: RowView<R, V>): Page<V>
export function page<R, V>(rows: R[], limit: number, shown: ((r: R) => V) | RowView<R, V>): Page<V> {
  const { view, keyOf } = typeof shown === 'function' ? { view: shown, keyOf: (r: R) => (r as { id: string }).id } : shown
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return { items: items.map(view), next_cursor: rows.length > limit && last !== undefined ? keyOf(last) : null }
}
