import { and, eq, gt, isNull, ne, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type LinkTokenRow, linkTokens } from '../db/schema'

export type LinkPurpose = LinkTokenRow['purpose']

/** One pool's emailed links: a link works on its account's pool's routes only (SPEC §12). */
export function linkTokensRepo(db: Db, pool: string) {
  const t = linkTokens
  const ofPool = sql`${t.userId} IN (SELECT id FROM users WHERE pool = ${pool})`
  return {
    /**
     * Stores a new link token and, unless told to keep them, retires the user's older unused ones
     * of the same purpose in the same batch.
     */
    async issue(row: Omit<LinkTokenRow, 'usedAt'>, opts: { retireOlder?: boolean } = {}): Promise<void> {
      const insert = db.insert(t).values({ ...row, usedAt: null })
      if (opts.retireOlder === false) {
        await insert.run()
        return
      }
      await db.batch([
        db
          .update(t)
          .set({ usedAt: row.createdAt })
          .where(and(eq(t.userId, row.userId), eq(t.purpose, row.purpose), isNull(t.usedAt))),
        insert,
      ])
    },

    /** Retires the user's unused tokens of a purpose, all but `keepHash`. */
    retireOthers: (userId: string, purpose: LinkPurpose, keepHash: string, now: number) =>
      db
        .update(t)
        .set({ usedAt: now })
        .where(and(eq(t.userId, userId), eq(t.purpose, purpose), isNull(t.usedAt), ne(t.hash, keepHash)))
        .run(),

    /** The live token with this hash, without using it (to show a form). */
    peek: (hash: string, purpose: LinkPurpose, now: number): Promise<LinkTokenRow | undefined> =>
      db
        .select()
        .from(t)
        .where(and(eq(t.hash, hash), eq(t.purpose, purpose), isNull(t.usedAt), gt(t.expiresAt, now), ofPool))
        .get(),

    /** Uses the token: exactly one caller gets the row, and only while it is live. */
    consume: (hash: string, purpose: LinkPurpose, now: number): Promise<LinkTokenRow | undefined> =>
      db
        .update(t)
        .set({ usedAt: now })
        .where(and(eq(t.hash, hash), eq(t.purpose, purpose), isNull(t.usedAt), gt(t.expiresAt, now), ofPool))
        .returning()
        .get(),

    /** Forgets a token whose email could not be sent. */
    discard: (hash: string) => db.delete(t).where(eq(t.hash, hash)).run(),
  }
}

export type LinkTokensRepo = ReturnType<typeof linkTokensRepo>
