import type { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { getCookie } from 'hono/cookie'
import type { AppEnv } from '../../env'
import { AppError } from '../../errors'
import { consentScreen, errorScreen, forgotScreen, resetScreen, signUpScreen } from '../../pages/hosted/account'
import type { Problem, View } from '../../pages/hosted/layout'
import { codeRequestScreen, codeScreen, type Kind, mfaScreen, passkeyScreen, passwordScreen } from '../../pages/hosted/sign-in'
import { ConfirmResetBody, IdentifierBody, LoginBody, RegisterBody, VerifyBody } from '../../schemas/auth'
import { MfaVerifyBody } from '../../schemas/mfa'
import { PasskeyVerifyBody } from '../../schemas/passkeys'
import { register } from '../../services/account'
import { browserCookieName, readBrowserSession } from '../../services/browser-session'
import { assertHuman, limitIpRequests, REQUEST_LIMITS } from '../../services/limits'
import { denyRequest, grantConsent } from '../../services/oidc'
import { confirmPasswordReset, requestPasswordReset } from '../../services/passwords'
import { loginWithPassword, requestLoginOtp, verifyCode, verifyMfa, verifyPasskeySignIn } from '../../services/sign-in'
import { fieldErrors, newRouter } from '../router'
import { action, type ErrorContext, type PageCtx, page, problemOf, retryHeaders } from './page-kit'

// The hosted sign-in pages of SPEC §15 (P/oauth2/…, P = '' or /pools/<id>). Each page calls the
// same service as its JSON API endpoint, so every rule (limits, lockout, Turnstile, codes, MFA)
// comes with it; a service's AppError becomes an inline, translated message.

/** The form fields as the JSON API's schema takes them; a refusal is its 400 `validation_error`. */
function valid<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  const parsed = schema.safeParse(data)
  if (!parsed.success) throw new AppError('validation_error', 'Request validation failed', { fields: fieldErrors(parsed.error) })
  return parsed.data
}

/** The phone or the email: a posted field, `?by=email`, or a login_hint with an @. */
function kindOf(p: PageCtx): Kind {
  if (p.form.email !== undefined || p.form.by === 'email') return 'email'
  if (p.form.phone !== undefined) return 'phone'
  return p.c.req.query('by') === 'email' ? 'email' : 'phone'
}

/** login_hint pre-fills the field of its kind. */
const hintFor = (p: PageCtx, kind: Kind) => {
  const hint = p.request.loginHint
  return hint && hint.includes('@') === (kind === 'email') ? hint : undefined
}

/** SPEC §5 bot defence, as the JSON API's requireTurnstile: the widget's field, before anything else. */
const human = (p: PageCtx) => assertHuman(p.deps, p.form['cf-turnstile-response'] ?? p.form.turnstile_token, p.client.ip)

interface Failure {
  screen: (v: View, problem: Problem) => string
  ctx: ErrorContext
}

/**
 * Runs a step; a 403 `mfa_required` leads to the MFA page, any other AppError to `fail.screen`
 * with the translated message (the service's status, Retry-After for a 429). Never a 500 for them.
 */
async function attempt(p: PageCtx, run: () => Promise<Response>, fail: Failure): Promise<Response> {
  try {
    return await run()
  } catch (err) {
    if (!(err instanceof AppError)) throw err
    const mfa = err.extra.mfa
    if (err.code === 'mfa_required' && mfa) {
      return p.render((v) => mfaScreen(v, { mfaToken: mfa.mfa_token, methods: mfa.methods }))
    }
    const problem = problemOf(p.view.t, p.view.app, err, fail.ctx)
    return p.render((v) => fail.screen(v, problem), err.status, retryHeaders(err))
  }
}

const passwordRules = (p: PageCtx) => ({
  min: p.deps.config.PASSWORD_MIN_LENGTH,
  classes: p.deps.config.PASSWORD_REQUIRE_CLASSES,
})

const sent = (p: PageCtx) => ({ minutes: p.deps.config.OTP_EXPIRE_MINUTES, length: p.deps.config.OTP_LENGTH })

/** Sends a login code (the JSON API's POST /login with use_otp) and shows the code page. */
const sendCode = (forced?: Kind) =>
  action(async (p) => {
    const kind = forced ?? kindOf(p)
    const to = p.form[kind] ?? ''
    return attempt(
      p,
      async () => {
        await human(p)
        // The page's language is the new account's, should this code sign up an unknown phone (OTP_SIGNUP).
        await requestLoginOtp(p.deps, { ...valid(IdentifierBody, { [kind]: to }), locale: p.view.locale }, p.client)
        return p.render((v) => codeScreen(v, { kind, to, ...sent(p) }))
      },
      { screen: (v, problem) => codeRequestScreen(v, { kind, value: to, problem }), ctx: { fields: [kind] } },
    )
  })

const hosted = newRouter()

