import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { ConfigError } from './config'
import { AppError, type ErrorCode, formOnly, OAuthError, REALM } from './errors'
import { log } from './log'

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
}

const HTTP_EXCEPTION_CODES: Record<number, ErrorCode> = {
  400: 'validation_error',
  401: 'unauthorized',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
}

/** Turns anything thrown into an AppError; unknown failures are logged here and hidden. */
export function toAppError(err: unknown, requestId: string): AppError {
  if (err instanceof AppError) return err
  if (err instanceof HTTPException && HTTP_EXCEPTION_CODES[err.status]) {
    const code = HTTP_EXCEPTION_CODES[err.status] as ErrorCode
    return new AppError(code, err.status === 415 ? 'Send the body as application/json' : err.message || 'Request refused')
  }
  if (err instanceof ConfigError) {
    log.fatal(err.message, { request_id: requestId })
    return new AppError('internal_error', 'The service is misconfigured')
  }
  const e = err instanceof Error ? err : new Error(String(err))
  log.error('unhandled error', { request_id: requestId, error: e.name, stack: e.stack })
  return new AppError('internal_error', 'Something went wrong on our side')
}

/**
 * `POST /auth/token` of any pool (SPEC §6.1) and the OpenID Provider's protocol endpoints (SPEC
 * §15): whatever refuses a request there answers RFC 6749's shape.
 */
const TOKEN_ENDPOINT =
  /^(?:\/api\/v1(?:\/pools\/[^/]*)?\/auth\/token|(?:\/pools\/[^/]*)?\/oauth2\/(?:token|authorize|authorize\/resume|userinfo|revoke|introspect|end_session))$/

/** RFC 6750 §3.1: a scope token (NQCHAR), safe inside a quoted string. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/**
 * The `WWW-Authenticate: Bearer` challenge of an error of a protected endpoint (one that
 * `requireAuth` guards; SPEC §3, RFC 6750 §3): every 401, with `error="invalid_token"` when a token
 * was presented and refused, and a 403 `forbidden` (a permission the token does not carry) as
 * `error="insufficient_scope"`. Other 403s (unverified, disabled, re-authentication) have none.
 */
function bearerChallenge(c: Context, e: AppError): string | undefined {
  if (c.get('bearer') !== true) return undefined
  if (e.status === 401) return `Bearer realm="${REALM}"${e.code === 'invalid_token' ? ', error="invalid_token"' : ''}`
  if (e.code !== 'forbidden') return undefined
  const scope = e.extra.permission && SCOPE_TOKEN.test(e.extra.permission) ? `, scope="${e.extra.permission}"` : ''
  return `Bearer realm="${REALM}", error="insufficient_scope"${scope}`
}

/**
 * The RFC 6749 code of a refusal that is not the grant's own (a body limit, a request limit, a
 * route): 429 is `slow_down` (RFC 8628 §3.5: the one OAuth code for "wait and retry";
 * openid-client honours `Retry-After` with it), 500 `server_error` and 503
 * `temporarily_unavailable` (RFC 6749 §4.1.2.1), any other refusal `invalid_request`.
 */
function toOAuthError(err: unknown, requestId: string): { oauth: OAuthError; retryAfter?: number | undefined } {
  if (err instanceof OAuthError) return { oauth: err }
  let e = toAppError(err, requestId)
  // JSON is never accepted here: malformed JSON is refused as well-formed JSON is, 415.
  if (e.code === 'invalid_json') e = formOnly()
  if (e.status === 429) return { oauth: new OAuthError('slow_down', e.detail, { status: 429 }), retryAfter: e.extra.retryAfter }
  if (e.status === 500) return { oauth: new OAuthError('server_error', e.detail, { status: 500 }) }
  if (e.status >= 500) return { oauth: new OAuthError('temporarily_unavailable', e.detail, { status: 503 }) }
  // The grant's own refusals arrive as OAuthError (services/sign-in/oauth-token.ts); this is the safety net.
  if (e.status === 401 || e.status === 403 || e.status === 409) return { oauth: new OAuthError('invalid_grant', e.detail) }
  return { oauth: new OAuthError('invalid_request', e.detail, { status: e.status }) }
}

/** RFC 6749 §5.2: `{ error, error_description }` as plain JSON, never cached. */
function renderOAuthError(err: unknown, requestId: string): Response {
  const { oauth, retryAfter } = toOAuthError(err, requestId)
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'x-request-id': requestId,
  }
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter)
  if (oauth.extra.challenge) headers['www-authenticate'] = oauth.extra.challenge
  return new Response(JSON.stringify({ error: oauth.error, error_description: oauth.description, ...oauth.extra.mfa }), {
    status: oauth.status,
    headers,
  })
}

/**
 * The only place an error body is built: RFC 6749 errors at the token endpoint, else SPEC §3's
 * RFC 9457 problem details plus our members.
 */
export function renderError(c: Context, err: unknown): Response {
  const requestId = (c.get('requestId') as string | undefined) ?? ''
  if (err instanceof OAuthError || TOKEN_ENDPOINT.test(c.req.path)) return renderOAuthError(err, requestId)
  const e = toAppError(err, requestId)
  const body = {
    type: 'about:blank',
    title: TITLES[e.status] ?? 'Error',
    status: e.status,
    error: e.code,
    detail: e.detail,
    ...(e.extra.fields ? { fields: e.extra.fields } : {}),
    ...e.extra.mfa,
    request_id: requestId,
  }
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
    'x-request-id': requestId,
  }
  if (e.extra.retryAfter !== undefined) headers['retry-after'] = String(e.extra.retryAfter)
  const challenge = bearerChallenge(c, e)
  if (challenge) headers['www-authenticate'] = challenge
  return new Response(JSON.stringify(body), { status: e.status, headers })
}
