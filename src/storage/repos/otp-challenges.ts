import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { otpChallenges } from '../db/schema'

export interface ReserveInput {
  id: string
  destination: string
  purpose: string
  maxAttempts: number
  now: number
  expiresAt: number
  cooldownMs: number
  dailyLimit: number
}

export type ReserveResult = { ok: true } | { ok: false; limit: 'cooldown' | 'daily'; retryAfterMs: number }

const DAY_MS = 86_400_000

export function otpChallengesRepo(db: Db) {
  const t = otpChallenges
  return {
    /**
     * Creates a challenge only if the destination is outside its resend cooldown and under its
     * daily cap, and closes the destination's older open challenge of the same purpose: one
     * conditional INSERT and one UPDATE in a batch, so concurrent requests cannot both pass.
     */
    async reserve(i: ReserveInput): Promise<ReserveResult> {
      const d1 = db.$client
      const [inserted] = await d1.batch([
        d1
          .prepare(
            `INSERT INTO otp_challenges (id, destination, purpose, max_attempts, created_at, expires_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6
             WHERE NOT EXISTS (SELECT 1 FROM otp_challenges WHERE destination = ?2 AND created_at > ?7)
               AND (SELECT count(*) FROM otp_challenges WHERE destination = ?2 AND created_at > ?8) < ?9
             RETURNING id`,
          )
          .bind(
            i.id,
            i.destination,
            i.purpose,
            i.maxAttempts,
            i.now,
            i.expiresAt,
            i.now - i.cooldownMs,
            i.now - DAY_MS,
            i.dailyLimit,
          ),
        d1
          .prepare(
            `UPDATE otp_challenges SET closed_at = ?4
             WHERE destination = ?2 AND purpose = ?3 AND closed_at IS NULL AND id <> ?1
               AND EXISTS (SELECT 1 FROM otp_challenges WHERE id = ?1)`,
          )
          .bind(i.id, i.destination, i.purpose, i.now),
      ])
      if (!inserted) throw new Error('D1 batch returned no result')
      // The returned row, not `meta.changes`, says whether this call inserted (definitive under concurrency).
      if (inserted.results.length === 1) return { ok: true }

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
     * Spends one attempt on a live challenge, atomically: the row must be open, unexpired, under
     * its attempt cap, and its destination under the daily failure cap. Null when it is not.
     * The guess counts as a failure in the same statement (taken back by `consume` when the
     * code turns out right): counting it later would let concurrent guesses pass the daily cap.
     */
    async spendAttempt(id: string, destination: string, now: number, maxFailuresPerDay: number) {
      return db
        .update(t)
        .set({ attempts: sql`${t.attempts} + 1`, failures: sql`${t.failures} + 1` })
        .where(
          and(
            eq(t.id, id),
            isNull(t.closedAt),
            sql`${t.attempts} < ${t.maxAttempts}`,
            gt(t.expiresAt, now),
            sql`(SELECT coalesce(sum(failures), 0) FROM otp_challenges WHERE destination = ${destination} AND created_at > ${now - DAY_MS}) < ${maxFailuresPerDay}`,
          ),
        )
        .returning({ attempts: t.attempts, maxAttempts: t.maxAttempts })
        .get()
    },

    /** Takes back the failure `spendAttempt` counted, for a guess that was right. */
    /**
     * Uses the challenge after a right guess, in one statement: closes it (true only for the one
     * caller that does) and takes back the failure `spendAttempt` counted for that guess.
     */
    async consume(id: string, now: number): Promise<boolean> {
      const row = await db
        .update(t)
        .set({ closedAt: now, failures: sql`max(${t.failures} - 1, 0)` })
        .where(and(eq(t.id, id), isNull(t.closedAt)))
        .returning({ id: t.id })
        .get()
      return row !== undefined
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
