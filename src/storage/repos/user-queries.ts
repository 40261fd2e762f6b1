import { and, eq, isNotNull, isNull, ne, notInArray, or, type Placeholder, sql } from 'drizzle-orm'
import { STAFF_ROLES } from '../../config'
import type { Db } from '../db/client'
import { type Bind, prepared } from '../db/prepared'
import { type UserRow, users } from '../db/schema'

export type HolderColumn = 'phone' | 'email' | 'username'

/** The account of `pool` holding a phone, email or username, as a statement built once; bound with `value`. */
export function preparedHolder(db: Db, column: HolderColumn, pool: string): Bind<UserRow[]> {
  return prepared(
    db.$client,
    db
      .select()
      .from(users)
      .where(and(eq(users.pool, pool), eq(users[column], sql.placeholder('value'))))
      .limit(1)
      .prepare(),
  )
}

/** Whether a `register` code sent for the account (as it is now) is still unexpired. */
export const liveRegisterCode = (now: number | Placeholder, except: string | Placeholder = '') =>
  sql`EXISTS (SELECT 1 FROM otp_challenges c WHERE c.user_id = ${users.id} AND c.user_stamp = ${users.createdAt}
    AND c.purpose = 'register' AND c.expires_at > ${now} AND c.id <> ${except})`

/** The three statements of `releaseUnprovenEmail`: drop, clear, and release (returning ids). */
export function releaseEmailQueries(
  db: Db,
  { email, pool }: { email: string; pool: string },
  keep: { id?: string; phone?: string | null },
  now: number,
) {
  const others = and(
    eq(users.pool, pool),
    eq(users.email, email),
    keep.id ? ne(users.id, keep.id) : undefined,
    keep.phone ? or(isNull(users.phone), ne(users.phone, keep.phone)) : undefined,
  )
  const pending = and(others, eq(users.status, 'pending'))
  const unproven = and(
    others,
    ne(users.status, 'pending'),
    eq(users.emailVerified, false),
    notInArray(users.role, [...STAFF_ROLES]),
    or(isNotNull(users.phone), isNotNull(users.username)),
  )
  return [
    db.delete(users).where(and(pending, isNull(users.phone))),
    db.update(users).set({ email: null }).where(pending),
    db.update(users).set({ email: null, updatedAt: now }).where(unproven).returning({ id: users.id }),
  ] as const
}
