import { type Placeholder, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type BatchStatement, once, preparedSql } from '../db/prepared'

export interface Hit {
  count: number
  /** Milliseconds until the current window ends. */
  resetInMs: number
}

export type HitRow = { count: number; windowStart: number }

// Fixed-window counters in D1, each hit one atomic upsert (never read-modify-write): a window
// that has ended starts over at 1.
const countAfterHit = (expired: Placeholder) => sql`CASE WHEN window_start <= ${expired} THEN 1 ELSE count + 1 END`
const windowAfterHit = (expired: Placeholder, now: Placeholder) =>
  sql`CASE WHEN window_start <= ${expired} THEN ${now} ELSE window_start END`

/**
 * One hit as a statement built once (see prepared.ts), bound with `key`, `now` and `expired`
 * (now minus the window). With `onlyIf`, made only when that condition holds, its placeholders
 * bound with the same values (for counters charged in the batch that creates what they count; the
 * WHERE also keeps SQLite from reading ON CONFLICT as a join). Returns `count, windowStart` when
 * it hit, no row when it did not.
 */
export function preparedHit(d1: D1Database, onlyIf?: SQL) {
  const at = sql.placeholder
  return preparedSql<HitRow>(
    d1,
    sql`INSERT INTO rate_limits (key, window_start, count)
    ${onlyIf ? sql`SELECT ${at('key')}, ${at('now')}, 1 WHERE ${onlyIf}` : sql`VALUES (${at('key')}, ${at('now')}, 1)`}
    ON CONFLICT(key) DO UPDATE SET count = ${countAfterHit(at('expired'))}, window_start = ${windowAfterHit(at('expired'), at('now'))}
    RETURNING count, window_start AS windowStart`,
  )
}

/** The values a `preparedHit` is bound with. */
export const hitValues = (key: string, windowMs: number, now: number) => ({ key, now, expired: now - windowMs })

/** The counter a hit returned. */
export function toHit(row: HitRow | undefined, windowMs: number, now: number): Hit {
  if (!row) throw new Error('rate limit upsert returned no row')
  return { count: row.count, resetInMs: row.windowStart + windowMs - now }
}

export function rateLimitsRepo(db: Db) {
  const preparedHitOnce = once(() => preparedHit(db.$client))
  /** One hit as a statement for a `runBatch`. */
  const hitStatement = (key: string, windowMs: number, now: number): BatchStatement<HitRow[]> =>
    preparedHitOnce()(hitValues(key, windowMs, now))
  return {
    hitStatement,

    async hit(key: string, windowMs: number, now: number): Promise<Hit> {
      const { results } = await hitStatement(key, windowMs, now).statement.all<HitRow>()
      return toHit(results[0], windowMs, now)
    },

    /** Takes one hit back (a send that did not happen). */
    release: (key: string) => db.run(sql`UPDATE rate_limits SET count = max(count - 1, 0) WHERE key = ${key}`),
  }
}

export type RateLimitsRepo = ReturnType<typeof rateLimitsRepo>
