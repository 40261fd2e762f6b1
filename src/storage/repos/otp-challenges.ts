import { and, eq, gt, isNull, type Placeholder, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import type { BatchStatement } from '../db/prepared'
import { rawStatement } from '../db/raw'
import { otpChallenges } from '../db/schema'
import { type Hit, type HitRow, hitStatement, toHit } from './rate-limits'

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
    sql`(SELECT coalesce(sum(failures), 0) FROM otp_challenges WHERE destination = ${destination} AND created_at > ${dayAgo}) < ${maxFailuresPerDay}`,
  )

const live = (id: string, destination: string, now: number, maxFailuresPerDay: number) =>
  liveChallenge(id, destination, now, now - DAY_MS, maxFailuresPerDay)

export function otpChallengesRepo(db: Db) {
  return {
    /**
     * Hits the sender's counter and creates a challenge only if the sender is under its limit
     * and the destination outside its resend cooldown and under its daily cap; closes the
     * destination's older open challenge of the same purpose and hits the `charged` counters.
     * One D1 batch of conditional statements (one transaction), so concurrent requests cannot
     * both pass a limit, and a refused send charges only the sender's counter.
     */
    async reserve<R = undefined>(i: ReserveInput, read?: BatchStatement<R>): Promise<ReserveResult & { read: R | undefined }> {
      const d1 = db.$client
      const created = sql`EXISTS (SELECT 1 FROM otp_challenges WHERE id = ${i.id})`
      const request = i.request
      const underRequestLimit = request && sql`(SELECT count FROM rate_limits WHERE key = ${request.key}) <= ${request.max}`
      const statements = [
        ...(request ? [hitStatement(d1, request.key, request.windowMs, i.now)] : []),
        ...(read ? [read.statement] : []),
        hitStatement(d1, i.sender.key, i.sender.windowMs, i.now, underRequestLimit),
        rawStatement(
          d1,
          sql`INSERT INTO otp_challenges (id, destination, purpose, max_attempts, created_at, expires_at)
          SELECT ${i.id}, ${i.destination}, ${i.purpose}, ${i.maxAttempts}, ${i.now}, ${i.expiresAt}
          WHERE ${underRequestLimit ?? sql`1`}
            AND (SELECT count FROM rate_limits WHERE key = ${i.sender.key}) <= ${i.sender.limit}
            AND NOT EXISTS (SELECT 1 FROM otp_challenges WHERE destination = ${i.destination} AND created_at > ${i.now - i.cooldownMs})
            AND (SELECT count(*) FROM otp_challenges WHERE destination = ${i.destination} AND created_at > ${i.now - DAY_MS}) < ${i.dailyLimit}
          RETURNING id`,
        ),
        rawStatement(
          d1,
          sql`UPDATE otp_challenges SET closed_at = ${i.now}
          WHERE destination = ${i.destination} AND purpose = ${i.purpose} AND closed_at IS NULL AND id <> ${i.id} AND ${created}`,
        ),
        ...i.charged.keys.map((key) => hitStatement(d1, key, i.charged.windowMs, i.now, created)),
      ]
      const results = await d1.batch<HitRow & { id: string }>(statements)
      const requestHit = request ? results.shift() : undefined
      const readResult = read ? read.read(results.shift() as D1Result) : undefined
      const [hit, inserted, , ...charged] = results
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

    async failuresToday(destination: string, now: number): Promise<number> {
      const row = await db
        .select({ n: sql<number>`coalesce(sum(${t.failures}), 0)` })
        .from(t)
        .where(and(eq(t.destination, destination), gt(t.createdAt, now - DAY_MS)))
        .get()
      return Number(row?.n ?? 0)
    },
  }
}

export type OtpChallengesRepo = ReturnType<typeof otpChallengesRepo>
