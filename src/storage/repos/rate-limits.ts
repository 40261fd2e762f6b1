import { type Placeholder, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { preparedSql } from '../db/prepared'
import { rawStatement } from '../db/raw'
import { rateLimits } from '../db/schema'

export interface Hit {
  count: number
  /** Milliseconds until the current window ends. */
  resetInMs: number
}

export type HitRow = { count: number; windowStart: number }

// Fixed-window counters in D1, each hit one atomic upsert (never read-modify-write): a window
// that has ended starts over at 1.
const countAfterHit = (expired: number | Placeholder) => sql`CASE WHEN window_start <= ${expired} THEN 1 ELSE count + 1 END`
const windowAfterHit = (expired: number | Placeholder, now: number | Placeholder) =>
  sql`CASE WHEN window_start <= ${expired} THEN ${now} ELSE window_start END`

/**
 * One hit as a raw statement, for a D1 batch of raw statements; with `onlyIf`, made only when
 * that condition holds (for counters charged in the batch that creates what they count; the
 * WHERE also keeps SQLite from reading ON CONFLICT as a join). Returns `count, windowStart`
 * when it hit, no row when it did not.
 */
export function hitStatement(d1: D1Database, key: string, windowMs: number, now: number, onlyIf?: SQL) {
  const expired = now - windowMs
  return rawStatement(
    d1,
    sql`INSERT INTO rate_limits (key, window_start, count)
    ${onlyIf ? sql`SELECT ${key}, ${now}, 1 WHERE ${onlyIf}` : sql`VALUES (${key}, ${now}, 1)`}
    ON CONFLICT(key) DO UPDATE SET count = ${countAfterHit(expired)}, window_start = ${windowAfterHit(expired, now)}
    RETURNING count, window_start AS windowStart`,
  )
}

/**
 * One hit as a prepared statement, built once (see prepared.ts); bound with `key`, `now` and
 * `expired` (now minus the window).
 */
export function preparedHit(d1: D1Database) {
  const at = sql.placeholder
  return preparedSql<HitRow>(
    d1,
    sql`INSERT INTO rate_limits (key, window_start, count) VALUES (${at('key')}, ${at('now')}, 1)
    ON CONFLICT(key) DO UPDATE SET count = ${countAfterHit(at('expired'))}, window_start = ${windowAfterHit(at('expired'), at('now'))}
    RETURNING count, window_start AS windowStart`,
  )
}

/** The counter a hit returned. */
export function toHit(row: HitRow | undefined, windowMs: number, now: number): Hit {
  if (!row) throw new Error('rate limit upsert returned no row')
  return { count: row.count, resetInMs: row.windowStart + windowMs - now }
}

export function rateLimitsRepo(db: Db) {
  /** One hit, as a query not yet run: awaited alone or put in a caller's D1 batch. */
  const hitQuery = (key: string, windowMs: number, now: number) => {
    const expired = now - windowMs
    return db
      .insert(rateLimits)
      .values({ key, windowStart: now, count: 1 })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: { count: countAfterHit(expired), windowStart: windowAfterHit(expired, now) },
      })
      .returning({ count: rateLimits.count, windowStart: rateLimits.windowStart })
  }
  return {
    hitQuery,

    async hit(key: string, windowMs: number, now: number): Promise<Hit> {
      return toHit((await hitQuery(key, windowMs, now))[0], windowMs, now)
    },

    /** Takes one hit back (a send that did not happen). */
    release: (key: string) => db.run(sql`UPDATE rate_limits SET count = max(count - 1, 0) WHERE key = ${key}`),
  }
}

export type RateLimitsRepo = ReturnType<typeof rateLimitsRepo>
