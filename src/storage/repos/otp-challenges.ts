import { and, eq, gt, inArray, isNull, type Placeholder, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type BatchStatement, once, preparedSql } from '../db/prepared'
import { otpChallenges } from '../db/schema'
import { type Hit, type HitRow, hitValues, preparedHit, toHit } from './rate-limits'

export interface ReserveInput {
  id: string
  destination: string
  purpose: string
  maxAttempts: number
  now: number
  expiresAt: number
  cooldownMs: number
  dailyLimit: number
  /** The sender's counter (per IP), hit first: over its limit, no challenge is made. */
  sender: { key: string; windowMs: number; limit: number }
  /** Counters hit only when the challenge is made (an SMS's prefix and country). */
  charged: { keys: string[]; windowMs: number }
  /**
   * The endpoint's per-IP request counter, hit before everything: over its limit, nothing else
   * is counted or made (the limit a middleware would apply, without a round trip of its own).
   */
  request?: { key: string; windowMs: number; max: number }
}

export type ReserveResult =
  | { ok: true; charged: Hit[] }
  | { ok: false; limit: 'request' | 'sender' | 'cooldown' | 'daily'; retryAfterMs: number }

export const DAY_MS = 86_400_000
const t = otpChallenges

type Value<T> = T | Placeholder

/**
 * A challenge that may still take a guess: open, unexpired, under its attempt cap, and its
 * destination under the daily failure cap (failures since `dayAgo`).
 */
export const liveChallenge = (
  id: Value<string>,
  destination: Value<string>,
  now: Value<number>,
  dayAgo: Value<number>,
  maxFailuresPerDay: Value<number>,
) =>
  and(
    eq(t.id, id),
    isNull(t.closedAt),
    sql`${t.attempts} < ${t.maxAttempts}`,
    gt(t.expiresAt, now),
    // SPEC §5: refused once the destination has MORE than the cap's wrong guesses in 24 h.
    sql`(SELECT coalesce(sum(failures), 0) FROM otp_challenges WHERE destination = ${destination} AND created_at > ${dayAgo}) <= ${maxFailuresPerDay}`,
  )

const live = (id: string, destination: string, now: number, maxFailuresPerDay: number) =>
  liveChallenge(id, destination, now, now - DAY_MS, maxFailuresPerDay)

