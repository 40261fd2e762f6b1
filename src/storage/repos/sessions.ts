import { and, eq, isNull, ne } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type SessionRow, sessions } from '../db/schema'

export type NewSession = typeof sessions.$inferInsert

export function sessionsRepo(db: Db) {
  return {
    insert: (row: NewSession) => db.insert(sessions).values(row).returning().get(),

    byId: (id: string): Promise<SessionRow | undefined> => db.select().from(sessions).where(eq(sessions.id, id)).get(),

    /** Revokes every live session of a user, optionally keeping one; returns the revoked ids. */
    async revokeAllOfUser(userId: string, now: number, keepId?: string): Promise<string[]> {
      const rows = await db
        .update(sessions)
        .set({ revokedAt: now })
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), keepId ? ne(sessions.id, keepId) : undefined))
        .returning({ id: sessions.id })
        .all()
      return rows.map((r) => r.id)
    },
  }
}

export type SessionsRepo = ReturnType<typeof sessionsRepo>
