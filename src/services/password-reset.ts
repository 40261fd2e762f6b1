import { hashPassword } from '../crypto/password'
import type { Deps } from '../deps'
import { AppError } from '../errors'
import { audit } from './audit'
import { createLink, sendNotice } from './email-links'
import { destinationOf, findByDestination, type IdentifierInput, requestOtpInBackground } from './login'
import { verifyOtp } from './otp'
import { assertPasswordAllowed } from './password-policy'
import { scryptParams } from './passwords'
import { assertReenteredPassword } from './reauth'
import { endResetCredentials } from './reset-credentials'
import { type ClientInfo, revokeUserSessions } from './sessions'

/** Sends a `reset` code to an active account in the background; answers the same for anyone. */
export function requestPasswordReset(deps: Deps, input: IdentifierInput, client: ClientInfo): Promise<void> {
  const to = destinationOf(deps, input)
  return requestOtpInBackground(deps, {
    purpose: 'reset',
    to,
    client,
    requestGroup: 'reset',
    shouldSend: (user) => user?.status === 'active',
    // By email, the code comes with a one-time link to the reset page.
    extrasFor: async (user) => {
      if (to.channel !== 'email' || !user) return {}
      const link = await createLink(deps, 'password_reset', user.id, to.address)
      return { link: link.url, linkMinutes: link.minutes }
    },
  })
}

/** Sets a new password with a `reset` code and revokes every session of the user. */
export async function confirmPasswordReset(
  deps: Deps,
  input: IdentifierInput & { code: string; new_password: string },
  client: ClientInfo,
): Promise<void> {
  const to = destinationOf(deps, input)
  const user = await findByDestination(deps, to)
  assertPasswordAllowed(input.new_password, deps.config, user ?? {}, 'new_password')
  await verifyOtp(deps, 'reset', to, input.code)
  if (!user) throw new AppError('invalid_code', 'The code is invalid or has expired')
  const passwordHash = await hashPassword(input.new_password, scryptParams(deps.config))
  const verified = to.channel === 'sms' ? { phoneVerified: true } : { emailVerified: true }
  await deps.users.update(user.id, { passwordHash, ...verified, updatedAt: deps.now() })
  await endResetCredentials(deps, user)
  await revokeUserSessions(deps, user.id, undefined, { reason: 'password_reset', client })
  audit(deps, { type: 'password_reset', actorId: user.id, subjectId: user.id, ...client, detail: { channel: to.channel } })
  sendNotice(deps, { ...user, ...verified }, 'password_reset')
}

/** Changes the signed-in user's password; every other session is revoked, this one lives. */
export async function changePassword(
  deps: Deps,
  userId: string,
  sessionId: string,
  input: { old_password: string; new_password: string },
  client: ClientInfo,
): Promise<void> {
  const user = await deps.users.byId(userId)
  if (!user) throw new AppError('invalid_credentials', 'The current password is incorrect')
  // Counted like a login: a stolen token cannot guess the password (SPEC §6.1).
  await assertReenteredPassword(deps, user, input.old_password, client)
  assertPasswordAllowed(input.new_password, deps.config, user, 'new_password')
  const passwordHash = await hashPassword(input.new_password, scryptParams(deps.config))
  await deps.users.update(user.id, { passwordHash, updatedAt: deps.now() })
  await revokeUserSessions(deps, user.id, sessionId, { reason: 'password_changed', client })
  audit(deps, { type: 'password_changed', actorId: user.id, subjectId: user.id, ...client })
  sendNotice(deps, user, 'password_changed')
}
