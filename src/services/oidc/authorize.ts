import { sha256Hex } from '../../crypto/hash'
import { randomToken } from '../../crypto/random'
import type { Deps } from '../../deps'
import { OAuthError } from '../../errors'
import type { OauthClientRow } from '../../storage/db/schema'
import { type BrowserSession, readBrowserSession } from '../browser-session'
import { type AuthorizationRequest, sealRequest } from './authorization-request'
import { errorRedirect, hasConsent } from './consent'
import { type Params, param, required } from './params'
import { grantsOf, listOf, poolPrefix, requireProvider, scopesOf } from './provider'

/** RFC 6749 §4.1.2: codes live a minute at most (SPEC §15: 60 s), and are used once. */
export const CODE_TTL_MS = 60_000

/** RFC 7636 §4.2: S256's challenge is base64url(SHA-256(verifier)), 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/
const PROMPTS = new Set(['none', 'login', 'consent'])

/** An error the client learns through its redirect URI (RFC 6749 §4.1.2.1): the URI is trusted by then. */
class RedirectedError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description)
  }
}

/** The client of an authorization request and its redirect URI, checked before anything is redirected (400 otherwise). */
async function trustedClient(deps: Deps, params: Params): Promise<{ client: OauthClientRow; redirectUri: string }> {
  const clientId = required(params, 'client_id', 256)
  const client = await deps.oauthClients.byId(clientId)
  // Another pool's client is unknown here (SPEC §12): its users and issuer are not this pool's.
  if (!client || client.pool !== deps.pool.id) throw new OAuthError('invalid_request', 'Unknown client_id')
  const redirectUri = required(params, 'redirect_uri')
  // Exact string match (RFC 9700 §4.1.3): no prefix, no normalisation.
  if (!listOf(client.redirectUris).includes(redirectUri)) {
    throw new OAuthError('invalid_request', 'redirect_uri is not one this client registered')
  }
  return { client, redirectUri }
}

function promptOf(params: Params): AuthorizationRequest['prompt'] {
  const values = (param(params, 'prompt') ?? '').split(' ').filter(Boolean)
  if (values.some((v) => !PROMPTS.has(v))) throw new RedirectedError('invalid_request', 'prompt may be none, login or consent')
  if (values.includes('none') && values.length > 1) throw new RedirectedError('invalid_request', 'prompt=none stands alone')
  // login and consent together: a fresh sign-in (prompt), then the consent screen (`reconsent`).
  if (values.includes('login')) return 'login'
  return values[0] as AuthorizationRequest['prompt']
}

/** The request's parameters after its redirect URI is trusted: their errors are redirected. */
function validated(params: Params, client: OauthClientRow, now: number): Omit<AuthorizationRequest, 'clientId' | 'redirectUri'> {
  if (param(params, 'request') !== undefined)
    throw new RedirectedError('request_not_supported', 'Request objects are not supported')
  if (param(params, 'request_uri') !== undefined)
    throw new RedirectedError('request_uri_not_supported', 'request_uri is not supported')
  const responseType = param(params, 'response_type')
  if (responseType !== 'code') throw new RedirectedError('unsupported_response_type', 'response_type must be code')
  if (!grantsOf(client).includes('authorization_code')) {
    throw new RedirectedError('unauthorized_client', 'This client may not use the authorization code flow')
  }
  const allowed = new Set(scopesOf(client))
  const scopes = [...new Set((param(params, 'scope') ?? '').split(' ').filter(Boolean))]
  if (scopes.some((s) => !allowed.has(s)))
    throw new RedirectedError('invalid_scope', 'A scope asked for is not one of this client’s')
  const challenge = param(params, 'code_challenge')
  const method = param(params, 'code_challenge_method')
  // PKCE S256 for every client (SPEC §15); `plain`, or no method (RFC 7636's default is plain), is refused.
  if (!challenge) throw new RedirectedError('invalid_request', 'code_challenge is required (PKCE, S256)')
  if (method !== 'S256') throw new RedirectedError('invalid_request', 'code_challenge_method must be S256')
  if (!S256_CHALLENGE.test(challenge)) throw new RedirectedError('invalid_request', 'code_challenge is not an S256 challenge')
  const maxAgeText = param(params, 'max_age')
  if (maxAgeText !== undefined && !/^\d{1,9}$/.test(maxAgeText)) {
    throw new RedirectedError('invalid_request', 'max_age must be a number of seconds')
  }
  const optional = (name: string, max: number) => {
    const value = param(params, name, max)
    return value === undefined ? {} : { [name]: value }
  }
  const { state, nonce, login_hint, ui_locales } = {
    ...optional('state', 1024),
    ...optional('nonce', 512),
    ...optional('login_hint', 256),
    ...optional('ui_locales', 128),
  } as Record<string, string | undefined>
  const prompt = promptOf(params)
  const reconsent = (param(params, 'prompt') ?? '').split(' ').includes('consent')
  return {
    scope: scopes.join(' '),
    codeChallenge: challenge,
    iat: now,
    ...(state !== undefined ? { state } : {}),
    ...(nonce !== undefined ? { nonce } : {}),
    ...(prompt ? { prompt } : {}),
    ...(reconsent ? { reconsent } : {}),
    ...(maxAgeText !== undefined ? { maxAge: Number(maxAgeText) } : {}),
    ...(login_hint !== undefined ? { loginHint: login_hint } : {}),
    ...(ui_locales !== undefined ? { uiLocales: ui_locales } : {}),
  }
}

