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

type Row = { count: number; window_start: number }

export function rateLimitsRepo(db: Db) {
  const d1 = db.$client
  const stmt = (key: string, windowMs: number, now: number) => d1.prepare(UPSERT).bind(key, now, now - windowMs)
  const toHit = (row: Row | undefined, windowMs: number, now: number): Hit => {
    if (!row) throw new Error('rate limit upsert returned no row')
    return { count: row.count, resetInMs: row.window_start + windowMs - now }
  }
  return {
    async hit(key: string, windowMs: number, now: number): Promise<Hit> {
      return toHit((await stmt(key, windowMs, now).first<Row>()) ?? undefined, windowMs, now)
    },

    /** Several counters in one round trip (one D1 batch, each upsert atomic). */
    async hitMany(keys: string[], windowMs: number, now: number): Promise<Hit[]> {
      const results = await d1.batch<Row>(keys.map((key) => stmt(key, windowMs, now)))
      return results.map((r) => toHit(r.results[0], windowMs, now))
    },

    /** Takes one hit back (a send that did not happen). */
    release: (key: string) => db.run(sql`UPDATE rate_limits SET count = max(count - 1, 0) WHERE key = ${key}`),
  }
}

export type RateLimitsRepo = ReturnType<typeof rateLimitsRepo>
