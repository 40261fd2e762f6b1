import { type Locale, STAFF_ROLES } from '../../config'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { allowedLocale } from '../../i18n/allowed'
import { DEFAULT_POOL } from '../../pools'
import type { UserRow } from '../../storage/db/schema'
import { isUniqueViolation } from '../../storage/repos/users'
import { toUserView, type UserView, welcomeIfNew } from '../account'
import { audit } from '../audit'
import { normalizeEmail, parsePhone } from '../identifiers'
import { page } from '../pagination'
import { type ClientInfo, revokeUserSessions } from '../sessions'
import { type Actor, canAssignRole, canManage, isAdmin, rank } from './roles'

const notFound = () => new AppError('not_found', 'No such user')
const adminsOnly = (actor: Actor) => {
  if (!isAdmin(actor.role)) throw new AppError('forbidden', 'Only admins manage users')
}

/**
 * Roles that act on others through /users/{id}: admins on those below them, a client on its own
 * sub-clients (SPEC §13); sub-clients and end users manage nobody (403).
 */
export function managersOnly(actor: Actor): void {
  if (!isAdmin(actor.role) && actor.role !== 'client') {
    throw new AppError('forbidden', 'Only admins and clients manage users')
  }
}

/** The user `actor` may act on, or 404 (never telling a forbidden user from a missing one). */
export async function managed(deps: Deps, actor: Actor, id: string): Promise<UserRow> {
  const target = await deps.users.byId(id)
  if (!target || !canManage(actor, target)) throw notFound()
  return target
}

async function withDevices(deps: Deps, user: UserRow): Promise<UserView> {
  return toUserView(user, await deps.devices.of(user.id))
}

export interface UserQuery {
  /** One pool's users; every pool's when absent (SPEC §12: staff administer every pool). */
  pool?: string | undefined
  role?: string | undefined
  status?: UserRow['status'] | undefined
  q?: string | undefined
  limit: number
  cursor?: string | undefined
}

/**
 * Users the actor ranks above: the list shows no one GET /users/{id} would hide (an admin does
 * not see admins or super admins).
 */
export async function listUsers(deps: Deps, actor: Actor, q: UserQuery) {
  adminsOnly(actor)
  if (q.pool !== undefined && !deps.pools().includes(q.pool)) throw new AppError('not_found', 'No such user pool')
  const pools = q.pool === undefined ? deps.pools() : [q.pool]
  const endUserRoles = pools.flatMap((id) => deps.inPool(id).config.END_USER_ROLES)
  const roles = [...new Set([...STAFF_ROLES.filter((r) => rank(r) < rank(actor.role)), ...endUserRoles])]
  const rows = await deps.users.page({ ...q, roles, limit: q.limit + 1 })
  const devices = await deps.devices.ofUsers(rows.slice(0, q.limit).map((u) => u.id))
  return page(rows, q.limit, (u) => toUserView(u, devices.get(u.id) ?? []))
}

/** A user reads itself; admins read those below them; a client reads its own sub-clients. */
export async function getUser(deps: Deps, actor: Actor, id: string): Promise<UserView> {
  if (id === actor.id) {
    const self = await deps.users.byId(id)
    if (!self) throw notFound()
    return withDevices(deps, self)
  }
  return withDevices(deps, await managed(deps, actor, id))
}

export interface AdminPatch {
  name?: string | null | undefined
  surname?: string | null | undefined
  email?: string | null | undefined
  phone?: string | null | undefined
  role?: string | undefined
  /** The user's language (one of the user's pool's LOCALES, else 400); null: none chosen, DEFAULT_LOCALE. */
  locale?: Locale | null | undefined
}

const stillHasSubclients = () =>
  new AppError('validation_error', 'Request validation failed', { fields: { role: 'This client still has sub-clients' } })

/** A change to user `id`: the fields given in `patch` change (audited by name), the others stay. */
export interface AdminPatchRequest {
  id: string
  patch: AdminPatch
  client: ClientInfo
}

/**
 * Edits a user below the actor (a client: its own sub-clients, never their role). A role change
 * ends the user's sessions, so the new role applies at once.
 */