/** What a request's browser needs next: the URL to send it to (the client, or a hosted page). */
export interface Next {
  location: string
}

/**
 * `GET|POST /oauth2/authorize` (SPEC §15): validates the request (400 JSON while the client and
 * its redirect URI are not trusted, a redirect with `error` after), then continues it with the
 * browser session the cookie names.
 */
export async function authorize(deps: Deps, params: Params, cookie: string | undefined): Promise<Next> {
  requireProvider(deps)
  const { client, redirectUri } = await trustedClient(deps, params)
  let request: AuthorizationRequest
  try {
    request = { clientId: client.id, redirectUri, ...validated(params, client, deps.now()) }
  } catch (err) {
    if (!(err instanceof RedirectedError)) throw err
    const state = safeState(params)
    return { location: errorRedirect(deps, { redirectUri, state }, err.error) }
  }
  return proceed(deps, { request, client, cookie })
}

/** The state to echo with an error: the request's, unless it is the parameter that was wrong. */
function safeState(params: Params): string | undefined {
  try {
    return param(params, 'state', 1024)
  } catch {
    return undefined
  }
}

/**
 * `GET /oauth2/authorize/resume?request=` (SPEC §15): where the hosted pages send the browser once
 * it signed in or consented; the same checks as authorize, ending in the same redirects.
 */
export async function resumeAuthorization(deps: Deps, request: AuthorizationRequest, cookie: string | undefined): Promise<Next> {
  requireProvider(deps)
  const client = await deps.oauthClients.byId(request.clientId)
  if (!client || client.pool !== deps.pool.id || !listOf(client.redirectUris).includes(request.redirectUri)) {
    throw new OAuthError('invalid_request', 'This application is no longer registered')
  }
  return proceed(deps, { request, client, cookie })
}

interface Proceeding {
  request: AuthorizationRequest
  client: OauthClientRow
  cookie: string | undefined
}

/** Whether the browser session satisfies the request's `prompt=login` and `max_age`. */
function signedInEnough(session: BrowserSession | null, request: AuthorizationRequest, now: number): session is BrowserSession {
  if (!session) return false
  // prompt=login: a sign-in after the request arrived (on authorize itself: never, so the page is shown).
  if (request.prompt === 'login' && session.authTime < request.iat) return false
  // max_age: a sign-in older than it, unless it came after the request (the person signed in for
  // it: even max_age=0, OpenID's way of saying prompt=login, is then met).
  const signedInForIt = session.authTime >= request.iat
  if (request.maxAge !== undefined && !signedInForIt && now - session.authTime > request.maxAge * 1000) return false
  return true
}

async function proceed(deps: Deps, { request, client, cookie }: Proceeding): Promise<Next> {
  const session = await readBrowserSession(deps, cookie)
  const pages = `${poolPrefix(deps.pool.id)}/oauth2`
  const page = async (name: string) => ({
    location: `${pages}/${name}?request=${encodeURIComponent(await sealRequest(deps, request))}`,
  })
  if (!signedInEnough(session, request, deps.now())) {
    if (request.prompt === 'none') return { location: errorRedirect(deps, request, 'login_required') }
    return page('sign-in')
  }
  if (!client.firstParty) {
    // prompt=consent (with login too): only a consent given on this request's own consent page.
    if (!(await hasConsent(deps, { request, userId: session.user.id }))) {
      if (request.prompt === 'none') return { location: errorRedirect(deps, request, 'consent_required') }
      return page('consent')
    }
  }
  return { location: await issueCode(deps, { request, session }) }
}

/** Issues a code for the request and answers the redirect that carries it (with state and RFC 9207 `iss`). */
async function issueCode(deps: Deps, { request, session }: { request: AuthorizationRequest; session: BrowserSession }) {
  const now = deps.now()
  const code = randomToken(32)
  await deps.oauthCodes.save({
    hash: await sha256Hex(code),
    clientId: request.clientId,
    userId: session.user.id,
    browserSessionId: session.id,
    redirectUri: request.redirectUri,
    scope: request.scope,
    nonce: request.nonce ?? null,
    codeChallenge: request.codeChallenge,
    authTime: session.authTime,
    amr: session.amr.join(','),
    createdAt: now,
    expiresAt: now + CODE_TTL_MS,
  })
  const url = new URL(request.redirectUri)
  url.searchParams.set('code', code)
  if (request.state !== undefined) url.searchParams.set('state', request.state)
  url.searchParams.set('iss', deps.config.JWT_ISSUER)
  return url.toString()
}
