import type { Deps } from '../../deps'
import type { UserRow } from '../../storage/db/schema'
import { destinationKey } from '../otp'

/**
 * A password reset done one way ends every other way to do it: the account's open `reset` codes
 * (by text or email) and its unused reset links. One reset request by email sends a code and a
 * link together; without this, the one left over could reset the password a second time.
 */
export async function endResetCredentials(deps: Deps, user: Pick<UserRow, 'id' | 'phone' | 'email'>): Promise<void> {
  const now = deps.now()
  const destinations = [
    user.phone ? destinationKey({ channel: 'sms', address: user.phone }) : null,
    user.email ? destinationKey({ channel: 'email', address: user.email }) : null,
  ].filter((d): d is string => d !== null)
  await Promise.all([
    deps.otpChallenges.closeOpen(destinations, 'reset', now),
    deps.linkTokens.retireOthers(user.id, 'password_reset', '', now),
  ])
}
