/** A page of `limit` items from `limit + 1` rows fetched; the last id is the next cursor. */
export function page<R extends { id: string }, V>(
  rows: R[],
  limit: number,
  view: (r: R) => V,
): { items: V[]; next_cursor: string | null } {
  const items = rows.slice(0, limit)
  return { items: items.map(view), next_cursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null }
}
