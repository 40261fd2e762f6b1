import { sha256Hex } from '../../crypto/hash'
import type { Deps } from '../../deps'
import type { UserRow } from '../../storage/db/schema'
import type { TokenResponse } from '../sessions'

/**
 * The IdP's browser session (SPEC §15): single sign-on across OAuth clients. It is an ordinary
 * session row (listed in `GET /me/sessions`, ended from there like any other), opened by the same
 * sign-in services the JSON API calls; the cookie holds that session's refresh token, which is
 * never rotated while it serves as the cookie. OAuth clients get sessions of their own (`client_id`
 * set), opened from it at the code exchange.
 */
export interface BrowserSession {
  id: string
  user: UserRow
  /** Unix ms of the sign-in (`auth_time`), and its RFC 8176 methods. */
  authTime: number
  amr: string[]
  expiresAt: number
}

/** The cookie's name for a pool: one browser session per pool (pools share nothing, SPEC §12). */
export function browserCookieName(pool: string): string {
  return pool === 'default' ? '__Host-edge-auth' : `__Host-edge-auth-${pool}`
}

/** The cookie value a sign-in's token response gives (its refresh token). */
export function browserCookieValue(tokens: Pick<TokenResponse, 'refresh_token'>): string {
  return tokens.refresh_token
}

/**
 * The live browser session a cookie names, with its active user, or null (no cookie, a session
 * ended or expired, a session of an OAuth client, an account no longer active): two reads.
 */
export async function readBrowserSession(deps: Deps, cookie: string | undefined): Promise<BrowserSession | null> {
  if (!cookie || cookie.length > 128) return null
  const row = await deps.sessions.byRefreshHash(await sha256Hex(cookie))
  const now = deps.now()
  if (!row || row.revokedAt !== null || row.expiresAt <= now || row.clientId !== null) return null
  const user = await deps.users.byId(row.userId)
  if (user?.status !== 'active') return null
  return {
    id: row.id,
    user,
    authTime: row.authTime ?? row.createdAt,
    amr: row.amr ? row.amr.split(',') : [],
    expiresAt: row.expiresAt,
  }
}
