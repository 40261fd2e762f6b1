import { sha256Hex } from '../../crypto/hash'
import { API_CLIENT_ID, thirdPartyAudience, type VerifiedAccess } from '../../crypto/jwt'
import type { Deps } from '../../deps'
import { OAuthError, REALM } from '../../errors'
import type { OauthClientRow, SessionRow } from '../../storage/db/schema'
import { type ClientInfo, isLiveSession, revokeSession } from '../sessions'
import { scopeClaims } from './claims'
import { authenticateClient, type ClientRequest } from './client-auth'
import { type Params, required } from './params'
import { requireProvider } from './provider'

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i

/** The audiences userinfo, revocation and introspection read: the JSON API's and third-party clients'. */
const accepted = (deps: Deps) => [deps.config.JWT_AUDIENCE, thirdPartyAudience(deps.config)]

const refusedToken = () =>
  new OAuthError('invalid_token', 'The access token is invalid, expired or revoked', {
    status: 401,
    challenge: `Bearer realm="${REALM}", error="invalid_token"`,
  })

/** The access token's claims and its session row when the token verifies and its session lives (one D1 read). */
async function liveAccess(
  deps: Deps,
  token: string,
): Promise<{ claims: VerifiedAccess; session: SessionRow | undefined } | null> {
  // Third-party clients' tokens too: userinfo is what their audience is for.
  const claims = await (await deps.keyring()).verify(token, deps.now(), accepted(deps))
  if (!claims) return null
  const session = await deps.sessions.byId(claims.sid)
  // A client_credentials token without an account has no session: it lives its lifetime.
  if (!session && claims.sub === claims.client_id && claims.role === 'oauth_client') return { claims, session }
  return isLiveSession(session, claims.sub, deps.now()) ? { claims, session } : null
}

/**
 * `GET|POST /oauth2/userinfo` (OpenID Connect Core §5.3): the claims of the scopes granted, for an
 * access token of an OAuth session with `openid` (its session row read: a revocation counts at once).
 */
export async function userinfo(
  deps: Deps,
  { authorization, params }: { authorization: string | undefined; params: Params },
): Promise<Record<string, unknown>> {
  requireProvider(deps)
  // SPEC §3: tokens never travel in URLs (nor, here, in a form: RFC 6750 §2, one method only).
  if (params.access_token !== undefined) {
    throw new OAuthError('invalid_request', 'Send the access token in the Authorization header, not as a parameter')
  }
  if (!authorization) {
    throw new OAuthError('invalid_request', 'Send an access token: Authorization: Bearer <token>', {
      status: 401,
      challenge: `Bearer realm="${REALM}"`,
    })
  }
  const token = BEARER.exec(authorization.trim())?.[1]
  const access = token ? await liveAccess(deps, token) : null
  if (!access?.session || access.claims.client_id === API_CLIENT_ID || access.session.clientId !== access.claims.client_id) {
    throw refusedToken()
  }
  if (!(access.claims.scope ?? '').split(' ').includes('openid')) {
    throw new OAuthError('insufficient_scope', 'The access token was not granted the openid scope', {
      status: 403,
      challenge: `Bearer realm="${REALM}", error="insufficient_scope", scope="openid"`,
    })
  }
  const user = await deps.users.byId(access.claims.sub)
  if (user?.status !== 'active') throw refusedToken()
  return { sub: user.id, ...scopeClaims(user, access.claims.scope ?? '') }
}

/**
 * `POST /oauth2/revoke` (RFC 7009): a refresh token or an access token of the authenticated
 * client; either ends its session (refresh token and access tokens). Unknown tokens, and other
 * clients' tokens, change nothing and are answered the same (200).
 */
export async function revokeToken(deps: Deps, req: ClientRequest, client: ClientInfo): Promise<void> {
  requireProvider(deps)
  const oauth = await authenticateClient(deps, req)
  const token = required(req.form, 'token', 4096)
  const why = { reason: 'oauth2_revoke', client }
  if (JWT.test(token)) {
    const claims = await (await deps.keyring()).verify(token, deps.now(), accepted(deps))
    if (claims && claims.client_id === oauth.id) await revokeSession(deps, { userId: claims.sub, sessionId: claims.sid }, why)
    return
  }
  const session = await deps.sessions.byRefreshHash(await sha256Hex(token))
  if (session && session.clientId === oauth.id) await revokeSession(deps, { userId: session.userId, sessionId: session.id }, why)
}

const seconds = (ms: number) => Math.floor(ms / 1000)
const INACTIVE = { active: false } as const

/** Whether `oauth` may see a token issued to `clientId`: a confidential client (a resource server) any of its pool's, a public one its own. */
const mayInspect = (oauth: OauthClientRow, clientId: string | null | undefined) =>
  oauth.type === 'confidential' || clientId === oauth.id

/**
 * `POST /oauth2/introspect` (RFC 7662): whether a token is active now, reading its session row, so
 * a revocation is seen at once. Access tokens of the pool (any, for a confidential client; its
 * own, for a public one) and the client's own refresh tokens.
 */
export async function introspect(deps: Deps, req: ClientRequest): Promise<Record<string, unknown>> {
  requireProvider(deps)
  const oauth = await authenticateClient(deps, req)
  const token = required(req.form, 'token', 4096)
  if (JWT.test(token)) {
    const access = await liveAccess(deps, token)
    if (!access || !mayInspect(oauth, access.claims.client_id)) return INACTIVE
    const { claims } = access
    return {
      active: true,
      token_type: 'Bearer',
      client_id: claims.client_id ?? API_CLIENT_ID,
      ...(claims.scope !== undefined ? { scope: claims.scope } : {}),
      sub: claims.sub,
      iss: deps.config.JWT_ISSUER,
      aud: deps.config.JWT_AUDIENCE,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      sid: claims.sid,
    }
  }
  if (token.length > 128) return INACTIVE
  const session = await deps.sessions.byRefreshHash(await sha256Hex(token))
  if (!session || session.clientId !== oauth.id || !isLiveSession(session, session.userId, deps.now())) return INACTIVE
  return {
    active: true,
    token_type: 'refresh_token',
    client_id: oauth.id,
    scope: session.scope ?? '',
    sub: session.userId,
    iss: deps.config.JWT_ISSUER,
    exp: seconds(session.expiresAt),
    iat: seconds(session.createdAt),
    sid: session.id,
  }
}
