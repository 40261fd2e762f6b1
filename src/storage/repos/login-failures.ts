import { eq, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type BatchStatement, once, preparedSql } from '../db/prepared'
import { loginFailures } from '../db/schema'

const DAY_MS = 86_400_000

export interface AdmitInput {
  identifier: string
  now: number
  threshold: number
  maxMinutes: number
  /** The endpoint's per-IP request counter, hit earlier in the same batch: over its limit, nothing is counted. */
  request: { key: string; max: number }
}

export function loginFailuresRepo(db: Db) {
  const t = loginFailures
  const at = sql.placeholder
  const statements = once(() => {
    const streak = sql`CASE WHEN last_failure_at < ${at('dayAgo')} THEN 1 ELSE failures + 1 END`
    // 2^(streak − threshold) minutes, at most maxMinutes (the shift is capped: 2^20 minutes is years).
    const lockMs = (s: SQL) => sql`60000 * min(1 << min(${s} - ${at('threshold')}, 20), ${at('maxMinutes')})`
    return {
      lock: preparedSql<{ until: number }>(
        db.$client,
        sql`SELECT locked_until AS until FROM login_failures WHERE identifier = ${at('identifier')}`,
      ),
      // Counts the attempt before its password is checked, and from the threshold on locks the
      // identifier at once: of concurrent attempts, only those counted before the lock are admitted.
      admit: preparedSql<{ failures: number }>(
        db.$client,
        sql`INSERT INTO login_failures (identifier, failures, last_failure_at, locked_until)
        SELECT ${at('identifier')}, 1, ${at('now')},
          CASE WHEN 1 >= ${at('threshold')} THEN ${at('now')} + ${lockMs(sql`1`)} ELSE 0 END
        WHERE (SELECT count FROM rate_limits WHERE key = ${at('requestKey')}) <= ${at('requestMax')}
        ON CONFLICT(identifier) DO UPDATE SET
          failures = ${streak},
          last_failure_at = ${at('now')},
          locked_until = CASE WHEN ${streak} >= ${at('threshold')}
            THEN max(locked_until, ${at('now')} + ${lockMs(streak)}) ELSE locked_until END
        WHERE locked_until <= ${at('now')}
        RETURNING failures`,
      ),
    }
  })

  return {
    /** The identifier's lock (no row when it has no failure on record), for a `runBatch`. */
    lockStatement: (identifier: string): BatchStatement<{ until: number }[]> => statements().lock({ identifier }),

    /**
     * Admits one password attempt, for a `runBatch` after the request counter's hit: counts it
     * in the identifier's streak (a day of quiet starts over) and, from `threshold` on, locks the
     * identifier for 2^(streak − threshold) minutes (at most `maxMinutes`), all in one statement.
     * No row when the identifier is locked or the request counter over its limit: nothing counted.
     * A right password then clears it all (`clear`).
     */
    admitStatement: (i: AdmitInput): BatchStatement<{ failures: number }[]> =>
      statements().admit({
        identifier: i.identifier,
        now: i.now,
        dayAgo: i.now - DAY_MS,
        threshold: i.threshold,
        maxMinutes: i.maxMinutes,
        requestKey: i.request.key,
        requestMax: i.request.max,
      }),

    clear: (identifier: string) => db.delete(t).where(eq(t.identifier, identifier)).run(),
  }
}

export type LoginFailuresRepo = ReturnType<typeof loginFailuresRepo>
