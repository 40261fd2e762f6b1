import { eq, inArray } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type PolicyRow, policies, userPolicies } from '../db/schema'
import { newestFirst } from './pages'

export type NewPolicy = typeof policies.$inferInsert

export function policiesRepo(db: Db) {
  return {
    insert: (row: NewPolicy) => db.insert(policies).values(row).returning().get(),
    byId: (id: string): Promise<PolicyRow | undefined> => db.select().from(policies).where(eq(policies.id, id)).get(),
    byIds: (ids: string[]): Promise<PolicyRow[]> =>
      ids.length === 0 ? Promise.resolve([]) : db.select().from(policies).where(inArray(policies.id, ids)).all(),

    /** Newest first; `cursor` is the last id of the previous page. */
    page: newestFirst(db, policies, policies.id),

    update: (id: string, patch: Partial<Omit<NewPolicy, 'id' | 'createdAt'>>) =>
      db.update(policies).set(patch).where(eq(policies.id, id)).returning().get(),

    async delete(id: string): Promise<boolean> {
      return (await db.delete(policies).where(eq(policies.id, id)).returning({ id: policies.id }).get()) !== undefined
    },

    /** The policies attached to a user. */
    ofUser: (userId: string): Promise<PolicyRow[]> =>
      db
        .select({ policy: policies })
        .from(userPolicies)
        .innerJoin(policies, eq(policies.id, userPolicies.policyId))
        .where(eq(userPolicies.userId, userId))
        .all()
        .then((rows) => rows.map((r) => r.policy)),

    /** Replaces a user's policies in one transaction. */
    async setForUser(userId: string, policyIds: string[]): Promise<void> {
      const remove = db.delete(userPolicies).where(eq(userPolicies.userId, userId))
      if (policyIds.length === 0) {
        await remove.run()
        return
      }
      await db.batch([remove, db.insert(userPolicies).values(policyIds.map((policyId) => ({ userId, policyId })))])
    },
  }
}

export type PoliciesRepo = ReturnType<typeof policiesRepo>
