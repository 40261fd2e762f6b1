import { idTime } from '../crypto/random'
import type { Deps } from '../deps'
import { AppError } from '../errors'
import { isUniqueViolation } from '../storage/repos/users'
import { claimEmail, emailIsTaken } from './email-claims'
import { sendEmailVerification } from './email-links'
import { normalizeEmail } from './identifiers'
import { assertReenteredPassword } from './reauth'
import { type ClientInfo, revokeUserSessions } from './sessions'
import { toUserView, type UserView } from './user-view'
import { assertNoSubclients } from './users-admin'

const gone = () => new AppError('invalid_token', 'The access token is invalid, expired or revoked')

/**
 * The signed-in user's profile: from the copy the auth middleware already read (KV, or the
 * isolate's memory) when there is one (no D1 query on this hot path), else from D1, caching it
 * for the next calls. A copy older than this session's login (its `last_login` predates the
 * session) is refused: logins do not rewrite the KV copy. A user deleted since the token was
 * issued has no valid token.
 */
export async function getMe(deps: Deps, auth: { userId: string; sessionId: string; cachedProfile: unknown }): Promise<UserView> {
  const { userId, cachedProfile } = auth
  if (isProfileOf(cachedProfile, userId) && isFreshFor(cachedProfile, auth.sessionId)) return cachedProfile
  const [user, devices] = await Promise.all([deps.users.byId(userId), deps.devices.of(userId)])
  if (!user) throw gone()
  const view = toUserView(user, devices)
  deps.defer(() => deps.authState.putProfile(userId, view))
  return view
}

const isProfileOf = (value: unknown, userId: string): value is UserView =>
  typeof value === 'object' && value !== null && (value as { id?: unknown }).id === userId

/** Every login stamps `last_login` with its session's creation time, which the session id carries. */
const isFreshFor = (profile: UserView, sessionId: string) =>
  profile.last_login !== null && Date.parse(profile.last_login) >= idTime(sessionId)

export interface ProfilePatch {
  name?: string | null | undefined
  surname?: string | null | undefined
  email?: string | undefined
}

/**
 * Updates the profile. A new email gets a verification code and link before anything changes
 * (a failed send is a 503 and changes nothing), then is stored unverified until confirmed; an
 * email another account has proved is a 409 (`emailIsTaken`).
 */
export async function updateMe(deps: Deps, userId: string, patch: ProfilePatch, client: ClientInfo): Promise<UserView> {
  const user = await deps.users.byId(userId)
  if (!user) throw gone()
  const changes: Parameters<typeof deps.users.update>[1] = { updatedAt: deps.now() }
  if (patch.name !== undefined) changes.name = patch.name
  if (patch.surname !== undefined) changes.surname = patch.surname
  if (patch.email !== undefined) {
    const email = normalizeEmail(patch.email)
    if (email !== user.email) {
      if (emailIsTaken(await deps.users.byEmail(email))) throw new AppError('email_taken', 'This email is already registered')
      await sendEmailVerification(deps, user, email, client)
      await claimEmail(deps, email, { id: userId })
      changes.email = email
      changes.emailVerified = false
    }
  }
  try {
    const updated = await deps.users.update(userId, changes)
    if (!updated) throw gone()
    return toUserView(updated, await deps.devices.of(userId))
  } catch (err) {
    if (isUniqueViolation(err, 'email')) throw new AppError('email_taken', 'This email is already registered')
    throw err
  }
}

const lastSuperAdmin = () =>
  new AppError('forbidden', 'The only active super admin cannot delete their account; make another super admin first')

/**
 * Deletes the account after checking its password; every token of it stops working. The last
 * active super admin is refused (403): nobody could administer the service any more; so is a
 * client that still has sub-clients (400, like a role change).
 */
export async function deleteMe(deps: Deps, userId: string, password: string, client: ClientInfo): Promise<void> {
  const user = await deps.users.byId(userId)
  if (!user) throw new AppError('invalid_credentials', 'The password is incorrect')
  await assertReenteredPassword(deps, user, password, client) // counted like a login (SPEC §6.1)
  if (user.role === 'super_admin' && !(await deps.users.otherActiveSuperAdmin(userId))) throw lastSuperAdmin()
  await assertNoSubclients(deps, user)
  await revokeUserSessions(deps, userId, undefined, { reason: 'account_deleted', client })
  // The delete checks both again, in its own statement (two super admins deleting themselves at once).
  if (!(await deps.users.delete(userId))) {
    if (user.role === 'super_admin') throw lastSuperAdmin()
    await assertNoSubclients(deps, user)
  }
}
