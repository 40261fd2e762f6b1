import { sql } from 'drizzle-orm'
import type { Db } from '../db/client'

export interface Hit {
  count: number
  /** Milliseconds until the current window ends. */
  resetInMs: number
}

/** Fixed-window counters in D1, each hit one atomic upsert (never read-modify-write). */
export function rateLimitsRepo(db: Db) {
  return {
    async hit(key: string, windowMs: number, now: number): Promise<Hit> {
      const row = await db.get<{ count: number; window_start: number }>(sql`
        INSERT INTO rate_limits (key, window_start, count) VALUES (${key}, ${now}, 1)
        ON CONFLICT(key) DO UPDATE SET
          count = CASE WHEN window_start <= ${now - windowMs} THEN 1 ELSE count + 1 END,
          window_start = CASE WHEN window_start <= ${now - windowMs} THEN ${now} ELSE window_start END
        RETURNING count, window_start`)
      return { count: row.count, resetInMs: row.window_start + windowMs - now }
    },

    /** Takes one hit back (a send that did not happen). */
    release: (key: string) => db.run(sql`UPDATE rate_limits SET count = max(count - 1, 0) WHERE key = ${key}`),
  }
}

export type RateLimitsRepo = ReturnType<typeof rateLimitsRepo>
