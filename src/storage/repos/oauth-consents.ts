import { and, eq } from 'drizzle-orm'
import type { Db } from '../db/client'
import { oauthConsents } from '../db/schema'

/** Consent users gave third-party OAuth clients (SPEC §15). */
export function oauthConsentsRepo(db: Db) {
  return {
    /** The scopes `userId` granted `clientId` (space-separated), and when (Unix ms), if any. */
    of: (userId: string, clientId: string): Promise<{ scope: string; grantedAt: number } | undefined> =>
      db
        .select({ scope: oauthConsents.scope, grantedAt: oauthConsents.grantedAt })
        .from(oauthConsents)
        .where(and(eq(oauthConsents.userId, userId), eq(oauthConsents.clientId, clientId)))
        .get(),

    /** Records (or widens to) the scopes granted. */
    grant: async (i: { userId: string; clientId: string; scope: string; now: number }): Promise<void> => {
      await db
        .insert(oauthConsents)
        .values({ userId: i.userId, clientId: i.clientId, scope: i.scope, grantedAt: i.now })
        .onConflictDoUpdate({ target: [oauthConsents.userId, oauthConsents.clientId], set: { scope: i.scope, grantedAt: i.now } })
    },
  }
}

export type OauthConsentsRepo = ReturnType<typeof oauthConsentsRepo>
