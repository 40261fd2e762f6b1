import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { UserRow } from '../../storage/db/schema'
import { checkPassword, upgradedHash } from '../passwords'
import type { ClientInfo } from '../sessions'
import { beginAttempt } from './lockout'

/** A password re-entered by a signed-in user, or typed again for an account being registered. */
export interface ReenteredPassword {
  password: string
  client: ClientInfo
  /**
   * False when the caller replaces or deletes the hash next (change-password, DELETE /me): an
   * outdated hash that matched is then not re-hashed. Otherwise it is, after the answer.
   */
  rehash?: boolean | undefined
}

/**
 * Checks a password counted like a login (SPEC §6.1) under `identifier`: false when wrong; 429
 * `rate_limited` once LOGIN_LOCKOUT_THRESHOLD wrong ones lock it. A refused attempt costs no hash.
 * A right password stored in an outdated hash (SPEC §13) is re-hashed after the answer, if that
 * hash is still the one stored then.
 */
export async function passwordMatches(
  deps: Deps,
  check: ReenteredPassword & { identifier: string; user: UserRow },
): Promise<boolean> {
  const { user, password } = check
  const { attempt } = await beginAttempt(deps, { identifier: check.identifier, client: check.client, holder: user })
  let ok = false
  let outdated: string | undefined
  try {
    ;({ ok, outdated } = await checkPassword(deps, user, password))
  } finally {
    attempt.settle(ok)
  }
  if (outdated && check.rehash !== false) {
    const stale = outdated
    deps.defer(async () => {
      const { expected, next } = await upgradedHash(deps, { outdated: stale, password })
      await deps.users.replacePasswordHash(user.id, expected, next)
    })
  }
  return ok
}

/** Checks a password re-entered for a sensitive call, counted like a login (SPEC §6.1): 401 invalid_credentials when wrong, 429 rate_limited after LOGIN_LOCKOUT_THRESHOLD wrong ones. */
export async function assertReenteredPassword(deps: Deps, user: UserRow, reentered: ReenteredPassword): Promise<void> {
  // Keyed by the account (a stolen token names no identifier); one round trip, and a refused attempt costs no hash.
  if (!(await passwordMatches(deps, { ...reentered, identifier: `user:${user.id}`, user }))) {
    throw new AppError('invalid_credentials', 'The current password is incorrect')
  }
}
