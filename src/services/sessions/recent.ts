import type { Deps } from '../../deps'
import { AppError, invalidAccessToken } from '../../errors'
import { MINUTE_MS } from '../../time'
import { isLiveSession, type UserSession } from './open'

/**
 * How recent a sign-in must be for what a stolen access token must not do alone: change the
 * account's email or phone without a password (SPEC §6.2), add a second factor or a passkey (§14,
 * which would lock the owner out of their own account).
 */
export const RECENT_SIGN_IN_MS = 5 * MINUTE_MS

/**
 * 401 unless the session is live in D1 (a revoked one does nothing); 403
 * `reauthentication_required` unless its holder signed in (`auth_time`: an OAuth client's session
 * keeps the browser sign-in's, a refresh keeps the session's) within RECENT_SIGN_IN_MS. One read.
 */
export async function assertRecentSignIn(deps: Deps, { userId, sessionId }: UserSession, what: string): Promise<void> {
  const session = await deps.sessions.byId(sessionId)
  if (!isLiveSession(session, userId, deps.now())) throw invalidAccessToken()
  if (deps.now() - (session.authTime ?? session.createdAt) > RECENT_SIGN_IN_MS) {
    throw new AppError('reauthentication_required', `Sign in again, then ${what} within 5 minutes`)
  }
}
