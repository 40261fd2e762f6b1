import type { Deps } from '../deps'
import { AppError, retryAfterSeconds } from '../errors'

/**
 * Password-login lockout (credential stuffing): after LOGIN_LOCKOUT_THRESHOLD consecutive
 * failures for one identifier, password logins for it are refused for 1, 2, 4 … minutes, never
 * more than LOGIN_LOCKOUT_MAX_MINUTES. It is keyed by the identifier typed, known or not, so it
 * reveals nothing, and it never blocks OTP login or password reset: an attacker cannot lock the
 * owner out of their account, only slow down password guessing.
 *
 * Each attempt is counted, and the lock set, atomically before its password is checked
 * (`loginFailures.admitStatement`); a right password then clears the streak. So concurrent
 * attempts cannot slip past the threshold while the first ones are being hashed.
 */

/** Throws 429 when the attempt was not admitted: the identifier is locked (`lock`, read in the same batch). */
export function assertAdmitted(deps: Deps, admitted: boolean, lock: { until: number } | undefined): void {
  if (admitted) return
  throw new AppError('rate_limited', 'Too many failed logins; try again later, or log in with a code', {
    retryAfter: retryAfterSeconds((lock?.until ?? 0) - deps.now()),
  })
}
