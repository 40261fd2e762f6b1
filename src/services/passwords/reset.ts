import { hashPassword } from '../../crypto/password'
import type { Deps } from '../../deps'
import { invalidAccessToken } from '../../errors'
import { accountLocale } from '../../i18n/locale'
import type { UserRow } from '../../storage/db/schema'
import { createLink, sendNotice } from '../account'
import { audit } from '../audit'
import { groupOf } from '../limits'
import {
  checkOtp,
  consumeOtp,
  type Destination,
  destinationOf,
  findByDestination,
  type IdentifierInput,
  invalidCode,
  requestOtpInBackground,
} from '../otp'
import { type ClientInfo, revokeUserSessions, type UserSession } from '../sessions'
import { assertReenteredPassword } from '../sign-in'
import { scryptParams } from './check'
import { assertPasswordAllowed } from './policy'
import { endResetCredentials } from './reset-credentials'

/** Whether `to` is a verified address of `user`: the only kind a reset goes to (SPEC §6.1). */
function isVerifiedAddress(user: UserRow, to: Destination): boolean {
  return to.channel === 'sms' ? user.phone === to.address && user.phoneVerified : user.email === to.address && user.emailVerified
}

/**
 * Sends a `reset` code to a verified phone or email of an active account in the background;
 * answers the same for anyone (an unverified address gets the same 202 and nothing).
 */
export function requestPasswordReset(deps: Deps, input: IdentifierInput, client: ClientInfo): Promise<void> {
  const to = destinationOf(deps, input)
  return requestOtpInBackground(deps, {
    purpose: 'reset',
    to,
    client,
    requestGroup: groupOf('POST /auth/reset-password'),
    shouldSend: (user) => user?.status === 'active' && isVerifiedAddress(user, to),
    // A reset goes only to an account, in the account's language: this one is never used.
    locale: deps.config.DEFAULT_LOCALE,
    // By email, the code comes with a one-time link to the reset page.
    extrasFor: async (user) => {
      if (to.channel !== 'email' || !user) return {}
      const locale = accountLocale(deps.config, user.locale)
      const link = await createLink(deps, 'password_reset', { userId: user.id, email: to.address, locale })
      return { link: link.url, linkMinutes: link.minutes }
    },
  })
}

/**
 * Sets a new password with a `reset` code and revokes every session of the user. The code is
 * checked first (a wrong one is 400 `invalid_code` whatever the password: no policy answer names
 * the holder's identifiers), then the policy, and only then is the code used: a refused password
 * does not burn a right code.
 */
export async function confirmPasswordReset(
  deps: Deps,
  input: IdentifierInput & { code: string; new_password: string },
  client: ClientInfo,
): Promise<void> {
  const to = destinationOf(deps, input)
  const user = await findByDestination(deps, to)
  const right = await checkOtp(deps, { purpose: 'reset', to, code: input.code, ip: client.ip })
  // A code sent before the address stopped being this account's verified one is dead.
  if (!user || !isVerifiedAddress(user, to)) throw invalidCode()
  assertPasswordAllowed({ password: input.new_password, field: 'new_password' }, deps.config, user)
  await consumeOtp(deps, right)
  const passwordHash = await hashPassword(input.new_password, scryptParams(deps.config))
  await deps.users.update(user.id, { passwordHash, updatedAt: deps.now() })
  await endResetCredentials(deps, user)
  await revokeUserSessions(deps, { userId: user.id }, { reason: 'password_reset', client })
  audit(deps, { type: 'password_reset', actorId: user.id, subjectId: user.id, ...client, detail: { channel: to.channel } })
  sendNotice(deps, user, 'password_reset')
}

/** Changes the signed-in user's password; every other session is revoked, this one lives. */
export async function changePassword(
  deps: Deps,
  { userId, sessionId }: UserSession,
  input: { old_password: string; new_password: string; client: ClientInfo },
): Promise<void> {
  const { client } = input
  const user = await deps.users.byId(userId)
  if (!user) throw invalidAccessToken()
  // Counted like a login: a stolen token cannot guess the password (SPEC §6.1).
  // No re-hash of an outdated hash (SPEC §13): the new password replaces it just below.
  await assertReenteredPassword(deps, user, { password: input.old_password, client, rehash: false })
  assertPasswordAllowed({ password: input.new_password, field: 'new_password' }, deps.config, user)
  const passwordHash = await hashPassword(input.new_password, scryptParams(deps.config))
  await deps.users.update(user.id, { passwordHash, updatedAt: deps.now() })
  await revokeUserSessions(deps, { userId: user.id, keep: sessionId }, { reason: 'password_changed', client })
  audit(deps, { type: 'password_changed', actorId: user.id, subjectId: user.id, ...client })
  sendNotice(deps, user, 'password_changed')
}
