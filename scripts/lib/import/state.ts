// Reads what D1 already holds that an import can collide with (plan.ts's `Existing`), a page of
// rows per `wrangler d1 execute` call, keyed on the primary keys so each page is an index range.

import type { SqlValue } from '../d1'
import { type D1Target, d1Query } from '../d1'
import { type Existing, emptyExisting } from './plan'
import { literal } from './sql'

export const PAGE_ROWS = 20_000

const str = (v: unknown) => (typeof v === 'string' ? v : null)

/** Every row of `select` (which must take `{after}` and order by `key`), a page at a time. */
function allRows(target: D1Target, select: (after: string) => string, key: string): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = []
  let after: SqlValue = ''
  for (;;) {
    const page = d1Query(target, `${select(literal(after))} LIMIT ${PAGE_ROWS}`)
    rows.push(...page)
    const last = page.at(-1)
    if (page.length < PAGE_ROWS || !last) return rows
    after = String(last[key])
  }
}

/** The accounts (all pools: ids are global) and the pool's identifiers, and its devices unless `withDevices` is false. */
export function readExisting(target: D1Target, pool: string, withDevices = true): Existing {
  const existing = emptyExisting()
  const p = literal(pool)
  const users = allRows(
    target,
    (after) =>
      `SELECT id, pool, role, CASE WHEN pool = ${p} THEN phone END AS phone, CASE WHEN pool = ${p} THEN email END AS email, ` +
      `CASE WHEN pool = ${p} THEN username END AS username FROM users WHERE id > ${after} ORDER BY id`,
    'id',
  )
  for (const u of users) {
    const id = String(u.id)
    existing.accounts.set(id, { pool: String(u.pool), role: String(u.role) })
    const [phone, email, username] = [str(u.phone), str(u.email), str(u.username)]
    if (phone) existing.phones.set(phone, id)
    if (email) existing.emails.set(email, id)
    if (username) existing.usernames.set(username, id)
  }
  if (!withDevices) return existing
  const devices = allRows(
    target,
    (after) => `SELECT device_id, user_id FROM devices WHERE pool = ${p} AND device_id > ${after} ORDER BY device_id`,
    'device_id',
  )
  for (const d of devices) existing.devices.set(String(d.device_id), String(d.user_id))
  return existing
}
