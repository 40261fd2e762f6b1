import { STAFF_ROLES } from '../../config'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { PolicyRow } from '../../storage/db/schema'
import { audit } from '../audit'
import type { ClientInfo } from '../sessions'
import { normalize } from './permissions'
import { type PolicyView, policyView } from './policies'
import { type Actor, isAdmin } from './roles'

/** A role's policies and the permissions they give everyone of the role. */
export interface RolePoliciesView {
  role: string
  policies: PolicyView[]
  permissions: string[]
}

const adminsOnly = (actor: Actor) => {
  if (!isAdmin(actor.role)) throw new AppError('forbidden', 'Only admins manage role policies')
}

/** A staff role or one of END_USER_ROLES (roles are configuration, SPEC §7); else 404. */
function assertKnownRole(deps: Deps, role: string): void {
  const known: string[] = [...STAFF_ROLES, ...deps.config.END_USER_ROLES]
  if (!known.includes(role)) throw new AppError('not_found', 'No such role')
}

const roleView = (role: string, rows: PolicyRow[]): RolePoliciesView => ({
  role,
  policies: rows.map(policyView),
  permissions: normalize(rows.flatMap((p) => p.permissions)),
})

/** GET /roles/{role}/policies (admin+). */
export async function getRolePolicies(deps: Deps, actor: Actor, role: string): Promise<RolePoliciesView> {
  adminsOnly(actor)
  assertKnownRole(deps, role)
  return roleView(role, await deps.policies.ofRole(role))
}

/** The policies to give a role: they replace the ones it had. */
export interface RolePoliciesRequest {
  role: string
  policyIds: string[]
  client: ClientInfo
}

/**
 * PUT /roles/{role}/policies (admin+, SPEC §13): replaces the policies everyone of `role` holds,
 * end-user roles included. They apply at each holder's next token (sign-in or refresh); a
 * sub-client stays capped by its client. Admin roles hold `*` already: 400.
 */
export async function setRolePolicies(
  deps: Deps,
  actor: Actor,
  { role, policyIds, client }: RolePoliciesRequest,
): Promise<RolePoliciesView> {
  adminsOnly(actor)
  assertKnownRole(deps, role)
  if (isAdmin(role)) {
    throw new AppError('validation_error', 'Request validation failed', {
      fields: { role: 'Admins and super admins hold every permission (*)' },
    })
  }
  const ids = [...new Set(policyIds)]
  if ((await deps.policies.byIds(ids)).length !== ids.length) {
    throw new AppError('validation_error', 'Request validation failed', { fields: { policy_ids: 'Unknown policy' } })
  }
  const rows = await deps.policies.setForRole(role, ids)
  audit(deps, { type: 'role_policies_set', actorId: actor.id, ...client, detail: { role, policy_ids: rows.map((p) => p.id) } })
  return roleView(role, rows)
}
