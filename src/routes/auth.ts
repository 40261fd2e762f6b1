import { formOnly } from '../errors'
import { requireAuth, requireLiveSession } from '../middleware/auth'
import { rateLimit } from '../middleware/rate-limit'
import { requireTurnstile } from '../middleware/turnstile'
import {
  ChangePasswordBody,
  ConfirmResetBody,
  IdentifierBody,
  LoginBody,
  OAuthErrorResponse,
  OAuthTokenForm,
  OAuthTokenResponse,
  RefreshBody,
  RegisterBody,
  RegisterResponse,
  VerifyBody,
} from '../schemas/auth'
import { errorResponses, jsonBody, jsonContent, MessageResponse } from '../schemas/fields'
import { TokenResponse } from '../schemas/user'
import { register } from '../services/account'
import { changePassword, confirmPasswordReset, requestPasswordReset } from '../services/passwords'
import { logout, refreshSession } from '../services/sessions'
import { loginWithPassword, oauthToken, requestLoginOtp, verifyCode } from '../services/sign-in'
import { authMfa } from './mfa'
import { authPasskey } from './passkeys'
import { clientInfo, NO_STORE, newRouter, requestLocale, routesOf } from './router'

const tags = ['auth']
const { route, signedIn } = routesOf(tags)

const router = newRouter()
// Per-IP request limits (issue 6) of every endpoint under /auth, email links included: where each
// is counted is services/limits REQUEST_LIMITS; this counts the ones it gives the route.
router.use('*', rateLimit)
// SPEC §5 bot defence (TURNSTILE_SECRET_KEY set): the endpoints that send a code, before anything else.
router.use('/register', requireTurnstile())
router.use(
  '/login',
  requireTurnstile((body) => body.use_otp === true),
)
router.use('/reset-password', requireTurnstile())

