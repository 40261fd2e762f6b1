import type { Deps } from '../deps'
import { AppError } from '../errors'

/**
 * Password-login lockout (credential stuffing): after LOGIN_LOCKOUT_THRESHOLD consecutive
 * failures for one identifier, password logins for it are refused for 1, 2, 4 … minutes, never
 * more than LOGIN_LOCKOUT_MAX_MINUTES. It is keyed by the identifier typed, known or not, so it
 * reveals nothing, and it never blocks OTP login or password reset: an attacker cannot lock the
 * owner out of their account, only slow down password guessing.
 */
/**
 * Given the identifier's lock as read (`loginFailures.lockQuery`), throws 429 while it is locked;
 * returns whether it has failures on record.
 */
export function assertNotLockedOut(deps: Deps, lock: { until: number } | undefined): boolean {
  const until = lock?.until ?? 0
  const now = deps.now()
  if (until > now) {
    throw new AppError('rate_limited', 'Too many failed logins; try again later, or log in with a code', {
      retryAfter: Math.ceil((until - now) / 1000),
    })
  }
  return lock !== undefined
}

export async function recordLoginFailure(deps: Deps, identifier: string): Promise<void> {
  const now = deps.now()
  const { LOGIN_LOCKOUT_THRESHOLD: threshold, LOGIN_LOCKOUT_MAX_MINUTES: maxMinutes } = deps.config
  const streak = await deps.loginFailures.fail(identifier, now)
  if (streak < threshold) return
  const minutes = Math.min(2 ** Math.min(streak - threshold, 20), maxMinutes)
  await deps.loginFailures.lockUntil(identifier, now + minutes * 60_000)
}

export function clearLoginFailures(deps: Deps, identifier: string): Promise<unknown> {
  return deps.loginFailures.clear(identifier)
}
