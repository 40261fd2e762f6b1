import { newId } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { PolicyRow } from '../../storage/db/schema'
import { audit } from '../audit'
import { page } from '../pagination'
import type { ClientInfo } from '../sessions'
import { effectivePermissions } from './effective-permissions'
import { grants, normalize } from './permissions'
import { type Actor, canManage, isAdmin } from './roles'

export interface PolicyView {
  id: string
  name: string
  description: string | null
  permissions: string[]
  created_at: string
  updated_at: string
}

/** A policy as the API shows it. */
export const policyView = (p: PolicyRow): PolicyView => ({
  id: p.id,
  name: p.name,
  description: p.description,
  permissions: p.permissions,
  created_at: new Date(p.createdAt).toISOString(),
  updated_at: new Date(p.updatedAt).toISOString(),
})

const nameTaken = () =>
  new AppError('validation_error', 'Request validation failed', { fields: { name: 'A policy with this name exists' } })
const notFound = () => new AppError('not_found', 'No such policy')
const adminsOnly = (actor: Actor) => {
  if (!isAdmin(actor.role)) throw new AppError('forbidden', 'Only admins manage policies')
}
const isNameConflict = (err: unknown) => String((err as Error)?.cause ?? err).includes('policies.name')

/** A policy to create, and the client asking. */
export interface NewPolicyRequest {
  name: string
  description?: string | undefined
  permissions: string[]
  client: ClientInfo
}

export async function createPolicy(deps: Deps, actor: Actor, input: NewPolicyRequest): Promise<PolicyView> {
  const { client } = input
  adminsOnly(actor)
  const now = deps.now()
  try {
    const row = await deps.policies.insert({
      id: newId(now),
      name: input.name,
      description: input.description ?? null,
      permissions: normalize(input.permissions),
      createdBy: actor.id,
      createdAt: now,
      updatedAt: now,
    })
    audit(deps, {
      type: 'policy_created',
      actorId: actor.id,
      ...client,
      detail: { policy_id: row.id, permissions: row.permissions },
    })
    return policyView(row)
  } catch (err) {
    if (isNameConflict(err)) throw nameTaken()
    throw err
  }
}

/** Admins see every policy; a client sees the policies attached to it. */
export async function listPolicies(deps: Deps, actor: Actor, q: { limit: number; cursor?: string | undefined }) {
  if (isAdmin(actor.role)) return page(await deps.policies.page(q.limit + 1, q.cursor), q.limit, policyView)
  if (actor.role === 'client') {
    // A client holds few policies: they are paged in memory, newest first, like the admin list.
    const own = (await deps.policies.ofUser(actor.id))
      .filter((p) => q.cursor === undefined || p.id < q.cursor)
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    return page(own, q.limit, policyView)
  }
  throw new AppError('forbidden', 'Only admins and clients read policies')
}

export async function getPolicy(deps: Deps, actor: Actor, id: string): Promise<PolicyView> {
  if (isAdmin(actor.role)) {
    const row = await deps.policies.byId(id)
    if (!row) throw notFound()
    return policyView(row)
  }
  if (actor.role !== 'client') throw new AppError('forbidden', 'Only admins and clients read policies')
  const own = (await deps.policies.ofUser(actor.id)).find((p) => p.id === id)
  if (!own) throw notFound()
  return policyView(own)
}

/** A change to policy `id`: the fields given in `patch` change, the others stay. */
export interface PolicyPatchRequest {
  id: string
  patch: { name?: string | undefined; description?: string | null | undefined; permissions?: string[] | undefined }
  client: ClientInfo
}

export async function updatePolicy(deps: Deps, actor: Actor, { id, patch, client }: PolicyPatchRequest): Promise<PolicyView> {
  adminsOnly(actor)
  try {
    const row = await deps.policies.update(id, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.permissions !== undefined ? { permissions: normalize(patch.permissions) } : {}),
      updatedAt: deps.now(),
    })
    if (!row) throw notFound()
    audit(deps, { type: 'policy_updated', actorId: actor.id, ...client, detail: { policy_id: id, permissions: row.permissions } })
    return policyView(row)
  } catch (err) {
    if (isNameConflict(err)) throw nameTaken()
    throw err
  }
}

export async function deletePolicy(deps: Deps, actor: Actor, { id, client }: { id: string; client: ClientInfo }): Promise<void> {
  adminsOnly(actor)
  if (!(await deps.policies.delete(id))) throw notFound()
  audit(deps, { type: 'policy_deleted', actorId: actor.id, ...client, detail: { policy_id: id } })
}

/**
 * Replaces a user's policies. Admins attach any policy to clients and sub-clients; a client
 * attaches to its own sub-clients only policies whose every permission it holds itself, so
 * nobody grants more than they have.
 */
export async function assignPolicies(
  deps: Deps,
  actor: Actor,
  { userId, policyIds, client }: { userId: string; policyIds: string[]; client: ClientInfo },
): Promise<{ policies: PolicyView[]; permissions: string[] }> {
  const target = await deps.users.byId(userId)
  if (!target || !canManage(actor, target)) throw new AppError('not_found', 'No such user')
  if (target.role !== 'client' && target.role !== 'subclient') {
    throw new AppError('validation_error', 'Request validation failed', {
      fields: {
        policy_ids: 'Policies apply to clients and sub-clients; others hold those of their role (PUT /roles/{role}/policies)',
      },
    })
  }
  const ids = [...new Set(policyIds)]
  const found = await deps.policies.byIds(ids)
  if (found.length !== ids.length)
    throw new AppError('validation_error', 'Request validation failed', { fields: { policy_ids: 'Unknown policy' } })
  if (!isAdmin(actor.role)) {
    const actorRow = await deps.users.byId(actor.id)
    const held = actorRow ? await effectivePermissions(deps, actorRow) : []
    const excess = found.flatMap((p) => p.permissions).filter((perm) => !grants(held, perm))
    if (excess.length > 0)
      throw new AppError('forbidden', `You cannot grant permissions you do not hold: ${normalize(excess).join(', ')}`)
  }
  await deps.policies.setForUser(target.id, ids)
  audit(deps, { type: 'policies_assigned', actorId: actor.id, subjectId: target.id, ...client, detail: { policy_ids: ids } })
  return { policies: found.map(policyView), permissions: await effectivePermissions(deps, target) }
}