// The stylesheet and the passkey script: Workers static assets (public/oauth2/), served here so
// they carry the app's headers; nothing else of public/ is reachable through this route.
const ASSETS = new Set(['hosted.css', 'passkey.js'])
hosted.get('/assets/:file', async (c: Context<AppEnv>) => {
  const file = c.req.param('file') ?? ''
  if (!ASSETS.has(file)) throw new AppError('not_found', 'No such asset')
  const res = await c.env.ASSETS.fetch(new Request(new URL(`/oauth2/${file}`, c.req.url), { headers: c.req.raw.headers }))
  if (res.status !== 200 && res.status !== 304) throw new AppError('not_found', 'No such asset')
  const headers = new Headers(res.headers)
  headers.set('cache-control', 'public, max-age=3600')
  return new Response(res.status === 304 ? null : res.body, { status: res.status, headers })
})

hosted.get(
  '/sign-in',
  page((p) => p.render((v) => codeRequestScreen(v, { kind: 'phone', value: hintFor(p, 'phone') }))),
)
hosted.get(
  '/sign-in/email',
  page((p) => p.render((v) => codeRequestScreen(v, { kind: 'email', value: hintFor(p, 'email') }))),
)
hosted.post('/sign-in/code', sendCode())
hosted.post('/sign-in/email', sendCode('email'))

// The JSON API's POST /verify: a login code, a registration's code, or an OTP sign-up's.
hosted.post(
  '/sign-in/code/verify',
  action(async (p) => {
    const kind = kindOf(p)
    const to = p.form[kind] ?? ''
    const signUp = p.form.sign_up === '1'
    return attempt(
      p,
      // An OTP sign-up creates the account here, in the page's language.
      async () =>
        p.signedIn(
          await verifyCode(p.deps, valid(VerifyBody, { [kind]: to, code: p.form.code ?? '', locale: p.view.locale }), p.client),
        ),
      { screen: (v, problem) => codeScreen(v, { kind, to, ...sent(p), signUp, problem }), ctx: { fields: ['code'] } },
    )
  }),
)

hosted.get(
  '/sign-in/password',
  page((p) => {
    const kind = p.c.req.query('by') === 'email' || p.request.loginHint?.includes('@') ? 'email' : 'phone'
    return p.render((v) => passwordScreen(v, { kind, value: hintFor(p, kind) }))
  }),
)
hosted.post(
  '/sign-in/password',
  action(async (p) => {
    const kind = kindOf(p)
    const value = p.form[kind] ?? ''
    const turnstile = p.form['cf-turnstile-response']
    return attempt(
      p,
      async () => {
        const body = valid(LoginBody, { [kind]: value, password: p.form.password ?? '' })
        const input = { ...body, password: body.password ?? '', turnstile_token: turnstile || undefined }
        return p.signedIn(await loginWithPassword(p.deps, input, p.client))
      },
      { screen: (v, problem) => passwordScreen(v, { kind, value, problem }), ctx: { fields: [kind, 'password'] } },
    )
  }),
)

/** The assertion a page's script put in a hidden field, as JSON (anything else: a refused passkey). */
function assertionOf(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '')
  } catch {
    return null
  }
}

hosted.get(
  '/sign-in/passkey',
  page((p) => p.render((v) => passkeyScreen(v, {}))),
)
hosted.post(
  '/sign-in/passkey',
  action((p) =>
    attempt(
      p,
      async () => {
        const { credential } = valid(PasskeyVerifyBody, { credential: assertionOf(p.form.credential) })
        return p.signedIn(await verifyPasskeySignIn(p.deps, credential, p.client))
      },
      { screen: (v, problem) => passkeyScreen(v, { problem }), ctx: { fields: [], passkey: true } },
    ),
  ),
)

// The second step (SPEC §14), the JSON API's POST /auth/mfa/verify.
hosted.post(
  '/sign-in/mfa',
  action(async (p) => {
    const mfaToken = p.form.mfa_token ?? ''
    const methods = (p.form.methods ?? '').split(' ').filter((m) => ['totp', 'recovery_code', 'passkey'].includes(m))
    const factor =
      p.form.passkey !== undefined
        ? { passkey: assertionOf(p.form.passkey) }
        : p.form.recovery_code !== undefined
          ? { recovery_code: p.form.recovery_code }
          : { totp: p.form.totp ?? '' }
    const codeField = 'recovery_code' in factor ? 'recovery_code' : 'totp'
    try {
      const body = valid(MfaVerifyBody, { mfa_token: mfaToken, ...factor })
      return p.signedIn(await verifyMfa(p.deps, body, p.client))
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      const problem = problemOf(p.view.t, p.view.app, err, { fields: [codeField], codeField, passkey: 'passkey' in factor })
      // A dead or worn-out mfa token cannot be retried: back to the start.
      const dead = err.code === 'invalid_token' || err.code === 'too_many_attempts'
      const screen = (v: View) => (dead ? errorScreen(v, problem.message, true) : mfaScreen(v, { mfaToken, methods, problem }))
      return p.render(screen, err.status, retryHeaders(err))
    }
  }),
)

