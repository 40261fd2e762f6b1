import type { Context } from 'hono'
import { setCookie } from 'hono/cookie'
import { randomToken } from '../../crypto/random'
import type { Deps } from '../../deps'
import type { AppEnv } from '../../env'
import { AppError } from '../../errors'
import { chooseLocale } from '../../i18n/locale'
import { type PageKey, type Translate, translator } from '../../i18n/pages'
import { csrfAccepted, csrfToken } from '../../middleware/csrf'
import { errorScreen } from '../../pages/hosted/account'
import { type Problem, TURNSTILE_ORIGIN, type View } from '../../pages/hosted/layout'
import { browserCookieName, browserCookieValue } from '../../services/browser-session'
import { type AuthorizationRequest, describeRequest, openRequest } from '../../services/oidc'
import type { ClientInfo, TokenResponse } from '../../services/sessions'
import { clientInfo } from '../router'

/** Everything a hosted page's handler works with. */
export interface PageCtx {
  c: Context<AppEnv>
  deps: Deps
  view: View
  request: AuthorizationRequest
  sealed: string
  /** The posted form's text fields (empty for a GET). */
  form: Record<string, string>
  client: ClientInfo
  /** A page; on a POST the client's name is read first (next-step and error pages only). */
  render(html: (v: View) => string, status?: number, extra?: Record<string, string>): Promise<Response>
  /** After any successful sign-in: the browser session cookie and 303 to authorize/resume. */
  signedIn(tokens: Pick<TokenResponse, 'refresh_token'>): Response
  /** 303 to another URL (resume, the client's redirect). */
  redirect(to: string): Response
}

/** The pool's prefix of the hosted pages: '' for `default`, '/pools/<id>' for another pool (SPEC §12). */
export const prefixOf = (deps: Deps) => (deps.pool.id === 'default' ? '' : `/pools/${deps.pool.id}`)

/**
 * `form-action` source of the request's redirect URI: Chrome checks form-action on the redirects
 * that follow a form POST (POST → 303 resume → 302 client), so the client's origin is allowed too.
 * A private-use scheme (RFC 8252, `com.example.app:/cb`) is allowed by its scheme.
 */
export function formTarget(redirectUri: string): string | undefined {
  try {
    const url = new URL(redirectUri)
    if (url.protocol === 'https:' || url.protocol === 'http:') return url.origin
    return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : undefined
  } catch {
    return undefined
  }
}

/**
 * The pages' CSP: the stylesheet and scripts of this response's nonce only, nothing external
 * (with Turnstile on, its script and frame: SPEC §5's bot defence is Cloudflare's widget).
 */
