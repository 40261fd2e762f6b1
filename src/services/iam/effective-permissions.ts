import type { Deps } from '../../deps'
import type { UserRow } from '../../storage/db/schema'
import { intersect, normalize } from './permissions'
import { isAdmin } from './roles'

async function ownPolicyPermissions(deps: Deps, userId: string): Promise<string[]> {
  return normalize((await deps.policies.ofUser(userId)).flatMap((p) => p.permissions))
}

/**
 * The `perms` claim (SPEC §7): `*` for admins; a client's are the union of its policies; a
 * sub-client's are its own, never more than its parent client's, and none while that client is
 * not active (deactivated or suspended: it holds nothing it could pass on) — computed at every
 * token issue, so a parent losing a permission takes it from its sub-clients at their next token.
 */
export async function effectivePermissions(deps: Deps, user: UserRow): Promise<string[]> {
  if (isAdmin(user.role)) return ['*']
  if (user.role === 'client') return ownPolicyPermissions(deps, user.id)
  if (user.role === 'subclient') {
    if (!user.parentId) return []
    const [own, parent, parentRow] = await Promise.all([
      ownPolicyPermissions(deps, user.id),
      ownPolicyPermissions(deps, user.parentId),
      deps.users.byId(user.parentId),
    ])
    return parentRow?.status === 'active' ? intersect(own, parent) : []
  }
  return []
}
