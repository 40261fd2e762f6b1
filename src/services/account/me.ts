import type { Locale } from '../../config'
import { idTime } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError, invalidAccessToken } from '../../errors'
import { allowedLocale } from '../../i18n/allowed'
import { assertNoSubclients } from '../iam'
import { normalizeEmail, parsePhone } from '../identifiers'
import { type ClientInfo, revokeUserSessions, type UserSession } from '../sessions'
import { assertReenteredPassword } from '../sign-in'
import { requestContactChange } from './contact-change'
import { toUserView, type UserView } from './view'

const gone = invalidAccessToken

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
  phone?: string | undefined
  current_password?: string | undefined
  /** The account's language (one of LOCALES, else 400); null: none chosen, DEFAULT_LOCALE. */
  locale?: Locale | null | undefined
}

/**
 * Updates the profile. Name and surname change at once. A new email or phone moves the account,
 * so it needs a live session and the password (`assertCanMoveAccount`), and is only held as
 * pending (SPEC §6.2): it gets a code (an email also a link) before anything is stored (a failed
 * send is a 503 and changes nothing), and replaces the current one once confirmed. An address
 * another account has proved is a 409; asking for the current one again drops the pending one.
 */
export async function updateMe(deps: Deps, auth: UserSession, patch: ProfilePatch & { client: ClientInfo }): Promise<UserView> {
  const { client } = patch
  const locale = patch.locale ? allowedLocale(deps.config, patch.locale) : patch.locale
  const stored = await deps.users.byId(auth.userId)
  if (!stored) throw gone()
  const now = deps.now()
  const changes: Parameters<typeof deps.users.update>[1] = { updatedAt: now }
  if (patch.name !== undefined) changes.name = patch.name
  if (patch.surname !== undefined) changes.surname = patch.surname
  if (locale !== undefined) changes.locale = locale
  // A code this change sends to a new email or phone is in the language it chooses.
  const user = locale === undefined ? stored : { ...stored, locale }
  const email = patch.email === undefined ? undefined : normalizeEmail(patch.email)
  const phone = patch.phone === undefined ? undefined : parsePhone(patch.phone, deps.config)
  const moves = await requestContactChange(deps, user, {
    sessionId: auth.sessionId,
    email,
    phone,
    password: patch.current_password,
    client,
  })
  Object.assign(changes, moves)
  const updated = await deps.users.update(user.id, changes)
  if (!updated) throw gone()
  return toUserView(updated, await deps.devices.of(user.id))
}

const lastSuperAdmin = () =>
  new AppError('forbidden', 'The only active super admin cannot delete their account; make another super admin first')

/**
 * Deletes the account after checking its password; every token of it stops working. The last
 * active super admin is refused (403): nobody could administer the service any more; so is a
 * client that still has sub-clients (400, like a role change).
 */
export async function deleteMe(
  deps: Deps,
  userId: string,
  { password, client }: { password: string; client: ClientInfo },
): Promise<void> {
  const user = await deps.users.byId(userId)
  if (!user) throw gone()
  // Counted like a login (SPEC §6.1); an outdated hash is not re-hashed: the account goes.
  await assertReenteredPassword(deps, user, { password, client, rehash: false })
  if (user.role === 'super_admin' && !(await deps.users.otherActiveSuperAdmin(userId))) throw lastSuperAdmin()
  await assertNoSubclients(deps, user)
  await revokeUserSessions(deps, { userId }, { reason: 'account_deleted', client })
  // The delete checks both again, in its own statement (two super admins deleting themselves at once).
  if (!(await deps.users.delete(userId))) {
    if (user.role === 'super_admin') throw lastSuperAdmin()
    await assertNoSubclients(deps, user)
  }
}