hosted.get(
  '/sign-up',
  page((p) => {
    const password = p.deps.config.OTP_SIGNUP ? undefined : passwordRules(p)
    const kind = password && p.c.req.query('by') === 'email' ? 'email' : 'phone'
    return p.render((v) => signUpScreen(v, { kind, values: { identifier: hintFor(p, kind) }, password }))
  }),
)
hosted.post(
  '/sign-up',
  action(async (p) => {
    // OTP_SIGNUP (SPEC §6.1): passwordless sign-up by phone, as the JSON API's OTP login of an
    // unknown phone; otherwise the JSON API's /register, which needs a password.
    const password = p.deps.config.OTP_SIGNUP ? undefined : passwordRules(p)
    const kind: Kind = password && p.form.by === 'email' ? 'email' : 'phone'
    const identifier = p.form[kind] ?? ''
    const name = p.form.name?.trim() || undefined
    return attempt(
      p,
      async () => {
        await human(p)
        if (!password) {
          // The account is created at /sign-in/code/verify, in the page's language.
          await requestLoginOtp(p.deps, { ...valid(IdentifierBody, { phone: identifier }), locale: p.view.locale }, p.client)
          return p.render((v) => codeScreen(v, { kind, to: identifier, ...sent(p) }))
        }
        const body = valid(RegisterBody, { [kind]: identifier, name, password: p.form.password ?? '', locale: p.view.locale })
        await register(p.deps, body, p.client)
        return p.render((v) => codeScreen(v, { kind, to: identifier, ...sent(p), signUp: true }))
      },
      {
        screen: (v, problem) => signUpScreen(v, { kind, values: { identifier, name }, password, problem }),
        ctx: { fields: [kind, 'name', 'password'], newPassword: true },
      },
    )
  }),
)

hosted.get(
  '/forgot-password',
  page((p) => {
    const kind = p.c.req.query('by') === 'email' ? 'email' : 'phone'
    return p.render((v) => forgotScreen(v, { kind, value: hintFor(p, kind) }))
  }),
)
hosted.post(
  '/forgot-password',
  action(async (p) => {
    const kind = kindOf(p)
    const to = p.form[kind] ?? ''
    return attempt(
      p,
      async () => {
        await human(p)
        await requestPasswordReset(p.deps, valid(IdentifierBody, { [kind]: to }), p.client)
        return p.render((v) => resetScreen(v, { kind, to, ...sent(p), rules: passwordRules(p) }))
      },
      { screen: (v, problem) => forgotScreen(v, { kind, value: to, problem }), ctx: { fields: [kind] } },
    )
  }),
)
// The JSON API's /confirm-reset (under its per-IP limit), then a password sign-in with the new
// password, which brings its own limits and the second step of an account with MFA.
hosted.post(
  '/forgot-password/confirm',
  action(async (p) => {
    const kind = kindOf(p)
    const to = p.form[kind] ?? ''
    return attempt(
      p,
      async () => {
        const body = valid(ConfirmResetBody, { [kind]: to, code: p.form.code ?? '', new_password: p.form.new_password ?? '' })
        await limitIpRequests(p.deps, REQUEST_LIMITS['POST /auth/confirm-reset'].group, p.client.ip)
        await confirmPasswordReset(p.deps, body, p.client)
        return p.signedIn(await loginWithPassword(p.deps, { [kind]: to, password: body.new_password }, p.client))
      },
      {
        screen: (v, problem) => resetScreen(v, { kind, to, ...sent(p), rules: passwordRules(p), problem }),
        ctx: { fields: ['code', 'new_password'], newPassword: true },
      },
    )
  }),
)

/** The signed-in browser session of this pool, or null. */
const browserSession = (p: PageCtx) => readBrowserSession(p.deps, getCookie(p.c, browserCookieName(p.deps.pool.id)))

/** Without a browser session, consent starts with signing in (the request comes back here through resume). */
const toSignIn = (p: PageCtx) => p.redirect(`${p.view.base}/oauth2/sign-in?request=${encodeURIComponent(p.sealed)}`)

hosted.get(
  '/consent',
  page(async (p) => {
    const session = await browserSession(p)
    if (!session) return toSignIn(p)
    const { user } = session
    const who = user.name ?? user.phone ?? user.email ?? user.username ?? ''
    const scopes = p.request.scope.split(' ').filter(Boolean)
    return p.render((v) => consentScreen(v, { client: v.clientName ?? p.request.clientId, scopes, who }))
  }),
)
hosted.post(
  '/consent',
  action(async (p) => {
    const session = await browserSession(p)
    if (!session) return toSignIn(p)
    if (p.form.decision !== 'allow') {
      const back = await denyRequest(p.deps, p.request)
      return back ? p.redirect(back) : p.render((v) => errorScreen(v, v.t('err_request')), 400)
    }
    await grantConsent(p.deps, { request: p.request, userId: session.user.id })
    return p.redirect(`${p.view.base}/oauth2/authorize/resume?request=${encodeURIComponent(p.sealed)}`)
  }),
)

/** The hosted pages, mounted at /oauth2 and /pools/{pool}/oauth2 (routes/app.ts). */
export const hostedPages = hosted
