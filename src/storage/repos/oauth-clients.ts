import { and, asc, eq, gt, isNull } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type OauthClientRow, oauthClients, oauthCodes, oauthConsents, sessions } from '../db/schema'

export type NewOauthClient = typeof oauthClients.$inferInsert
/** What a PATCH may change: never the id, type, pool, secret or creation. */
export type OauthClientChanges = Partial<
  Pick<
    NewOauthClient,
    | 'name'
    | 'redirectUris'
    | 'postLogoutRedirectUris'
    | 'grantTypes'
    | 'scope'
    | 'firstParty'
    | 'idTokenAlg'
    | 'userId'
    | 'updatedAt'
  >
>

/** A session a deleted client had been issued, so its access tokens can be marked revoked. */
export interface EndedSession {
  id: string
  userId: string
}

/** OAuth clients of every pool (SPEC §15): the registry is the deployment's; a client names its pool. */
export function oauthClientsRepo(db: Db) {
  return {
    byId: (id: string): Promise<OauthClientRow | undefined> =>
      db.select().from(oauthClients).where(eq(oauthClients.id, id)).get(),

    insert: (row: NewOauthClient): Promise<OauthClientRow> => db.insert(oauthClients).values(row).returning().get(),

    /**
     * A page of clients ordered by client_id (random ids: a stable order, which clients added or
     * removed meanwhile never shift), `limit` rows after the `cursor` id, of one pool or all.
     */
    page: (q: { pool?: string | undefined; limit: number; cursor?: string | undefined }): Promise<OauthClientRow[]> =>
      db
        .select()
        .from(oauthClients)
        .where(
          and(
            q.pool === undefined ? undefined : eq(oauthClients.pool, q.pool),
            q.cursor === undefined ? undefined : gt(oauthClients.id, q.cursor),
          ),
        )
        .orderBy(asc(oauthClients.id))
        .limit(q.limit)
        .all(),

    update: (id: string, changes: OauthClientChanges): Promise<OauthClientRow | undefined> =>
      db.update(oauthClients).set(changes).where(eq(oauthClients.id, id)).returning().get(),

    /**
     * Replaces a confidential client's secret hash in one statement: the old secret stops working
     * at once. Undefined when there is no such confidential client.
     */
    rotateSecret: (i: { id: string; secretHash: string; now: number }): Promise<OauthClientRow | undefined> =>
      db
        .update(oauthClients)
        .set({ secretHash: i.secretHash, secretRotatedAt: i.now, updatedAt: i.now })
        .where(and(eq(oauthClients.id, i.id), eq(oauthClients.type, 'confidential')))
        .returning()
        .get(),

    /**
     * Deletes a client and everything it was given, in one transaction (a D1 batch): its live
     * sessions end (revoked, so their refresh tokens stop working), its unused codes and the
     * consents users gave it go (the consents' foreign key cascades too), then the client itself.
     * `deleted` is false (and nothing changed) when there was no such client.
     */
    async remove(i: { id: string; now: number }): Promise<{ deleted: boolean; ended: EndedSession[] }> {
      const [ended, , , gone] = await db.batch([
        db
          .update(sessions)
          .set({ revokedAt: i.now })
          .where(and(eq(sessions.clientId, i.id), isNull(sessions.revokedAt)))
          .returning({ id: sessions.id, userId: sessions.userId }),
        db.delete(oauthCodes).where(eq(oauthCodes.clientId, i.id)),
        db.delete(oauthConsents).where(eq(oauthConsents.clientId, i.id)),
        db.delete(oauthClients).where(eq(oauthClients.id, i.id)).returning({ id: oauthClients.id }),
      ])
      return { deleted: gone.length > 0, ended }
    },
  }
}

export type OauthClientsRepo = ReturnType<typeof oauthClientsRepo>
