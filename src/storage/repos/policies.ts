import { eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { once } from '../db/prepared'
import { type PolicyRow, policies, rolePolicies, userPolicies } from '../db/schema'
import { newestFirst } from './pages'
import { type PermissionGrant, preparedGrants } from './permission-grants'

export type NewPolicy = typeof policies.$inferInsert

export function policiesRepo(db: Db) {
  const grants = once(() => preparedGrants(db, sql`${sql.placeholder('userId')}`))
  const ofRole = (role: string) =>
    db
      .select({ policy: policies })
      .from(rolePolicies)
      .innerJoin(policies, eq(policies.id, rolePolicies.policyId))
      .where(eq(rolePolicies.role, role))
      .orderBy(policies.id)

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

    /** The policies a user's permissions come from (as a session opening reads them), in one query. */
    async grantsOf(userId: string): Promise<PermissionGrant[]> {
      const bound = grants()({ userId })
      return bound.read(await bound.statement.all())
    },

    /** The policies attached to a role, oldest first. */
    ofRole: (role: string): Promise<PolicyRow[]> =>
      ofRole(role)
        .all()
        .then((rows) => rows.map((r) => r.policy)),

    /**
     * Replaces a role's policies and reads them back, in one transaction. Only ids of policies
     * that exist are attached (a policy deleted meanwhile is skipped, not a foreign-key error).
     */
    async setForRole(role: string, policyIds: string[]): Promise<PolicyRow[]> {
      const remove = db.delete(rolePolicies).where(eq(rolePolicies.role, role))
      const read = ofRole(role)
      if (policyIds.length === 0) {
        await remove.run()
        return []
      }
      const attach = db.insert(rolePolicies).select(
        db
          .select({ role: sql<string>`${role}`.as('role'), policyId: policies.id })
          .from(policies)
          .where(inArray(policies.id, policyIds)),
      )
      const [, , rows] = await db.batch([remove, attach, read])
      return rows.map((r) => r.policy)
    },

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
