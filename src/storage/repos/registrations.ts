import { and, eq, or, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type BatchStatement, once, prepared, runBatch } from '../db/prepared'
import { type UserRow, users } from '../db/schema'
import { holderValues } from './otp-challenges/conditions'
import { challengeQueries } from './otp-challenges/queries'
import { type ReserveInput, type ReserveResult, reserveChallenge } from './otp-challenges/reserve'
import { liveRegisterCode, releaseEmailQueries } from './user-queries'
import type { NewUser } from './users'

/** An account holding a registration's phone or email, and whether a code sent for it (as it is) still lives. */
export interface Held {
  user: UserRow
  liveCode: number
}

/** A registration's challenge to bind; with `stamp`, older codes close only if the account now has that created_at. */
export interface BindInput {
  id: string
  destination: string
  purpose: string
  now: number
  stamp?: number
}

export interface SaveInput {
  row: NewUser
  /** The identifier a pending account is replaced by. */
  by: 'phone' | 'email'
  claimEmail: string | null
  now: number
  /** The registration's own challenge, bound to the account written (it does not make the account "live"). */
  bind: BindInput
}

/**
 * Registration's intents (SPEC §6.1), each one D1 batch: `begin` before the password is hashed,
 * then `save` (a new or replaced pending account) or `keep` (a live pending account, unchanged).
 */
export function registrationsRepo(db: Db, pool: string) {
  const held = once(() =>
    prepared(
      db.$client,
      db
        .select({ user: users, liveCode: sql<number>`${liveRegisterCode(sql.placeholder('now'))}` })
        .from(users)
        .where(
          and(eq(users.pool, pool), or(eq(users.phone, sql.placeholder('phone')), eq(users.email, sql.placeholder('email')))),
        )
        .prepare(),
    ),
  )
  // The challenge is bound to the account now holding its destination, and that destination's older open codes close.
  const bindStatements = (i: BindInput): BatchStatement<unknown>[] => {
    const q = challengeQueries(db)
    const values = { ...i, pool, stamp: i.stamp ?? null, ...holderValues(i.destination) }
    return [q.bind(values), q.closeBound(values)]
  }
  return {
    /**
     * What a registration must know before it hashes anything, in one round trip: the request
     * limit and send limits applied and the challenge reserved (`reserve`; its older code stays
     * open, see `save`), and the accounts holding the phone or email, each with whether a
     * `register` code sent for it (as it is now) is still unexpired.
     */
    async begin(i: {
      phone: string | null
      email: string | null
      reserve: ReserveInput
    }): Promise<{ reserved: ReserveResult; holders: Held[] }> {
      const read = held()({ phone: i.phone, email: i.email, now: i.reserve.now })
      const { read: holders, ...reserved } = await reserveChallenge(db, { ...i.reserve, pool, closeOlder: false }, read)
      return { reserved, holders: holders ?? [] }
    },

    /** The accounts holding a phone or email, each with whether its `register` code lives (a contact change's check, SPEC §6.2). */
    async holders(phone: string | null, email: string | null, now: number): Promise<Held[]> {
      const [found] = await runBatch(db.$client, [held()({ phone, email, now })])
      return found
    },

    /**
     * Writes a registration in one D1 batch: takes `claimEmail` from the accounts holding it
     * unproven (see users.releaseUnprovenEmail), creates the pending account or replaces a pending
     * one holding its primary identifier (`by`) whose codes have all expired (it gets a new
     * `created_at`, so codes sent for it before stay dead), then binds the challenge to it and
     * closes older codes (only if this wrote the account). Returns the account, undefined when
     * another holds the identifier, and the accounts that lost the email.
     */
    async save(i: SaveInput): Promise<{ user: UserRow | undefined; released: string[] }> {
      const { id: _id, ...replace } = i.row
      const d1 = db.$client
      const bind = <R>(q: { prepare(): Parameters<typeof prepared<R>>[1] }) => prepared<R>(d1, q.prepare())({})
      const claim = i.claimEmail
        ? releaseEmailQueries(db, { email: i.claimEmail, pool }, { phone: i.row.phone ?? null }, i.now)
        : []
      const upsert = db
        .insert(users)
        .values({ ...i.row, pool })
        .onConflictDoUpdate({
          target: [users.pool, users[i.by]],
          set: replace,
          setWhere: sql`${users.status} = 'pending' AND NOT ${liveRegisterCode(i.now, i.bind.id)}`,
        })
        .returning()
      const statements = [...claim.map((q) => bind<unknown>(q)), bind<UserRow[]>(upsert), ...bindStatements(i.bind)]
      const results = await runBatch(d1, statements)
      const released = (claim.length ? (results[2] as { id: string }[]) : []).map((r) => r.id)
      return { user: (results[claim.length] as UserRow[])[0], released }
    },

    /** A registration over a live pending account that writes nothing: binds its challenge and closes older codes. */
    async keep(i: BindInput): Promise<void> {
      await runBatch(db.$client, bindStatements(i))
    },
  }
}

export type RegistrationsRepo = ReturnType<typeof registrationsRepo>
