import { STAFF_ROLES, type StaffRole } from '../../config'

export type { StaffRole }

/** super_admin > admin > client > subclient > every end-user role (SPEC §7). */
const RANK: Record<StaffRole, number> = { super_admin: 4, admin: 3, client: 2, subclient: 1 }

export function rank(role: string): number {
  return RANK[role as StaffRole] ?? 0
}

export const isStaff = (role: string): role is StaffRole => STAFF_ROLES.includes(role as StaffRole)
export const isAdmin = (role: string) => rank(role) >= RANK.admin

export interface Actor {
  id: string
  role: string
}

export interface Target {
  id: string
  role: string
  parentId: string | null
}

/**
 * Whether `actor` may act on `target` (read, edit, change status, delete, attach policies):
 * admins and super admins act on anyone strictly below them, a client on its own sub-clients,
 * nobody on a peer, a superior or (for these actions) themselves.
 */
export function canManage(actor: Actor, target: Target): boolean {
  if (actor.id === target.id) return false
  if (isAdmin(actor.role)) return rank(actor.role) > rank(target.role)
  return actor.role === 'client' && target.role === 'subclient' && target.parentId === actor.id
}

/**
 * Roles an actor may give with PATCH /users/{id}: an admin any role below admin, a super admin
 * also admin. Sub-clients need a parent, so they are made through /subclients only.
 */
export function canAssignRole(actor: Actor, role: string, endUserRoles: string[]): boolean {
  if (!isAdmin(actor.role)) return false
  if (endUserRoles.includes(role) || role === 'client') return true
  return role === 'admin' && actor.role === 'super_admin'
}
