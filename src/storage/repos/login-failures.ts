import { eq, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { loginFailures } from '../db/schema'

const DAY_MS = 86_400_000

export function loginFailuresRepo(db: Db) {
  const t = loginFailures
  return {
    /** The identifier's lock (no row when it has no failure on record), as a query not yet run. */
    lockQuery: (identifier: string) => db.select({ until: t.lockedUntil }).from(t).where(eq(t.identifier, identifier)),

    /** Counts one more failure (a day of quiet starts over) in one statement; returns the streak. */
    async fail(identifier: string, now: number): Promise<number> {
      const row = await db.get<{ failures: number }>(sql`
        INSERT INTO login_failures (identifier, failures, last_failure_at, locked_until) VALUES (${identifier}, 1, ${now}, 0)
        ON CONFLICT(identifier) DO UPDATE SET
          failures = CASE WHEN last_failure_at < ${now - DAY_MS} THEN 1 ELSE failures + 1 END,
          last_failure_at = ${now}
        RETURNING failures`)
      return row.failures
    },

    lockUntil: (identifier: string, until: number) =>
      db
        .update(t)
        .set({ lockedUntil: sql`max(${t.lockedUntil}, ${until})` })
        .where(eq(t.identifier, identifier))
        .run(),

    clear: (identifier: string) => db.delete(t).where(eq(t.identifier, identifier)).run(),
  }
}

export type LoginFailuresRepo = ReturnType<typeof loginFailuresRepo>
