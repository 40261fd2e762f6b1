import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { UserRow } from '../../storage/db/schema'
import { checkPassword } from '../passwords'
import type { ClientInfo } from '../sessions'
import { beginAttempt } from './lockout'

/** Checks a password re-entered for a sensitive call, counted like a login (SPEC §6.1): 401 invalid_credentials when wrong, 429 rate_limited after LOGIN_LOCKOUT_THRESHOLD wrong ones. */
export async function assertReenteredPassword(deps: Deps, user: UserRow, password: string, client: ClientInfo): Promise<void> {
  // Keyed by the account (a stolen token names no identifier); one round trip, and a refused attempt costs no hash.
  const { attempt } = await beginAttempt(deps, { identifier: `user:${user.id}`, client, holder: user })
  let ok = false
  try {
    ok = await checkPassword(deps, user, password)
  } finally {
    attempt.settle(ok)
  }
  if (!ok) throw new AppError('invalid_credentials', 'The current password is incorrect')
}
