import { eq } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type OauthClientRow, oauthClients } from '../db/schema'

/** OAuth clients of every pool (SPEC §15): the registry is the deployment's; a client names its pool. */
export function oauthClientsRepo(db: Db) {
  return {
    byId: (id: string): Promise<OauthClientRow | undefined> =>
      db.select().from(oauthClients).where(eq(oauthClients.id, id)).get(),
  }
}

export type OauthClientsRepo = ReturnType<typeof oauthClientsRepo>
