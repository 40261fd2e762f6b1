import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { UserRow } from '../../storage/db/schema'
import { checkPassword } from '../passwords'
import type { ClientInfo } from '../sessions'
import { beginAttempt } from './lockout'

/**
 * Checks a password counted like a login (SPEC §6.1) under `identifier`: false when wrong; 429
 * `rate_limited` once LOGIN_LOCKOUT_THRESHOLD wrong ones lock it. A refused attempt costs no hash.
 */
export async function passwordMatches(
  deps: Deps,
  check: { identifier: string; user: UserRow; password: string; client: ClientInfo },
): Promise<boolean> {
  const { attempt } = await beginAttempt(deps, { identifier: check.identifier, client: check.client, holder: check.user })
  let ok = false
  try {
    ok = await checkPassword(deps, check.user, check.password)
  } finally {
    attempt.settle(ok)
  }
  return ok
}

/** Checks a password re-entered for a sensitive call, counted like a login (SPEC §6.1): 401 invalid_credentials when wrong, 429 rate_limited after LOGIN_LOCKOUT_THRESHOLD wrong ones. */
export async function assertReenteredPassword(
  deps: Deps,
  user: UserRow,
  { password, client }: { password: string; client: ClientInfo },
): Promise<void> {
  // Keyed by the account (a stolen token names no identifier); one round trip, and a refused attempt costs no hash.
  if (!(await passwordMatches(deps, { identifier: `user:${user.id}`, user, password, client }))) {
    throw new AppError('invalid_credentials', 'The current password is incorrect')
  }
}