export function otpChallengesRepo(db: Db) {
  const at = sql.placeholder
  // The reservation's statements, built once (see prepared.ts); `gated` ones are made only while
  // the endpoint's request counter (`requestKey`, `requestMax`) is under its limit.
  const reservation = once(() => {
    const d1 = db.$client
    const underRequestLimit = sql`(SELECT count FROM rate_limits WHERE key = ${at('requestKey')}) <= ${at('requestMax')}`
    const created = sql`EXISTS (SELECT 1 FROM otp_challenges WHERE id = ${at('id')})`
    const insert = (gated: boolean) =>
      preparedSql<{ id: string }>(
        d1,
        sql`INSERT INTO otp_challenges (id, destination, purpose, max_attempts, created_at, expires_at)
        SELECT ${at('id')}, ${at('destination')}, ${at('purpose')}, ${at('maxAttempts')}, ${at('now')}, ${at('expiresAt')}
        WHERE ${gated ? underRequestLimit : sql`1`}
          AND (SELECT count FROM rate_limits WHERE key = ${at('senderKey')}) <= ${at('senderLimit')}
          AND NOT EXISTS (SELECT 1 FROM otp_challenges WHERE destination = ${at('destination')} AND created_at > ${at('cooldownSince')})
          AND (SELECT count(*) FROM otp_challenges WHERE destination = ${at('destination')} AND created_at > ${at('dayAgo')}) < ${at('dailyLimit')}
        RETURNING id`,
      )
    const hit = preparedHit(d1)
    return {
      hit,
      senderHit: { open: hit, gated: preparedHit(d1, underRequestLimit) },
      insert: { open: insert(false), gated: insert(true) },
      closeOlder: preparedSql(
        d1,
        sql`UPDATE otp_challenges SET closed_at = ${at('now')}
        WHERE destination = ${at('destination')} AND purpose = ${at('purpose')} AND closed_at IS NULL AND id <> ${at('id')} AND ${created}`,
      ),
      chargedHit: preparedHit(d1, created),
    }
  })

  return {
    /**
     * Hits the sender's counter and creates a challenge only if the sender is under its limit
     * and the destination outside its resend cooldown and under its daily cap; closes the
     * destination's older open challenge of the same purpose and hits the `charged` counters.
     * One D1 batch of conditional statements (one transaction), so concurrent requests cannot
     * both pass a limit, and a refused send charges only the sender's counter. With a `request`
     * counter, it is hit first and gates everything else; `read` runs in the same batch.
     */
    async reserve<R = undefined>(i: ReserveInput, read?: BatchStatement<R>): Promise<ReserveResult & { read: R | undefined }> {
      const q = reservation()
      const request = i.request
      const gate = request ? 'gated' : 'open'
      const values = {
        id: i.id,
        destination: i.destination,
        purpose: i.purpose,
        maxAttempts: i.maxAttempts,
        now: i.now,
        expiresAt: i.expiresAt,
        senderKey: i.sender.key,
        senderLimit: i.sender.limit,
        cooldownSince: i.now - i.cooldownMs,
        dayAgo: i.now - DAY_MS,
        dailyLimit: i.dailyLimit,
        requestKey: request?.key,
        requestMax: request?.max,
      }
      const statements = [
        ...(request ? [q.hit(hitValues(request.key, request.windowMs, i.now))] : []),
        ...(read ? [read] : []),
        q.senderHit[gate]({ ...values, ...hitValues(i.sender.key, i.sender.windowMs, i.now) }),
        q.insert[gate](values),
        q.closeOlder(values),
        ...i.charged.keys.map((key) => q.chargedHit({ ...values, ...hitValues(key, i.charged.windowMs, i.now) })),
      ]
      const results = await db.$client.batch(statements.map((x) => x.statement))
      const requestHit = request ? (results.shift() as D1Result<HitRow>) : undefined
      const readResult = read ? read.read(results.shift() as D1Result) : undefined
      const [hit, inserted, , ...charged] = results as D1Result<HitRow & { id: string }>[]
      if (!hit || !inserted) throw new Error('D1 batch returned no result')
      const refused = (limit: 'request' | 'sender' | 'cooldown' | 'daily', retryAfterMs: number) =>
        ({ ok: false, limit, retryAfterMs, read: readResult }) as const
      if (request) {
        const perRequest = toHit(requestHit?.results[0], request.windowMs, i.now)
        if (perRequest.count > request.max) return refused('request', perRequest.resetInMs)
      }
      // The returned row, not `meta.changes`, says whether this call inserted (definitive under concurrency).
      if (inserted.results.length === 1) {
        return { ok: true, charged: charged.map((r) => toHit(r.results[0], i.charged.windowMs, i.now)), read: readResult }
      }
      const perSender = toHit(hit.results[0], i.sender.windowMs, i.now)
      if (perSender.count > i.sender.limit) return refused('sender', perSender.resetInMs)

      const recent = await db
        .select({ createdAt: t.createdAt })
        .from(t)
        .where(and(eq(t.destination, i.destination), gt(t.createdAt, i.now - DAY_MS)))
        .orderBy(t.createdAt)
        .all()
      const latest = recent.at(-1)?.createdAt ?? i.now
      if (latest > i.now - i.cooldownMs) return refused('cooldown', latest + i.cooldownMs - i.now)
      const oldest = recent[0]?.createdAt ?? i.now
      return refused('daily', oldest + DAY_MS - i.now)
    },

    /** Forgets a challenge whose code could not be delivered: it must not count against the cooldown. */
    release: (id: string) => db.delete(t).where(eq(t.id, id)).run(),

    /**
     * Spends one attempt on a live challenge with a wrong guess, atomically: the row must be
     * open, unexpired, under its attempt cap, and its destination under the daily failure cap.
     * The guess counts as a failure in the same statement: counting it later would let
     * concurrent guesses pass the daily cap. Undefined when the challenge took no guess.
     */
    spendAttempt: (id: string, destination: string, now: number, maxFailuresPerDay: number) =>
      db
        .update(t)
        .set({ attempts: sql`${t.attempts} + 1`, failures: sql`${t.failures} + 1` })
        .where(live(id, destination, now, maxFailuresPerDay))
        .returning({ id: t.id })
        .get(),

    /**
     * Uses the challenge with a right guess, under the same conditions as `spendAttempt`: spends
     * the attempt and closes it. True only for the one caller that consumed it.
     */
    async consume(id: string, destination: string, now: number, maxFailuresPerDay: number) {
      const used = await db
        .update(t)
        .set({ attempts: sql`${t.attempts} + 1`, closedAt: now })
        .where(live(id, destination, now, maxFailuresPerDay))
        .returning({ id: t.id })
      return used.length === 1
    },

    byId: (id: string) => db.select().from(t).where(eq(t.id, id)).get(),

    /** Closes the open challenges of a purpose at these destinations: their codes stop working. */
    closeOpen: (destinations: string[], purpose: string, now: number) =>
      destinations.length === 0
        ? Promise.resolve()
        : db
            .update(t)
            .set({ closedAt: now })
            .where(and(inArray(t.destination, destinations), eq(t.purpose, purpose), isNull(t.closedAt)))
            .run(),

    /**
     * When the destination's wrong guesses of the last 24 h (summed over the challenges created
     * in that window) fall back to `max` or fewer, as the oldest challenges leave the window;
     * null when they are not over `max` now.
     */
    async failuresClearAt(destination: string, now: number, max: number): Promise<number | null> {
      const rows = await db
        .select({ createdAt: t.createdAt, failures: t.failures })
        .from(t)
        .where(and(eq(t.destination, destination), gt(t.createdAt, now - DAY_MS), gt(t.failures, 0)))
        .orderBy(t.createdAt)
        .all()
      let left = rows.reduce((sum, r) => sum + r.failures, 0)
      if (left <= max) return null
      for (const r of rows) {
        left -= r.failures
        if (left <= max) return r.createdAt + DAY_MS
      }
      return now // not reached for a cap of 0 or more: with every row gone, none are left
    },
  }
}

export type OtpChallengesRepo = ReturnType<typeof otpChallengesRepo>
