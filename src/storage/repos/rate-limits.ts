import { sql } from 'drizzle-orm'
import type { Db } from '../db/client'

export interface Hit {
  count: number
  /** Milliseconds until the current window ends. */
  resetInMs: number
}

/** Fixed-window counters in D1, each hit one atomic upsert (never read-modify-write). */
const UPSERT = `INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1)
  ON CONFLICT(key) DO UPDATE SET
    count = CASE WHEN window_start <= ?3 THEN 1 ELSE count + 1 END,
    window_start = CASE WHEN window_start <= ?3 THEN ?2 ELSE window_start END
  RETURNING count, window_start`

// The same upsert, made only when an OTP challenge (?4) exists: for counters charged in the
// batch that reserves it. (The WHERE also keeps SQLite from reading ON CONFLICT as a join.)
const UPSERT_IF_CHALLENGE = `INSERT INTO rate_limits (key, window_start, count)
  SELECT ?1, ?2, 1 WHERE EXISTS (SELECT 1 FROM otp_challenges WHERE id = ?4)
  ON CONFLICT(key) DO UPDATE SET
    count = CASE WHEN window_start <= ?3 THEN 1 ELSE count + 1 END,
    window_start = CASE WHEN window_start <= ?3 THEN ?2 ELSE window_start END
  RETURNING count, window_start`

export type HitRow = { count: number; window_start: number }

/** One hit as a statement, for a caller's D1 batch; `ifChallenge` makes it conditional. */
export function hitStatement(d1: D1Database, key: string, windowMs: number, now: number, ifChallenge?: string) {
  return ifChallenge
    ? d1.prepare(UPSERT_IF_CHALLENGE).bind(key, now, now - windowMs, ifChallenge)
    : d1.prepare(UPSERT).bind(key, now, now - windowMs)
}

/** The counter a hit statement returned. */
export function toHit(row: HitRow | undefined, windowMs: number, now: number): Hit {
  if (!row) throw new Error('rate limit upsert returned no row')
  return { count: row.count, resetInMs: row.window_start + windowMs - now }
}

export function rateLimitsRepo(db: Db) {
  const d1 = db.$client
  return {
    async hit(key: string, windowMs: number, now: number): Promise<Hit> {
      return toHit((await hitStatement(d1, key, windowMs, now).first<HitRow>()) ?? undefined, windowMs, now)
    },

    /** Takes one hit back (a send that did not happen). */
    release: (key: string) => db.run(sql`UPDATE rate_limits SET count = max(count - 1, 0) WHERE key = ${key}`),
  }
}

export type RateLimitsRepo = ReturnType<typeof rateLimitsRepo>
