import { decodeJwt } from 'jose'
import { bytesToBase64Url, utf8 } from '../../crypto/encoding'
import { sha256Hex } from '../../crypto/hash'
import { type AccessClaims, ID_TOKEN_ALGS, type IdTokenAlg, thirdPartyAudience } from '../../crypto/jwt'
import { newId } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError, OAuthError } from '../../errors'
import type { OauthClientRow, OauthCodeRow } from '../../storage/db/schema'
import { audit, auditRow } from '../audit'
import { ACTING_ROLES } from '../oauth-clients'
import {
  assertCanSignIn,
  type ClientInfo,
  newSession,
  openedResponse,
  refreshSession,
  revokeSession,
  type TokenResponse,
} from '../sessions'
import { idToken } from './claims'
import { authenticateClient, type ClientRequest } from './client-auth'
import { param, required } from './params'
import { grantsOf, requireProvider, scopesOf } from './provider'

/** RFC 6749 §5.1 (and OpenID Connect Core §3.1.3.3): what the token endpoint answers. */
export interface OidcTokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  refresh_token?: string
  id_token?: string
  scope: string
}

/** A grant's request: its form, the client that authenticated, and where the call came from. */
interface Grant {
  form: ClientRequest['form']
  oauth: OauthClientRow
  client: ClientInfo
}

const invalidGrant = (detail: string) => new OAuthError('invalid_grant', detail)

/** RFC 7636 §4.1: a verifier is 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/

async function s256(verifier: string): Promise<string> {
  return bytesToBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(verifier))))
}

const idTokenAlgOf = (client: OauthClientRow): IdTokenAlg =>
  (ID_TOKEN_ALGS as readonly string[]).includes(client.idTokenAlg) ? (client.idTokenAlg as IdTokenAlg) : 'RS256'

/** A scope asked for at the token endpoint must be among the client's (and, on refresh, the session's). */
function scopeWithin(asked: string | undefined, allowed: string[], fallback: string): string {
  if (asked === undefined) return fallback
  const scopes = [...new Set(asked.split(' ').filter(Boolean))]
  if (scopes.some((s) => !allowed.includes(s)))
    throw new OAuthError('invalid_scope', 'A scope asked for was not granted to this client')
  return scopes.join(' ')
}

/**
 * RFC 6749 §4.1.2: a code used twice. The request is refused, and the session the first exchange
 * opened is revoked (its refresh token and access tokens stop working).
 */
async function replayed(deps: Deps, code: OauthCodeRow, client: ClientInfo): Promise<never> {
  if (code.sessionId) {
    await revokeSession(deps, { userId: code.userId, sessionId: code.sessionId }, { reason: 'authorization_code_reused', client })
  }
  audit(deps, {
    type: 'authorization_code_reused',
    subjectId: code.userId,
    ...client,
    detail: { client_id: code.clientId, session_id: code.sessionId },
  })
  throw invalidGrant('This authorization code was already used; the tokens it gave have been revoked')
}

/** `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6). */
async function exchangeCode(deps: Deps, { form, oauth, client }: Grant) {
  const code = required(form, 'code', 256)
  const redirectUri = required(form, 'redirect_uri')
  const verifier = required(form, 'code_verifier', 256)
  const hash = await sha256Hex(code)
  const row = await deps.oauthCodes.byHash(hash)
  if (!row) throw invalidGrant('The authorization code is invalid')
  if (row.usedAt !== null) return replayed(deps, row, client)
  if (row.expiresAt <= deps.now()) throw invalidGrant('The authorization code has expired')
  if (row.clientId !== oauth.id) throw invalidGrant('The authorization code was issued to another client')
  if (row.redirectUri !== redirectUri) throw invalidGrant('redirect_uri differs from the authorization request’s')
  if (!VERIFIER.test(verifier) || (await s256(verifier)) !== row.codeChallenge) {
    throw invalidGrant('code_verifier does not match the code_challenge')
  }
  const amr = row.amr ? row.amr.split(',') : []
  const draft = await newSession(deps, {
    userId: row.userId,
    client,
    amr,
    oauth: {
      clientId: oauth.id,
      scope: row.scope,
      browserSessionId: row.browserSessionId,
      authTime: row.authTime,
      audience: audienceOf(deps, oauth),
    },
  })
  const event = auditRow(deps, {
    type: 'login_succeeded',
    actorId: row.userId,
    subjectId: row.userId,
    ...client,
    detail: { method: 'oauth2_code', client_id: oauth.id, session_id: draft.id },
  })
  const { opened } = await deps.oauthCodes.exchange({ codeHash: hash, now: deps.now(), session: draft.row, audit: event })
  if (!opened) {
    // Spent meanwhile by a concurrent exchange (whose session is revoked), or its sign-in ended.
    const now = await deps.oauthCodes.byHash(hash)
    if (now?.usedAt != null) return replayed(deps, now, client)
    throw invalidGrant('The sign-in this code came from has ended')
  }
  const tokens = await openedResponse(deps, draft, opened)
  return {
    ...oauthTokens(tokens, oauth, row.scope),
    ...(row.scope.split(' ').includes('openid')
      ? {
          id_token: await idToken(deps, {
            user: opened.user,
            clientId: oauth.id,
            alg: idTokenAlgOf(oauth),
            scope: row.scope,
            nonce: row.nonce,
            authTime: row.authTime,
            amr,
            sid: row.browserSessionId,
            accessToken: tokens.access_token,
          }),
        }
      : {}),
  }
}

/** A third-party client's tokens are for userinfo only (no permission, not the JSON API's audience); a first-party client's are the account's. */
const audienceOf = (deps: Deps, oauth: OauthClientRow) => (oauth.firstParty ? undefined : thirdPartyAudience(deps.config))