export async function patchUser(deps: Deps, actor: Actor, { id, patch, client }: AdminPatchRequest): Promise<UserView> {
  if (id === actor.id && patch.role !== undefined) throw new AppError('forbidden', 'Nobody changes their own role')
  managersOnly(actor)
  const target = await managed(deps, actor, id)
  // The user's pool's rules (its countries and end-user roles), and its pool in the audit log (SPEC §12).
  const own = deps.inPool(target.pool)
  const changes: Partial<UserRow> = { updatedAt: own.now() }
  if (patch.name !== undefined) changes.name = patch.name
  if (patch.surname !== undefined) changes.surname = patch.surname
  if (patch.locale !== undefined) changes.locale = patch.locale && allowedLocale(own.config, patch.locale)
  if (patch.email !== undefined) {
    changes.email = patch.email === null ? null : normalizeEmail(patch.email)
    if (changes.email !== target.email) changes.emailVerified = false
  }
  if (patch.phone !== undefined) {
    changes.phone = patch.phone === null ? null : parsePhone(patch.phone, own.config)
    if (changes.phone !== target.phone) changes.phoneVerified = false
  }
  const roleChanged = patch.role !== undefined && patch.role !== target.role
  if (roleChanged) {
    const known = [...STAFF_ROLES, ...own.config.END_USER_ROLES]
    if (!known.includes(patch.role as string)) {
      throw new AppError('validation_error', 'Request validation failed', {
        fields: { role: `Unknown role; one of: ${known.join(', ')}` },
      })
    }
    if (!canAssignRole(actor, patch.role as string, own.config.END_USER_ROLES))
      throw new AppError('forbidden', `You cannot give the role ${patch.role}`)
    if (target.pool !== DEFAULT_POOL && !own.config.END_USER_ROLES.includes(patch.role as string)) {
      throw new AppError('validation_error', 'Request validation failed', {
        fields: { role: `Staff belong to the default pool; one of: ${own.config.END_USER_ROLES.join(', ')}` },
      })
    }
    if (target.role === 'client' && (await own.users.page({ parentId: target.id, limit: 1 })).length > 0) {
      throw stillHasSubclients()
    }
    changes.role = patch.role as string
    changes.parentId = null
  }
  let updated: UserRow | undefined
  try {
    // A client's demotion re-checks "no sub-clients" in its own statement (one created meanwhile).
    const demotesClient = roleChanged && target.role === 'client'
    updated = demotesClient ? await own.users.updateChildless(id, changes) : await own.users.update(id, changes)
    if (!updated && demotesClient && (await own.users.byId(id))) throw stillHasSubclients()
  } catch (err) {
    if (isUniqueViolation(err, 'email')) throw new AppError('email_taken', 'This email is already registered')
    if (isUniqueViolation(err, 'phone')) throw new AppError('phone_taken', 'This phone number is already registered')
    throw err
  }
  if (!updated) throw notFound()
  if (roleChanged) {
    await revokeUserSessions(own, { userId: id }, { reason: 'role_changed', actorId: actor.id, client })
    audit(own, {
      type: 'role_changed',
      actorId: actor.id,
      subjectId: id,
      ...client,
      detail: { from: target.role, to: updated.role },
    })
  } else {
    audit(own, { type: 'user_updated', actorId: actor.id, subjectId: id, ...client, detail: { fields: Object.keys(patch) } })
  }
  return withDevices(own, updated)
}

/** A client's sub-clients need it (their permissions are capped by its own): they go first. */
export async function assertNoSubclients(deps: Deps, user: UserRow): Promise<void> {
  if (user.role === 'client' && (await deps.users.page({ parentId: user.id, limit: 1 })).length > 0) throw hasSubclients()
}

const hasSubclients = () =>
  new AppError('validation_error', 'Request validation failed', {
    fields: { id: 'This client still has sub-clients; delete them first' },
  })

/** Deletes a user below the actor (a client: one of its own sub-clients); its sessions end first. */
export async function deleteUser(deps: Deps, actor: Actor, { id, client }: { id: string; client: ClientInfo }): Promise<void> {
  managersOnly(actor)
  const target = await managed(deps, actor, id)
  const own = deps.inPool(target.pool)
  await assertNoSubclients(own, target)
  await revokeUserSessions(own, { userId: id }, { reason: 'user_deleted', actorId: actor.id, client })
  // The delete checks again, in its own statement (a sub-client created in between).
  if (!(await own.users.delete(id))) {
    await assertNoSubclients(own, target)
    throw notFound() // deleted by someone else in between
  }
  audit(own, { type: 'user_deleted', actorId: actor.id, subjectId: id, ...client })
}

/**
 * activate / deactivate / suspend a user below the actor (a client: its own sub-clients); the two
 * last end every session of the user at once.
 */
export async function setStatus(
  deps: Deps,
  actor: Actor,
  { id, status, client }: { id: string; status: 'active' | 'deactivated' | 'suspended'; client: ClientInfo },
): Promise<UserView> {
  managersOnly(actor)
  const target = await managed(deps, actor, id)
  const own = deps.inPool(target.pool)
  const updated = await own.users.update(id, { status, updatedAt: own.now() })
  if (!updated) throw notFound()
  // An admin vouching for a pending account completes its registration: the welcome email, if due.
  if (target.status === 'pending') welcomeIfNew(own, target, updated)
  if (status !== 'active') await revokeUserSessions(own, { userId: id }, { reason: `user_${status}`, actorId: actor.id, client })
  audit(own, {
    type: 'status_changed',
    actorId: actor.id,
    subjectId: id,
    ...client,
    detail: { from: target.status, to: status },
  })
  return withDevices(own, updated)
}
