import { sha256Hex } from '../../crypto/hash'
import { randomToken } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { audit } from '../audit'
import { assertUnderRequestLimit, groupOf, requestCounter } from '../limits'
import { assertCanSignIn, type ClientInfo, revokeSession, signedInHow, type TokenResponse, tokenResponse } from './open'

const invalidRefresh = () => new AppError('invalid_token', 'The refresh token is invalid, expired or revoked')

/**
 * A refresh token and the client presenting it: the OAuth client authenticated at `/oauth2/token`,
 * or null (the JSON API, `/auth/refresh` and `/auth/token`). A session rotates only for the client
 * it was issued to (SPEC §15), so an OAuth client's token is refused elsewhere, and the browser
 * session's cookie (a JSON API session) is never rotated by an OAuth client.
 */
export interface RefreshGrant {
  refreshToken: string
  clientId?: string | null | undefined
  /** A third-party client's audience (thirdPartyAudience): the new access token's. */
  audience?: string | undefined
}

/**
 * Exchanges a refresh token for a new pair, rotating it with a compare-and-swap: of concurrent
 * refreshes with one token exactly one wins. A token rotated away less than
 * REFRESH_REUSE_GRACE_SECONDS ago is a benign client race (409, the session lives); later it can
 * only be a copy in the wrong hands, so the whole session is revoked (401 refresh_token_reused).
 * Counts the `refresh` group's per-IP request limit (429 `rate_limited`, the token untouched).
 */
export async function refreshSession(deps: Deps, grant: RefreshGrant, client: ClientInfo): Promise<TokenResponse> {
  const { refreshToken } = grant
  const clientId = grant.clientId ?? null
  const now = deps.now()
  const oldHash = await sha256Hex(refreshToken)
  const next = randomToken(32)
  // The per-IP limit is counted in the rotation's own round trip; over it, nothing rotates.
  const limit = requestCounter(deps, groupOf('POST /auth/refresh'), client.ip)
  const rotation = await deps.sessions.rotate({ oldHash, newHash: await sha256Hex(next), now, limit, clientId })
  assertUnderRequestLimit(deps, rotation.limit, now)
  const { swapped } = rotation
  if (swapped) {
    const { session, user, devices, grants } = swapped
    if (!user) throw invalidRefresh()
    assertCanSignIn(user)
    // The refreshed token says how and when the session's holder signed in, as the first one did.
    return tokenResponse(
      deps,
      { user, devices, grants },
      {
        id: session.id,
        refreshToken: next,
        ...signedInHow(session),
        audience: grant.audience,
      },
    )
  }

  const rotated = await deps.sessions.rotatedAway(oldHash)
  if (!rotated) throw invalidRefresh()
  const owner = await deps.sessions.byId(rotated.sessionId)
  // Another client's token (rotated away or not) is not this client's to burn: refused, the session untouched.
  if (!owner || owner.revokedAt !== null || owner.expiresAt <= now || owner.clientId !== clientId) throw invalidRefresh()
  if (now - rotated.rotatedAt <= deps.config.REFRESH_REUSE_GRACE_SECONDS * 1000) {
    throw new AppError('refresh_conflict', 'This refresh token was just rotated; use the newest one')
  }
  await revokeSession(deps, { userId: owner.userId, sessionId: owner.id }, { reason: 'refresh_token_reused', client })
  audit(deps, { type: 'refresh_token_reused', subjectId: owner.userId, ...client, detail: { session_id: owner.id } })
  throw new AppError('refresh_token_reused', 'This refresh token was already used; the session has been revoked')
}
