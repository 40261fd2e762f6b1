// Reads what D1 already holds that an import can collide with (plan.ts's `Existing`), pages of
// rows keyed on the primary keys (each page an index range), the tables' pages in one call.
import { type D1Target, d1Queries, type SqlValue } from '../d1'
import { type Existing, emptyExisting } from './plan'
import { literal } from './sql'

export const PAGE_ROWS = 20_000

const str = (v: unknown) => (typeof v === 'string' ? v : null)

/** A query read a page at a time: `select` takes the literal to read after and orders by `key`. */
interface Paged {
  select: (after: string) => string
  key: string
  rows: Record<string, unknown>[]
}

/**
 * Every row of each query, their pages read together: one `wrangler d1 execute` call per round
 * (a call costs a second or two of start-up), each query dropping out once a page comes back short.
 */
function readAll(target: D1Target, queries: Paged[]): void {
  const after = new Map<Paged, SqlValue>(queries.map((q) => [q, '']))
  while (after.size > 0) {
    const open = [...after.keys()]
    const pages = d1Queries(target, open.map((q) => `${q.select(literal(after.get(q) ?? ''))} LIMIT ${PAGE_ROWS};`).join('\n'))
    open.forEach((q, i) => {
      const page = pages[i] ?? []
      q.rows.push(...page)
      const last = page.at(-1)
      if (page.length < PAGE_ROWS || !last) after.delete(q)
      else after.set(q, String(last[q.key]))
    })
  }
}

/** The accounts (all pools: ids are global) and the pool's identifiers, and its devices unless `withDevices` is false. */
export function readExisting(target: D1Target, pool: string, withDevices = true): Existing {
  const existing = emptyExisting()
  const p = literal(pool)
  const users: Paged = {
    select: (after) =>
      `SELECT id, pool, role, CASE WHEN pool = ${p} THEN phone END AS phone, CASE WHEN pool = ${p} THEN email END AS email, ` +
      `CASE WHEN pool = ${p} THEN username END AS username FROM users WHERE id > ${after} ORDER BY id`,
    key: 'id',
    rows: [],
  }
  const devices: Paged = {
    select: (after) => `SELECT device_id, user_id FROM devices WHERE pool = ${p} AND device_id > ${after} ORDER BY device_id`,
    key: 'device_id',
    rows: [],
  }
  readAll(target, withDevices ? [users, devices] : [users])
  for (const u of users.rows) {
    const id = String(u.id)
    existing.accounts.set(id, { pool: String(u.pool), role: String(u.role) })
    const [phone, email, username] = [str(u.phone), str(u.email), str(u.username)]
    if (phone) existing.phones.set(phone, id)
    if (email) existing.emails.set(email, id)
    if (username) existing.usernames.set(username, id)
  }
  for (const d of devices.rows) existing.devices.set(String(d.device_id), String(d.user_id))
  return existing
}