function oauthTokens(tokens: TokenResponse, oauth: OauthClientRow, scope: string): OidcTokenResponse {
  return {
    access_token: tokens.access_token,
    token_type: 'Bearer',
    expires_in: tokens.expires_in,
    // A client without the refresh_token grant gets none (its session still ends with the others).
    ...(grantsOf(oauth).includes('refresh_token') ? { refresh_token: tokens.refresh_token } : {}),
    scope,
  }
}

// The JSON API's refusals of a refresh, as RFC 6749 answers them; limits and outages keep their status.
const REFRESH_REFUSALS = new Set([
  'invalid_token',
  'refresh_token_reused',
  'refresh_conflict',
  'account_disabled',
  'unverified_account',
])

/** `grant_type=refresh_token` (RFC 6749 §6): SPEC §6.3's rotation and reuse detection, for this client's sessions only. */
async function refresh(deps: Deps, { form, oauth, client }: Grant) {
  const refreshToken = required(form, 'refresh_token', 256)
  const asked = param(form, 'scope')
  if (asked !== undefined) {
    // Checked before the rotation (one read, only when a scope is asked): a refusal spends no token.
    const session = await deps.sessions.byRefreshHash(await sha256Hex(refreshToken))
    if (session?.clientId === oauth.id) scopeWithin(asked, (session.scope ?? '').split(' '), '')
  }
  let tokens: TokenResponse
  try {
    tokens = await refreshSession(deps, { refreshToken, clientId: oauth.id, audience: audienceOf(deps, oauth) }, client)
  } catch (err) {
    if (err instanceof AppError && REFRESH_REFUSALS.has(err.code)) throw invalidGrant(err.detail)
    throw err
  }
  const claims = decodeJwt(tokens.access_token) as unknown as AccessClaims
  const granted = claims.scope ?? ''
  // A narrower scope may be asked (RFC 6749 §6): this access token has it; the session keeps what it was granted.
  const scope = scopeWithin(asked, granted.split(' '), granted)
  if (scope === granted) return oauthTokens(tokens, oauth, scope)
  const access_token = await (await deps.keyring()).sign({ ...claims, scope }, deps.now())
  return oauthTokens({ ...tokens, access_token }, oauth, scope)
}

/** `grant_type=client_credentials` (RFC 6749 §4.4): a confidential client as itself, or as its staff account (`user_id`). */
async function clientCredentials(deps: Deps, { form, oauth, client }: Grant) {
  if (oauth.type !== 'confidential' || !grantsOf(oauth).includes('client_credentials')) {
    throw new OAuthError('unauthorized_client', 'This client may not use the client_credentials grant')
  }
  const allowed = scopesOf(oauth).filter((s) => s !== 'openid')
  const scope = scopeWithin(param(form, 'scope'), allowed, allowed.join(' '))
  const ttl = deps.config.ACCESS_TOKEN_EXPIRE_MINUTES * 60
  if (!oauth.userId) {
    // No account: the token's subject is the client, with no role or permission; it lives its lifetime.
    const now = deps.now()
    const keyring = await deps.keyring()
    const token = await keyring.sign(
      { sub: oauth.id, sid: newId(now), jti: newId(now), role: 'oauth_client', perms: [], client_id: oauth.id, scope },
      now,
    )
    return { access_token: token, token_type: 'Bearer' as const, expires_in: ttl, scope }
  }
  const user = await deps.users.byId(oauth.userId)
  if (!user) throw invalidGrant('The account this client acts as is gone')
  // The registry's rule holds at every grant: an account promoted since (an admin) is not handed over.
  if (!ACTING_ROLES.has(user.role)) throw invalidGrant('The account this client acts as is no longer a client account')
  try {
    assertCanSignIn(user)
  } catch (err) {
    throw invalidGrant((err as Error).message)
  }
  // A session as short as its one access token: revocable, and introspection reads it.
  const draft = await newSession(deps, {
    userId: user.id,
    client,
    amr: [],
    oauth: { clientId: oauth.id, scope, browserSessionId: null, authTime: deps.now(), ttlMs: ttl * 1000 },
  })
  const event = auditRow(deps, {
    type: 'login_succeeded',
    actorId: user.id,
    subjectId: user.id,
    ...client,
    detail: { method: 'oauth2_client_credentials', client_id: oauth.id, session_id: draft.id },
  })
  const opened = await deps.sessions.open(draft.row, event)
  const tokens = await openedResponse(deps, draft, { user: opened.user ?? user, devices: opened.devices, grants: opened.grants })
  return { access_token: tokens.access_token, token_type: 'Bearer' as const, expires_in: tokens.expires_in, scope }
}

/** `POST /oauth2/token` (SPEC §15): client authentication, then the grant. */
export async function oidcToken(deps: Deps, req: ClientRequest, client: ClientInfo): Promise<OidcTokenResponse> {
  requireProvider(deps)
  const oauth = await authenticateClient(deps, req)
  const grantType = required(req.form, 'grant_type')
  const allowed = grantsOf(oauth)
  const grant = { form: req.form, oauth, client }
  if (grantType === 'client_credentials') return clientCredentials(deps, grant)
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
    throw new OAuthError('unsupported_grant_type', 'Supported grant types: authorization_code, refresh_token, client_credentials')
  }
  if (!allowed.includes(grantType)) throw new OAuthError('unauthorized_client', `This client may not use the ${grantType} grant`)
  return grantType === 'authorization_code' ? exchangeCode(deps, grant) : refresh(deps, grant)
}
