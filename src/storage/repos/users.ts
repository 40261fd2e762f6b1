import {
  and,
  desc,
  eq,
  getTableColumns,
  inArray,
  isNotNull,
  isNull,
  lt,
  ne,
  notInArray,
  or,
  type Placeholder,
  sql,
} from 'drizzle-orm'
import { STAFF_ROLES } from '../../config'
import type { Db } from '../db/client'
import { type BatchStatement, type Bind, once, prepared, runBatch } from '../db/prepared'
import { type UserRow, users } from '../db/schema'

export type NewUser = typeof users.$inferInsert
export interface UserFilter {
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

type HolderColumn = 'phone' | 'email' | 'username'

const otherActiveSuperAdmin = (id: string) =>
  sql`EXISTS (SELECT 1 FROM users AS other WHERE other.role = 'super_admin' AND other.status = 'active' AND other.id <> ${id})`

/** The account holding a phone, email or username, as a statement built once; bound with `value`. */
export function preparedHolder(db: Db, column: HolderColumn): Bind<UserRow[]> {
  return prepared(
    db.$client,
    db
      .select()
      .from(users)
      .where(eq(users[column], sql.placeholder('value')))
      .limit(1)
      .prepare(),
  )
}

/** Whether a `register` code sent for the account (as it is now) is still unexpired. */
const liveRegisterCode = (now: number | Placeholder, except: string | Placeholder = '') =>
  sql`EXISTS (SELECT 1 FROM otp_challenges c WHERE c.user_id = ${users.id} AND c.user_stamp = ${users.createdAt}
    AND c.purpose = 'register' AND c.expires_at > ${now} AND c.id <> ${except})`

/** The three statements of `releaseUnprovenEmail`: drop, clear, and release (returning ids). */
function releaseEmailQueries(db: Db, email: string, keep: { id?: string; phone?: string | null }, now: number) {
  const others = and(
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

export function usersRepo(db: Db) {
  const registration = once(() =>
    prepared(
      db.$client,
      db
        .select({ user: users, liveCode: sql<number>`${liveRegisterCode(sql.placeholder('now'))}` })
        .from(users)
        .where(or(eq(users.phone, sql.placeholder('phone')), eq(users.email, sql.placeholder('email'))))
        .prepare(),
    ),
  )
  const holders = once(() => ({
    phone: preparedHolder(db, 'phone'),
    email: preparedHolder(db, 'email'),
    username: preparedHolder(db, 'username'),
  }))
  return {
    byId: (id: string) => db.select().from(users).where(eq(users.id, id)).get(),
    byPhone: (phone: string) => db.select().from(users).where(eq(users.phone, phone)).get(),
    byEmail: (email: string) => db.select().from(users).where(eq(users.email, email)).get(),
    byUsername: (username: string) => db.select().from(users).where(eq(users.username, username)).get(),
    /** The account holding a phone, email or username, as a statement for a `runBatch` (at most one row). */
    holderStatement: (column: HolderColumn, value: string) => holders()[column]({ value }),
    /**
     * What a registration must know before it hashes anything, as a statement for the reservation
     * batch: the accounts holding its phone or email, each with whether a `register` code sent
     * for it (as it is now) is still unexpired (SPEC §6.1: such an account is not replaced).
     */
    registrationStatement: (phone: string | null, email: string | null, now: number) => registration()({ phone, email, now }),
    /** `registrationStatement`, read on its own (a contact change's confirmation, SPEC §6.2). */
    async registrationHolders(phone: string | null, email: string | null, now: number) {
      const [held] = await runBatch(db.$client, [registration()({ phone, email, now })])
      return held
    },

    /**
     * Writes a registration in one D1 batch: takes `claimEmail` from the accounts holding it
     * unproven (see releaseUnprovenEmail), creates the pending account or replaces a pending one
     * holding its primary identifier (`by`) whose codes have all expired (it gets a new
     * `created_at`, so codes sent for it before stay dead), then runs `after` (the challenge's
     * binding). Returns the account, undefined when another holds the identifier, and the
     * accounts that lost the email.
     */
    async savePending(i: {
      row: NewUser
      by: 'phone' | 'email'
      claimEmail: string | null
      now: number
      /** The registration's own challenge (it does not make the account "live"). */
      challengeId: string
      after: BatchStatement<unknown>[]
    }): Promise<{ user: UserRow | undefined; released: string[] }> {
      const { id: _id, ...replace } = i.row
      const d1 = db.$client
      const bind = <R>(q: { prepare(): Parameters<typeof prepared<R>>[1] }) => prepared<R>(d1, q.prepare())({})
      const claim = i.claimEmail ? releaseEmailQueries(db, i.claimEmail, { phone: i.row.phone ?? null }, i.now) : []
      const upsert = db
        .insert(users)
        .values(i.row)
        .onConflictDoUpdate({
          target: users[i.by],
          set: replace,
          setWhere: sql`${users.status} = 'pending' AND NOT ${liveRegisterCode(i.now, i.challengeId)}`,
        })
        .returning()
      const statements = [...claim.map((q) => bind<unknown>(q)), bind<UserRow[]>(upsert), ...i.after]
      const results = await runBatch(d1, statements)
      const released = (claim.length ? (results[2] as { id: string }[]) : []).map((r) => r.id)
      return { user: (results[claim.length] as UserRow[])[0], released }
    },

    /**
     * Frees an email no account has proved (SPEC §6.1 reserves identifiers for verified
     * accounts only): held by a pending account (an unfinished sign-up), or unverified on an
     * end user's account that keeps another identifier to sign in with (a phone or a username). `keep` names
     * the account being written (by id, or by phone for a pending re-registration); pending rows
     * left with no identifier are dropped. Returns the other accounts that lost it.
     */
    async releaseUnprovenEmail(email: string, keep: { id?: string; phone?: string | null }, now: number): Promise<string[]> {
      const [drop, clear, release] = releaseEmailQueries(db, email, keep, now)
      const [, , released] = await db.batch([drop, clear, release])
      return released.map((r) => r.id)
    },

    /** Newest first, filtered; `q` matches phone, email, username, name or surname (a substring). */
    page(f: UserFilter): Promise<UserRow[]> {
      const like = f.q ? `%${f.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%` : undefined
      return db
        .select()
        .from(users)
        .where(
          and(
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

    insert: (row: NewUser) => db.insert(users).values(row).returning().get(),

    /**
     * Inserts a sub-client only while its parent is an active client: the check and the insert
     * are one statement (INSERT … SELECT … FROM the parent's row), so no concurrent demotion,
     * disabling or deletion of the parent slips between them. Undefined when the parent is not one.
     */
    insertUnderClient(row: NewUser & { parentId: string }): Promise<UserRow | undefined> {
      const given = row as Record<string, unknown>
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
          and(eq(users.phone, phone), ne(users.id, exceptId), eq(users.status, 'pending'), sql`NOT ${liveRegisterCode(now)}`),
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
