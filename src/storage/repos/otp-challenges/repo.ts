import { and, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm'
import { DAY_MS } from '../../../time'
import type { Db } from '../../db/client'
import { once, runBatch } from '../../db/prepared'
import { otpChallenges as t, type UserRow } from '../../db/schema'
import { hitValues } from '../rate-limits'
import { preparedHolder } from '../users'
import { boundToHolder, type GuessInput, holderValues, live } from './conditions'
import { challengeQueries } from './queries'
import { type RequestLimit, type ReserveInput, type ReserveResult, reserveChallenge } from './reserve'

const CHANGE_PURPOSES = ['email_change', 'phone_change']

/** One pool's codes (SPEC §12: a code works in its pool only). */
export function otpChallengesRepo(db: Db, pool: string) {
  const holders = once(() => ({ phone: preparedHolder(db, 'phone', pool), email: preparedHolder(db, 'email', pool) }))
  return {
    /** Applies the send limits and reserves a challenge (see `reserveChallenge`): one D1 batch. */
    async reserve(i: ReserveInput): Promise<ReserveResult> {
      const { read: _, ...result } = await reserveChallenge(db, { ...i, pool })
      return result
    },

    /**
     * `reserve` for an endpoint without a rate-limit middleware: its per-IP request `limit` is hit
     * first (over it, nothing else is counted or made), and the account holding the destination is
     * read in the same batch. One round trip for all.
     */
    async reserveForRequest(i: ReserveInput & { limit: RequestLimit }): Promise<ReserveResult & { holder: UserRow | undefined }> {
      const { holderPhone, holderEmail } = holderValues(i.destination)
      const holder = holderPhone !== null ? holders().phone({ value: holderPhone }) : holders().email({ value: holderEmail })
      const { read, ...result } = await reserveChallenge(db, { ...i, pool }, holder)
      return { ...result, holder: read?.[0] }
    },

    /**
     * Closes the destination's other open codes of the purpose, once a reservation made with
     * `closeOlder: false` is accepted (a refused request must not kill someone else's code).
     */
    async closeOlder(r: { id: string; destination: string; purpose: string; now: number }): Promise<void> {
      await runBatch(db.$client, [challengeQueries(db).closeOlder({ ...r, pool })])
    },

    /** Forgets a challenge whose code could not be delivered: it must not count against the cooldown. */
    release: (id: string) => db.delete(t).where(eq(t.id, id)).run(),

    /**
     * Spends one attempt on a live challenge with a wrong guess, atomically: the row must be
     * open, unexpired, under its attempt cap, and the guesser's IP bucket under its daily failure
     * cap. The guess is counted on that bucket's counter in the same batch: counting it later would
     * let concurrent guesses pass the daily cap. False when the challenge took no guess.
     */
    async spendAttempt(g: GuessInput, guessId: string): Promise<boolean> {
      const q = challengeQueries(db)
      const values = {
        id: g.id,
        failKey: g.failKey,
        now: g.now,
        dayAgo: g.now - DAY_MS,
        maxFailures: g.maxFailuresPerDay,
        guessId,
      }
      const [spent] = await runBatch(db.$client, [
        q.spend(values),
        q.failHit({ ...values, ...hitValues(g.failKey, DAY_MS, g.now) }),
      ])
      return spent.length === 1
    },

    /**
     * Uses the challenge with a right guess, under the same conditions as `spendAttempt` and only
     * while it is bound to the destination's holder (`boundToHolder`): spends the attempt and
     * closes it. True only for the one caller that consumed it.
     */
    async consume(g: GuessInput) {
      const { holderPhone, holderEmail } = holderValues(g.destination)
      const used = await db
        .update(t)
        .set({ attempts: sql`${t.attempts} + 1`, closedAt: g.now })
        // A contact change's code confirms an address nobody may hold yet: it is bound to the account
        // asking for the change by that account's pending column, checked where the change is applied.
        .where(and(live(g), or(inArray(t.purpose, CHANGE_PURPOSES), boundToHolder(holderPhone, holderEmail, pool))))
        .returning({ id: t.id })
      return used.length === 1
    },

    byId: (id: string) => db.select().from(t).where(eq(t.id, id)).get(),

    /** Whether a code of `purpose` sent to `destination` for no account (an OTP sign-up) can still be used. */
    async liveUnbound(destination: string, purpose: string, now: number): Promise<boolean> {
      const row = await db
        .select({ id: t.id })
        .from(t)
        .where(
          and(
            eq(t.destination, destination),
            eq(t.pool, pool),
            eq(t.purpose, purpose),
            isNull(t.userId),
            isNull(t.closedAt),
            sql`${t.attempts} < ${t.maxAttempts}`,
            gt(t.expiresAt, now),
          ),
        )
        .get()
      return row !== undefined
    },

    /** Closes the open challenges of a purpose at these destinations: their codes stop working. */
    closeOpen: (destinations: string[], purpose: string, now: number) =>
      destinations.length === 0
        ? Promise.resolve()
        : db
            .update(t)
            .set({ closedAt: now })
            .where(and(inArray(t.destination, destinations), eq(t.pool, pool), eq(t.purpose, purpose), isNull(t.closedAt)))
            .run(),

    /**
     * When the daily failure counter `failKey` is over `max`, the time its window ends (Retry-After);
     * null when it is not over `max` now.
     */
    async failuresClearAt(failKey: string, now: number, max: number): Promise<number | null> {
      const row = await db.get<{ count: number; windowStart: number } | undefined>(
        sql`SELECT count, window_start AS windowStart FROM rate_limits WHERE key = ${failKey} AND window_start > ${now - DAY_MS}`,
      )
      return row && row.count > max ? row.windowStart + DAY_MS : null
    },
  }
}

export type OtpChallengesRepo = ReturnType<typeof otpChallengesRepo>
