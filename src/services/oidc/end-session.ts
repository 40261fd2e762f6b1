import { z } from 'zod'
import { timingSafeEqual } from '../../crypto/compare'
import { bytesToBase64Url, utf8 } from '../../crypto/encoding'
import { hmacSha256 } from '../../crypto/hash'
import { seal, unseal } from '../../crypto/secret-box'
import type { Deps } from '../../deps'
import { OAuthError } from '../../errors'
import type { OauthClientRow } from '../../storage/db/schema'
import { audit } from '../audit'
import { readBrowserSession } from '../browser-session'
import type { ClientInfo } from '../sessions'
import { type Params, param } from './params'
import { listOf, requireProvider } from './provider'

/** A validated logout request (OpenID RP-Initiated Logout 1.0), carried sealed by the confirmation form. */
const LogoutRequest = z.object({
  clientId: z.string().optional(),
  clientName: z.string().optional(),
  redirect: z.string().optional(),
  state: z.string().optional(),
  iat: z.number(),
})
type LogoutRequest = z.infer<typeof LogoutRequest>

const LOGOUT_TTL_MS = 30 * 60_000
const PURPOSE = 'oauth2 logout request'
const sealScope = (deps: Deps) => ({ pepper: deps.config.OTP_PEPPER, purpose: PURPOSE, owner: deps.pool.id })
const invalid = (detail: string) => new OAuthError('invalid_request', detail)

/** The logout's client: the ID token hint's audience, or `client_id` (both: they must agree). */
async function clientOf(deps: Deps, params: Params): Promise<OauthClientRow | undefined> {
  const hint = param(params, 'id_token_hint', 8192)
  const clientId = param(params, 'client_id', 256)
  let audience: string | undefined
  if (hint !== undefined) {
    const claims = await (await deps.keyring()).readIdTokenHint(hint)
    const aud = Array.isArray(claims?.aud) ? claims.aud[0] : claims?.aud
    if (!aud) throw invalid('id_token_hint is not an ID token this provider issued')
    audience = aud
  }
  if (audience && clientId && audience !== clientId) throw invalid('client_id is not the audience of id_token_hint')
  const id = audience ?? clientId
  if (!id) return undefined
  const client = await deps.oauthClients.byId(id)
  if (!client || client.pool !== deps.pool.id) throw invalid('Unknown client')
  return client
}

/** Where the browser goes after signing out: the registered URI, with `state`. */
function redirectOf(request: LogoutRequest): string | undefined {
  if (!request.redirect) return undefined
  const url = new URL(request.redirect)
  if (request.state !== undefined) url.searchParams.set('state', request.state)
  return url.toString()
}

/** The CSRF token of the confirmation form: bound to the browser session, unforgeable without the service's secret. */
async function csrfOf(deps: Deps, browserSessionId: string): Promise<string> {
  return bytesToBase64Url(await hmacSha256(deps.config.OTP_PEPPER, `oauth2 logout csrf:${deps.pool.id}:${browserSessionId}`))
}

/** What `end_session` answers: a redirect (nobody to sign out), the confirmation page, or the signed-out page. */
export type LogoutStep =
  | { kind: 'redirect'; location: string }
  | { kind: 'confirm'; appName: string | undefined; request: string; csrf: string; formAction: string | undefined }
  | { kind: 'signed_out' }

/**
 * `GET|POST /oauth2/end_session` (SPEC §15): validates `id_token_hint`, `client_id` and
 * `post_logout_redirect_uri` (an exact match of one the client registered: never an open
 * redirect; 400 otherwise), then asks the signed-in browser to confirm. Without a browser session
 * there is nothing to end: straight to the client's URI, or the signed-out page.
 */
export async function startLogout(deps: Deps, params: Params, cookie: string | undefined): Promise<LogoutStep> {
  requireProvider(deps)
  const client = await clientOf(deps, params)
  const redirect = param(params, 'post_logout_redirect_uri')
  if (redirect !== undefined) {
    if (!client) throw invalid('post_logout_redirect_uri needs id_token_hint or client_id')
    if (!listOf(client.postLogoutRedirectUris).includes(redirect)) {
      throw invalid('post_logout_redirect_uri is not one this client registered')
    }
  }
  const state = param(params, 'state', 1024)
  const request: LogoutRequest = {
    iat: deps.now(),
    ...(client ? { clientId: client.id, clientName: client.name } : {}),
    ...(redirect !== undefined ? { redirect } : {}),
    ...(state !== undefined ? { state } : {}),
  }
  const session = await readBrowserSession(deps, cookie)
  if (!session) {
    const location = redirectOf(request)
    return location ? { kind: 'redirect', location } : { kind: 'signed_out' }
  }
  const sealed = await seal(sealScope(deps), utf8(JSON.stringify(request)))
  const formAction = redirect && /^https?:/i.test(redirect) ? new URL(redirect).origin : undefined
  return { kind: 'confirm', appName: client?.name, request: sealed, csrf: await csrfOf(deps, session.id), formAction }
}

/**
 * The confirmation form's POST: ends the browser session and every OAuth session it issued
 * (`browser_session_id`), then sends the browser to the validated URI or the signed-out page.
 * A forged or stale form (CSRF token of another session, a request not sealed here) is 400.
 */
export async function confirmLogout(
  deps: Deps,
  form: Params,
  { cookie, client }: { cookie: string | undefined; client: ClientInfo },
): Promise<{ location: string | undefined }> {
  requireProvider(deps)
  let request: LogoutRequest
  try {
    const plain = await unseal(sealScope(deps), param(form, 'request', 4096) ?? '')
    request = LogoutRequest.parse(JSON.parse(new TextDecoder().decode(plain)))
  } catch {
    throw invalid('This sign-out form is invalid or has expired')
  }
  if (request.iat + LOGOUT_TTL_MS < deps.now()) throw invalid('This sign-out form has expired')
  const session = await readBrowserSession(deps, cookie)
  if (session) {
    const presented = utf8(param(form, 'csrf', 128) ?? '')
    if (!timingSafeEqual(presented, utf8(await csrfOf(deps, session.id)))) throw invalid('The form’s CSRF token is invalid')
    const ended = await deps.sessions.revokeBrowserFamily({
      browserSessionId: session.id,
      userId: session.user.id,
      now: deps.now(),
    })
    await Promise.all(ended.map((id) => deps.authState.markSession(session.user.id, id)))
    audit(deps, {
      type: 'sessions_revoked',
      actorId: session.user.id,
      subjectId: session.user.id,
      ...client,
      detail: { reason: 'oauth2_end_session', count: ended.length, client_id: request.clientId ?? null },
    })
  }
  return { location: redirectOf(request) }
}
