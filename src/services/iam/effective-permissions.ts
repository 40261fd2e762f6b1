import type { Deps } from '../../deps'
import type { UserRow } from '../../storage/db/schema'
import type { PermissionGrant } from '../../storage/repos/permission-grants'
import { intersect, normalize } from './permissions'
import { isAdmin } from './roles'

export type { PermissionGrant }

const held = (grants: readonly PermissionGrant[], holder: PermissionGrant['holder']) =>
  normalize(grants.filter((g) => g.holder === holder).flatMap((g) => g.permissions))

/**
 * The `perms` claim (SPEC §7, §13) from the policies a user's permissions come from: `*` for
 * admins; for everyone else the union of its own policies and its role's (end-user roles
 * included); a sub-client's never more than its parent client's (that client's own and role
 * policies), and none while that client is not active (the grants then carry no `parent` row).
 * Computed at every token issue, so a change reaches the holders at their next token.
 */
export function permissionsFrom(role: string, grants: readonly PermissionGrant[]): string[] {
  if (isAdmin(role)) return ['*']
  if (role === 'subclient') return intersect(held(grants, 'self'), held(grants, 'parent'))
  return held(grants, 'self')
}

/** `permissionsFrom` for a user outside a session opening: its grants read in one query. */
export async function effectivePermissions(deps: Deps, user: Pick<UserRow, 'id' | 'role'>): Promise<string[]> {
  if (isAdmin(user.role)) return ['*']
  return permissionsFrom(user.role, await deps.policies.grantsOf(user.id))
}
