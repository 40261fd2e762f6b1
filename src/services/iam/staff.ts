import { hashPassword } from '../../crypto/password'
import { newId } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { UserRow } from '../../storage/db/schema'
import { isUniqueViolation, type NewUser } from '../../storage/repos/users'
import { toUserView, type UserView } from '../account'
import { audit } from '../audit'
import { normalizeEmail, normalizeUsername, parsePhone } from '../identifiers'
import { page } from '../pagination'
import { assertPasswordAllowed, scryptParams } from '../passwords'
import type { ClientInfo } from '../sessions'
import { type Actor, isAdmin } from './roles'

export type StaffKind = 'admin' | 'client' | 'subclient'

export interface StaffInput {
  username: string
  password: string
  phone?: string | undefined
  email?: string | undefined
  name?: string | undefined
  client_id?: string | undefined
}

const forbidden = (detail: string) => new AppError('forbidden', detail)
const notFound = () => new AppError('not_found', 'No such client')

/**
 * Who may create (and list) each kind (SPEC §6.5): admins by a super admin, clients by an admin
 * or above, sub-clients by an admin or above (naming `client_id`) or by a client (for itself).
 */
function assertMayCreate(actor: Actor, kind: StaffKind): void {
  const allowed =
    kind === 'admin'
      ? actor.role === 'super_admin'
      : kind === 'client'
        ? isAdmin(actor.role)
        : isAdmin(actor.role) || actor.role === 'client'
  if (!allowed) throw forbidden(`Your role cannot manage ${kind}s`)
}

/** The parent of a new sub-client: the calling client itself, or the active client an admin names. */
async function parentFor(deps: Deps, actor: Actor, clientId: string | undefined): Promise<string> {
  if (actor.role === 'client') {
    if (clientId !== undefined && clientId !== actor.id) throw forbidden('A client creates sub-clients for itself only')
    return actor.id
  }
  if (!clientId) {
    throw new AppError('validation_error', 'Request validation failed', { fields: { client_id: 'Required for admins' } })
  }
  const parent = await deps.users.byId(clientId)
  if (parent?.role !== 'client' || parent.status !== 'active') throw notFound()
  return parent.id
}

/** A staff account to create: its kind, the body that describes it, and the client asking. */
export interface StaffRequest extends StaffInput {
  kind: StaffKind
  client: ClientInfo
}

/** Creates an active staff account with a username and password. */
export async function createStaff(deps: Deps, actor: Actor, input: StaffRequest): Promise<UserView> {
  const { kind, client } = input
  assertMayCreate(actor, kind)
  const { config } = deps
  const username = normalizeUsername(input.username)
  const phone = input.phone !== undefined ? parsePhone(input.phone, config) : null
  const email = input.email !== undefined ? normalizeEmail(input.email) : null
  assertPasswordAllowed({ password: input.password }, config, { phone, email, username })
  const parentId = kind === 'subclient' ? await parentFor(deps, actor, input.client_id) : null

  const [byUsername, byPhone, byEmail] = await Promise.all([
    deps.users.byUsername(username),
    phone ? deps.users.byPhone(phone) : undefined,
    email ? deps.users.byEmail(email) : undefined,
  ])
  if (byUsername) throw new AppError('username_taken', 'This username is taken')
  if (byPhone) throw new AppError('phone_taken', 'This phone number is already registered')
  if (byEmail) throw new AppError('email_taken', 'This email is already registered')

  const now = deps.now()
  let user: UserRow | undefined
  try {
    const row: NewUser = {
      id: newId(now),
      username,
      phone,
      email,
      passwordHash: await hashPassword(input.password, scryptParams(config)),
      name: input.name ?? null,
      role: kind,
      status: 'active',
      createdAt: now,
      updatedAt: now,
    }
    // A sub-client is inserted only while its parent is an active client, in the same statement.
    user = parentId ? await deps.users.insertUnderClient({ ...row, parentId }) : await deps.users.insert({ ...row, parentId })
  } catch (err) {
    if (isUniqueViolation(err, 'username')) throw new AppError('username_taken', 'This username is taken')
    if (isUniqueViolation(err, 'phone')) throw new AppError('phone_taken', 'This phone number is already registered')
    if (isUniqueViolation(err, 'email')) throw new AppError('email_taken', 'This email is already registered')
    throw err
  }
  if (!user) throw actor.role === 'client' ? forbidden('Only an active client creates sub-clients') : notFound()
  audit(deps, {
    type: 'user_created',
    actorId: actor.id,
    subjectId: user.id,
    ...client,
    detail: { role: kind, parent_id: parentId },
  })
  return toUserView(user, [])
}

/** Lists staff of one kind; a client sees only its own sub-clients. */
export async function listStaff(
  deps: Deps,
  actor: Actor,
  q: { kind: StaffKind; limit: number; cursor?: string | undefined; client_id?: string | undefined },
) {
  const { kind } = q
  assertMayCreate(actor, kind)
  const parentId = kind === 'subclient' ? (actor.role === 'client' ? actor.id : q.client_id) : undefined
  const rows = await deps.users.page({ role: kind, parentId, limit: q.limit + 1, cursor: q.cursor })
  return page(rows, q.limit, (u) => toUserView(u, []))
}