export function hostedCsp(nonce: string, o: { redirectUri?: string | undefined; turnstile?: boolean } = {}): string {
  const target = o.redirectUri ? formTarget(o.redirectUri) : undefined
  const turnstile = o.turnstile ? ` ${TURNSTILE_ORIGIN}` : ''
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'${turnstile}`,
    ...(o.turnstile ? [`frame-src ${TURNSTILE_ORIGIN}`] : []),
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self'",
    `form-action 'self'${target ? ` ${target}` : ''}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ')
}

function respond(c: Context<AppEnv>, html: string, o: { status: number; view: View; redirectUri?: string | undefined }) {
  return c.html(html, o.status as 200, {
    'content-security-policy': hostedCsp(o.view.nonce, { redirectUri: o.redirectUri, turnstile: o.view.turnstile !== undefined }),
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  })
}

function baseView(c: Context<AppEnv>, request: AuthorizationRequest | undefined): View {
  const deps = c.var.deps
  const locale = chooseLocale(deps.config, { uiLocales: request?.uiLocales, acceptLanguage: c.req.header('accept-language') })
  return {
    locale,
    t: translator(locale),
    app: deps.config.APP_NAME,
    base: prefixOf(deps),
    api: deps.pool.basePath,
    nonce: randomToken(18),
    request: '',
    csrf: '',
    turnstile: deps.config.TURNSTILE_SECRET_KEY !== undefined ? deps.config.TURNSTILE_SITE_KEY : undefined,
  }
}

/**
 * A hosted page outside an authorization request (RP-initiated logout): the language from
 * `ui_locales` or Accept-Language, the same CSP and headers; `formTarget` is where its form's 303
 * may lead (the client's registered post-logout URI).
 */
export function standalonePage(
  c: Context<AppEnv>,
  html: (v: View) => string,
  o: { status?: number; uiLocales?: string | undefined; formTarget?: string | undefined } = {},
): Response {
  const view = baseView(c, o.uiLocales ? ({ uiLocales: o.uiLocales } as AuthorizationRequest) : undefined)
  return respond(c, html(view), { status: o.status ?? 200, view, redirectUri: o.formTarget })
}

/** The translated page of a request that cannot go on (400 forged or expired request, 403 refused form). */
function refused(c: Context<AppEnv>, key: PageKey, status: number, request?: AuthorizationRequest, sealed?: string): Response {
  const view = { ...baseView(c, request), request: sealed ?? '' }
  return respond(c, errorScreen(view, view.t(key), key !== 'err_request'), { status, view })
}

async function formOf(c: Context<AppEnv>): Promise<Record<string, string>> {
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(c.req.header('content-type') ?? '')) return {}
  const body = await c.req.parseBody().catch(() => ({}))
  return Object.fromEntries(Object.entries(body).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])))
}

type Handler = (p: PageCtx) => Promise<Response>

function ctxOf(
  c: Context<AppEnv>,
  o: { view: View; request: AuthorizationRequest; sealed: string; form: Record<string, string> },
) {
  const deps = c.var.deps
  const redirect = (to: string) => {
    c.header('cache-control', 'no-store')
    return c.redirect(to, 303)
  }
  const ctx: PageCtx = {
    c,
    deps,
    ...o,
    client: clientInfo(c),
    async render(html, status = 200, extra = {}) {
      if (ctx.view.clientName === undefined) {
        const client = await deps.oauthClients.byId(o.request.clientId)
        ctx.view = { ...ctx.view, clientName: client?.name }
      }
      const res = respond(c, html(ctx.view), { status, view: ctx.view, redirectUri: o.request.redirectUri })
      for (const [k, v] of Object.entries(extra)) res.headers.set(k, v)
      return res
    },
    signedIn(tokens) {
      setCookie(c, browserCookieName(deps.pool.id), browserCookieValue(tokens), {
        httpOnly: true,
        secure: true,
        sameSite: 'Lax',
        path: '/',
        // The session's remaining life: it was opened just now.
        maxAge: deps.config.REFRESH_TOKEN_EXPIRE_DAYS * 86_400,
      })
      return redirect(`${ctx.view.base}/oauth2/authorize/resume?request=${encodeURIComponent(o.sealed)}`)
    },
    redirect,
  }
  return ctx
}

/** A GET page: the request (with its client) is opened first; a forged or expired one gets the 400 page. */
export const page = (handler: Handler) => async (c: Context<AppEnv>) => {
  const sealed = c.req.query('request')
  let described: Awaited<ReturnType<typeof describeRequest>>
  try {
    described = await describeRequest(c.var.deps, sealed)
  } catch (err) {
    if (err instanceof AppError) return refused(c, 'err_request', 400)
    throw err
  }
  const view: View = {
    ...baseView(c, described.request),
    request: sealed ?? '',
    csrf: await csrfToken(c),
    clientName: described.client.name,
  }
  return handler(ctxOf(c, { view, request: described.request, sealed: sealed ?? '', form: {} }))
}

/**
 * A form POST: the CSRF field first (403 page without the right one), then the request (400 page
 * for a forged or expired one); the handler calls the same services as the JSON API.
 */
export const action = (handler: Handler) => async (c: Context<AppEnv>) => {
  const form = await formOf(c)
  const sealed = form.request
  let request: AuthorizationRequest | undefined
  try {
    request = await openRequest(c.var.deps, sealed)
  } catch (err) {
    if (!(err instanceof AppError)) throw err
  }
  if (!(await csrfAccepted(c, form.csrf))) return refused(c, 'err_csrf', 403, request, request ? sealed : undefined)
  if (!request || !sealed) return refused(c, 'err_request', 400)
  const view: View = { ...baseView(c, request), request: sealed, csrf: await csrfToken(c) }
  return handler(ctxOf(c, { view, request, sealed, form }))
}

/** Which field an error is about, and how to say it, on a page with these `fields`. */
export interface ErrorContext {
  fields: string[]
  /** The page chooses a password (sign-up, reset): a refused one is the policy's. */
  newPassword?: boolean
  /** The page's code input: `code`, `totp` or `recovery_code`. */
  codeField?: string
  passkey?: boolean
}

const FIELD_MESSAGES: Record<string, PageKey> = {
  phone: 'err_phone',
  email: 'err_email',
  code: 'err_code',
  totp: 'err_code',
  recovery_code: 'err_code',
  name: 'err_name',
  credential: 'err_passkey',
  passkey: 'err_passkey',
}

const ERROR_FIELDS: Partial<Record<string, string>> = {
  phone_taken: 'phone',
  email_taken: 'email',
  phone_country_not_allowed: 'phone',
  email_not_verified: 'email',
}

/** A service's AppError as the page says it: translated, tied to the field it is about. */
export function problemOf(t: Translate, app: string, err: AppError, ctx: ErrorContext): Problem {
  const on = (field: string | undefined, key: PageKey, values?: Record<string, string | number>): Problem => ({
    message: t(key, values),
    field: field && ctx.fields.includes(field) ? field : undefined,
  })
  const seconds = err.extra.retryAfter ?? 60
  const codeField = ctx.codeField ?? 'code'
  switch (err.code) {
    case 'validation_error': {
      const field = Object.keys(err.extra.fields ?? {})[0] ?? ''
      if (field === 'password' || field === 'new_password') {
        return on(field, ctx.newPassword ? 'err_password_policy' : 'err_password')
      }
      return on(field, FIELD_MESSAGES[field] ?? 'err_generic')
    }
    case 'invalid_credentials':
      return ctx.passkey ? on(undefined, 'err_passkey') : on('password', 'err_invalid_credentials')
    case 'invalid_code':
      return on(codeField, 'err_invalid_code')
    case 'too_many_attempts':
      return on(codeField, 'err_too_many_attempts')
    case 'otp_cooldown':
      return on(undefined, 'err_otp_cooldown', { seconds })
    case 'rate_limited':
      return on(undefined, 'err_rate_limited', { seconds })
    case 'invalid_token':
      return on(undefined, 'err_mfa_expired')
    case 'account_disabled':
      return on(undefined, 'err_account_disabled', { app })
    case 'unverified_account':
    case 'email_not_verified':
    case 'phone_taken':
    case 'email_taken':
    case 'phone_country_not_allowed':
    case 'turnstile_failed':
      return on(ERROR_FIELDS[err.code], `err_${err.code}`)
    case 'sms_delivery_failed':
    case 'email_delivery_failed':
      return on(undefined, 'err_delivery')
    default:
      return on(undefined, 'err_generic')
  }
}

/** Headers of a refused attempt's page: `Retry-After` for a 429. */
export const retryHeaders = (err: AppError): Record<string, string> =>
  err.extra.retryAfter !== undefined ? { 'retry-after': String(err.extra.retryAfter) } : {}
