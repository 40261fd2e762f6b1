import { and, eq, gt, isNull, type Placeholder, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
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
}

export type ReserveResult =
  | { ok: true; charged: Hit[] }
  | { ok: false; limit: 'sender' | 'cooldown' | 'daily'; retryAfterMs: number }

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
    async reserve(i: ReserveInput): Promise<ReserveResult> {
      const d1 = db.$client
      const created = sql`EXISTS (SELECT 1 FROM otp_challenges WHERE id = ${i.id})`
      const [hit, inserted, , ...charged] = await d1.batch<HitRow & { id: string }>([
        hitStatement(d1, i.sender.key, i.sender.windowMs, i.now),
        rawStatement(
          d1,
          sql`INSERT INTO otp_challenges (id, destination, purpose, max_attempts, created_at, expires_at)
          SELECT ${i.id}, ${i.destination}, ${i.purpose}, ${i.maxAttempts}, ${i.now}, ${i.expiresAt}
          WHERE (SELECT count FROM rate_limits WHERE key = ${i.sender.key}) <= ${i.sender.limit}
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
      ])
      if (!hit || !inserted) throw new Error('D1 batch returned no result')
      // The returned row, not `meta.changes`, says whether this call inserted (definitive under concurrency).
      if (inserted.results.length === 1) {
        return { ok: true, charged: charged.map((r) => toHit(r.results[0], i.charged.windowMs, i.now)) }
      }
      const perSender = toHit(hit.results[0], i.sender.windowMs, i.now)
      if (perSender.count > i.sender.limit) return { ok: false, limit: 'sender', retryAfterMs: perSender.resetInMs }

      const recent = await db
        .select({ createdAt: t.createdAt })
        .from(t)
        .where(and(eq(t.destination, i.destination), gt(t.createdAt, i.now - DAY_MS)))
        .orderBy(t.createdAt)
        .all()
      const latest = recent.at(-1)?.createdAt ?? i.now
      if (latest > i.now - i.cooldownMs) return { ok: false, limit: 'cooldown', retryAfterMs: latest + i.cooldownMs - i.now }
      const oldest = recent[0]?.createdAt ?? i.now
      return { ok: false, limit: 'daily', retryAfterMs: oldest + DAY_MS - i.now }
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
