import { and, desc, eq, getTableColumns, inArray, lt, ne, or, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { once } from '../db/prepared'
import { type UserRow, users } from '../db/schema'
import { type HolderColumn, liveRegisterCode, preparedHolder, releaseEmailQueries } from './user-queries'

export { preparedHolder } from './user-queries'

export type NewUser = typeof users.$inferInsert
export interface UserFilter {
  pool?: string | undefined
  role?: string | undefined
  roles?: string[] | undefined
  status?: UserRow['status'] | undefined
  parentId?: string | undefined
  q?: string | undefined
  limit: number
  cursor?: string | undefined
}

export type UserPatch = Partial<Omit<NewUser, 'id' | 'createdAt'>>

/** True when D1 refused a write for a UNIQUE index; `column` narrows it to one column. */
export function isUniqueViolation(err: unknown, column?: string): boolean {
  const message = String((err as { cause?: { message?: string } })?.cause?.message ?? (err as Error)?.message ?? '')
  return message.includes('UNIQUE constraint failed') && (!column || message.includes(`users.${column}`))
}

const otherActiveSuperAdmin = (id: string) =>
  sql`EXISTS (SELECT 1 FROM users AS other WHERE other.role = 'super_admin' AND other.status = 'active' AND other.id <> ${id})`

/** The accounts of one user pool (SPEC §12): lookups by identifier and inserts are that pool's; by id, any. */
export function usersRepo(db: Db, pool: string) {
  const holders = once(() => ({
    phone: preparedHolder(db, 'phone', pool),
    email: preparedHolder(db, 'email', pool),
    username: preparedHolder(db, 'username', pool),
  }))
  const inPool = eq(users.pool, pool)
  return {
    byId: (id: string) => db.select().from(users).where(eq(users.id, id)).get(),
    byPhone: (phone: string) =>
      db
        .select()
        .from(users)
        .where(and(inPool, eq(users.phone, phone)))
        .get(),
    byEmail: (email: string) =>
      db
        .select()
        .from(users)
        .where(and(inPool, eq(users.email, email)))
        .get(),
    byUsername: (username: string) =>
      db
        .select()
        .from(users)
        .where(and(inPool, eq(users.username, username)))
        .get(),
    /** The account holding a phone, email or username, as a statement for a `runBatch` (at most one row). */
    holderStatement: (column: HolderColumn, value: string) => holders()[column]({ value }),
    /**
     * Frees an email no account has proved (SPEC §6.1 reserves identifiers for verified
     * accounts only): held by a pending account (an unfinished sign-up), or unverified on an
     * end user's account that keeps another identifier to sign in with (a phone or a username). `keep` names
     * the account being written (by id, or by phone for a pending re-registration); pending rows
     * left with no identifier are dropped. Returns the other accounts that lost it.
     */
    async releaseUnprovenEmail(email: string, keep: { id?: string; phone?: string | null }, now: number): Promise<string[]> {
      const [drop, clear, release] = releaseEmailQueries(db, { email, pool }, keep, now)
      const [, , released] = await db.batch([drop, clear, release])
      return released.map((r) => r.id)
    },

    /** Newest first, filtered (every pool's unless `pool` names one); `q` matches phone, email, username, name or surname (a substring). */
    page(f: UserFilter): Promise<UserRow[]> {
      const like = f.q ? `%${f.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%` : undefined
      return db
        .select()
        .from(users)
        .where(
          and(
            f.pool ? eq(users.pool, f.pool) : undefined,
            f.role ? eq(users.role, f.role) : undefined,
            f.roles ? inArray(users.role, f.roles) : undefined,
            f.status ? eq(users.status, f.status) : undefined,
            f.parentId ? eq(users.parentId, f.parentId) : undefined,
            like
              ? or(
                  sql`${users.phone} LIKE ${like} ESCAPE '\\'`,
                  sql`${users.email} LIKE ${like} ESCAPE '\\'`,
                  sql`${users.username} LIKE ${like} ESCAPE '\\'`,
                  sql`${users.name} LIKE ${like} ESCAPE '\\'`,
                  sql`${users.surname} LIKE ${like} ESCAPE '\\'`,
                )
              : undefined,
            f.cursor ? lt(users.id, f.cursor) : undefined,
          ),
        )
        .orderBy(desc(users.id))
        .limit(f.limit)
        .all()
    },

    insert: (row: NewUser) =>
      db
        .insert(users)
        .values({ ...row, pool })
        .returning()
        .get(),

    /**
     * Inserts a sub-client only while its parent is an active client: the check and the insert
     * are one statement (INSERT … SELECT … FROM the parent's row), so no concurrent demotion,
     * disabling or deletion of the parent slips between them. Undefined when the parent is not one.
     */
    insertUnderClient(row: NewUser & { parentId: string }): Promise<UserRow | undefined> {
      const given = { ...row, pool } as Record<string, unknown>
      const values = Object.entries(getTableColumns(users)).map(([key, column]) => {
        // Every column, in the table's order: what was given, else its default (as drizzle's insert would).
        const value = given[key] !== undefined ? given[key] : (column.default ?? column.defaultFn?.() ?? null)
        return sql`${value === null ? null : column.mapToDriverValue(value)}`
      })
      return db
        .insert(users)
        .select(
          sql`SELECT ${sql.join(values, sql`, `)} FROM users AS parent
          WHERE parent.id = ${row.parentId} AND parent.role = 'client' AND parent.status = 'active'`,
        )
        .returning()
        .get()
    },

    update: (id: string, patch: UserPatch) => db.update(users).set(patch).where(eq(users.id, id)).returning().get(),

    /**
     * `update`, only while no account has `id` as its parent (a client's demotion): the check is in
     * the same statement, so a sub-client created concurrently cannot be left under a non-client.
     */
    updateChildless: (id: string, patch: UserPatch) =>
      db
        .update(users)
        .set(patch)
        .where(and(eq(users.id, id), sql`NOT EXISTS (SELECT 1 FROM users AS child WHERE child.parent_id = ${id})`))
        .returning()
        .get(),

    /**
     * Makes a confirmed pending email or phone the account's own, verified, if it is still the
     * pending one (one conditional statement: a newer PATCH /me in between wins). Undefined when
     * it is not; a UNIQUE violation when another account holds the address meanwhile.
     */
    promotePending(id: string, which: 'email' | 'phone', address: string, now: number): Promise<UserRow | undefined> {
      const set =
        which === 'email'
          ? { email: address, emailVerified: true, pendingEmail: null, pendingEmailAt: null }
          : { phone: address, phoneVerified: true, pendingPhone: null, pendingPhoneAt: null }
      const pending = which === 'email' ? users.pendingEmail : users.pendingPhone
      return db
        .update(users)
        .set({ ...set, updatedAt: now })
        .where(and(eq(users.id, id), eq(pending, address)))
        .returning()
        .get()
    },

    /**
     * Deletes the pending registration holding `phone` once its `register` code has expired (a
     * phone change confirmed by its code takes it over, SPEC §6.2); one conditional statement, so a
     * registration renewed meanwhile is kept.
     */
    releaseStalePendingPhone: (phone: string, exceptId: string, now: number) =>
      db
        .delete(users)
        .where(
          and(
            inPool,
            eq(users.phone, phone),
            ne(users.id, exceptId),
            eq(users.status, 'pending'),
            sql`NOT ${liveRegisterCode(now)}`,
          ),
        )
        .run(),

    /** Sets the password hash only if it is still `expected` (no lost update when two logins rehash). */
    replacePasswordHash: (id: string, expected: string, next: string) =>
      db
        .update(users)
        .set({ passwordHash: next })
        .where(and(eq(users.id, id), eq(users.passwordHash, expected)))
        .run(),

    /**
     * Deletes the account; its sessions, history and devices go with it (ON DELETE CASCADE).
     * Never the last active super admin, nor a client that still has sub-clients (false): the
     * checks and the delete are one statement, so no concurrent change slips between them.
     */
    async delete(id: string): Promise<boolean> {
      const row = await db
        .delete(users)
        .where(
          and(
            eq(users.id, id),
            sql`NOT (${users.role} = 'super_admin' AND NOT ${otherActiveSuperAdmin(id)})`,
            sql`NOT EXISTS (SELECT 1 FROM users AS child WHERE child.parent_id = ${id})`,
          ),
        )
        .returning({ id: users.id })
        .get()
      return row !== undefined
    },

    /** Whether an active super admin other than `id` exists. */
    async otherActiveSuperAdmin(id: string): Promise<boolean> {
      const row = await db.get<{ found: number }>(sql`SELECT ${otherActiveSuperAdmin(id)} AS found`)
      return row.found === 1
    },
  }
}

export type UsersRepo = ReturnType<typeof usersRepo>
