import { and, eq } from 'drizzle-orm'
import type { Db } from '../db/client'
import { oauthConsents } from '../db/schema'

/** Consent users gave third-party OAuth clients (SPEC §15). */
export function oauthConsentsRepo(db: Db) {
  return {
    /** The scopes `userId` granted `clientId` (space-separated), if any. */
    scopeOf: async (userId: string, clientId: string): Promise<string | undefined> =>
      (
        await db
          .select({ scope: oauthConsents.scope })
          .from(oauthConsents)
          .where(and(eq(oauthConsents.userId, userId), eq(oauthConsents.clientId, clientId)))
          .get()
      )?.scope,

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