export const auth = router
  .openapi(
    route('post', '/register', {
      summary: 'Register by phone or email; a verification code is sent',
      request: { body: jsonBody(RegisterBody) },
      responses: {
        201: jsonContent(RegisterResponse, 'Pending account created; code sent'),
        ...errorResponses(400, 409, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const body = c.req.valid('json')
      return c.json(await register(c.var.deps, { ...body, locale: requestLocale(c, body.locale) }, clientInfo(c)), 201)
    },
  )
  .openapi(
    route('post', '/verify', {
      summary: 'Complete a registration or OTP login with the code',
      request: { body: jsonBody(VerifyBody) },
      responses: { 200: jsonContent(TokenResponse, 'Signed in'), ...errorResponses(400, 403, 429) },
    }),
    async (c) => {
      const body = c.req.valid('json')
      return c.json(
        await verifyCode(c.var.deps, { ...body, locale: requestLocale(c, body.locale) }, clientInfo(c)),
        200,
        NO_STORE,
      )
    },
  )
  .openapi(
    route('post', '/login', {
      summary: 'Log in with a password, or ask for a login code (use_otp)',
      request: { body: jsonBody(LoginBody) },
      responses: {
        200: jsonContent(TokenResponse, 'Signed in with a password'),
        202: jsonContent(MessageResponse, 'A login code was sent if the account exists'),
        ...errorResponses(400, 401, 403, 429),
      },
    }),
    async (c) => {
      const body = c.req.valid('json')
      const deps = c.var.deps
      if (body.use_otp === true) {
        await requestLoginOtp(deps, { ...body, locale: requestLocale(c, body.locale) }, clientInfo(c))
        return c.json({ message: 'OTP sent', detail: 'If the account exists, a login code has been sent' }, 202)
      }
      return c.json(await loginWithPassword(deps, { ...body, password: body.password ?? '' }, clientInfo(c)), 200, NO_STORE)
    },
  )
  .openapi(
    route('post', '/reset-password', {
      summary: 'Ask for a password reset code',
      request: { body: jsonBody(IdentifierBody) },
      responses: {
        202: jsonContent(MessageResponse, 'Same answer whether or not the account exists'),
        ...errorResponses(400, 429),
      },
    }),
    async (c) => {
      await requestPasswordReset(c.var.deps, c.req.valid('json'), clientInfo(c))
      return c.json({ message: 'Password reset code sent', detail: 'If the account exists, a reset code has been sent' }, 202)
    },
  )
  .openapi(
    route('post', '/confirm-reset', {
      summary: 'Set a new password with a reset code; every session is revoked',
      request: { body: jsonBody(ConfirmResetBody) },
      responses: { 200: jsonContent(MessageResponse, 'Password reset'), ...errorResponses(400, 429) },
    }),
    async (c) => {
      await confirmPasswordReset(c.var.deps, c.req.valid('json'), clientInfo(c))
      return c.json({ message: 'Password reset successful', detail: 'You can now log in with your new password' }, 200)
    },
  )
  .openapi(
    signedIn('post', '/change-password', {
      summary: 'Change the password; every other session is revoked',
      middleware: [requireAuth, requireLiveSession] as const,
      request: { body: jsonBody(ChangePasswordBody) },
      responses: { 200: jsonContent(MessageResponse, 'Password changed'), ...errorResponses(400, 401, 429) },
    }),
    async (c) => {
      await changePassword(c.var.deps, c.var.auth, { ...c.req.valid('json'), client: clientInfo(c) })
      return c.json({ message: 'Password changed', detail: 'Your other sessions have been signed out' }, 200)
    },
  )
  .openapi(
    route('post', '/refresh', {
      summary: 'Rotate the refresh token and get a new access token',
      request: { body: jsonBody(RefreshBody) },
      responses: { 200: jsonContent(TokenResponse, 'New tokens'), ...errorResponses(400, 401, 403, 409, 429) },
    }),
    async (c) =>
      c.json(await refreshSession(c.var.deps, { refreshToken: c.req.valid('json').refresh_token }, clientInfo(c)), 200, NO_STORE),
  )
  .openapi(
    signedIn('post', '/logout', {
      summary: 'End this session: its refresh token and the presented access token stop working',
      middleware: [requireAuth] as const,
      responses: { 204: { description: 'Logged out' }, ...errorResponses(401) },
    }),
    async (c) => {
      await logout(c.var.deps, c.var.auth, clientInfo(c))
      return c.body(null, 204)
    },
  )
  // SPEC §14: the second step of a sign-in, under this router's request limits.
  .route('/mfa', authMfa)
  // SPEC §14: behind this router's per-IP limits.
  .route('/passkey', authPasskey)

const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i

// The OAuth 2.0 token endpoint answers RFC 6749 errors, so it parses its form itself instead of
// going through the JSON error model's validator; the route is documented by hand.
auth.openAPIRegistry.registerPath({
  method: 'post',
  path: '/token',
  tags,
  summary: 'OAuth 2.0 token endpoint: password and refresh_token grants (RFC 6749)',
  description:
    'Without `grant_type`, a form with `username` and `password` is taken as the password grant (FastAPI OAuth2PasswordRequestForm clients). Public clients only: `client_id` is accepted and not checked; HTTP Basic, `client_secret` or a client assertion is 401 `invalid_client`. Every error, limits included, is an RFC 6749 `{ error, error_description }`.',
  request: { body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: OAuthTokenForm } } } },
  responses: {
    200: jsonContent(OAuthTokenResponse, 'Tokens'),
    400: jsonContent(OAuthErrorResponse, 'RFC 6749 error'),
    401: {
      ...jsonContent(OAuthErrorResponse, '`invalid_client`: client credentials were sent'),
      headers: {
        'WWW-Authenticate': {
          schema: { type: 'string' },
          description: '`Basic realm="edge-auth"` when they came in an Authorization header',
        },
      },
    },
    413: jsonContent(OAuthErrorResponse, '`invalid_request`: the body is over 64 KiB'),
    415: jsonContent(OAuthErrorResponse, '`invalid_request`: the body is not application/x-www-form-urlencoded'),
    429: {
      ...jsonContent(OAuthErrorResponse, '`slow_down`: a per-IP request limit or a password lockout'),
      headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait' } },
    },
    403: jsonContent(
      OAuthErrorResponse,
      'mfa_required (SPEC §14): the account has MFA on; mfa_token goes to POST /auth/mfa/verify',
    ),
  },
})
auth.post('/token', async (c) => {
  const type = c.req.header('content-type')
  // Without a content type (and so without a body) the form is empty: 400 for its missing grant_type.
  if (type !== undefined && !FORM.test(type)) throw formOnly()
  const form = type === undefined ? {} : await c.req.parseBody({ all: true })
  const tokens = await oauthToken(c.var.deps, { form, authorization: c.req.header('authorization') }, clientInfo(c))
  return c.json(tokens, 200, { 'cache-control': 'no-store', pragma: 'no-cache' })
})
