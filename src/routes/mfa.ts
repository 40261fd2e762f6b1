import { requireLiveSession } from '../middleware/auth'
import { errorResponses, jsonBody, jsonContent } from '../schemas/fields'
import { MfaStatus, MfaVerifyBody, RecoveryCodes, TotpConfirmBody, TotpDisableBody, TotpEnrolment } from '../schemas/mfa'
import { TokenResponse } from '../schemas/user'
import { confirmTotp, disableTotp, mfaStatus, startTotpEnrolment } from '../services/mfa'
import { verifyMfa } from '../services/sign-in'
import { clientInfo, NO_STORE, newRouter, routesOf } from './router'

// SPEC §14. Mounted by the `me` router at /me/mfa (its authentication and limits apply), and by
// the `auth` router at /auth/mfa.

const tags = ['mfa']
const { route, signedIn } = routesOf(tags)

const meRouter = newRouter()
// Second factors are changed on a session live in D1: a revoked one cannot turn MFA on or off.
meRouter.use('*', requireLiveSession)

export const meMfa = meRouter
  .openapi(
    signedIn('get', '/', {
      summary: 'Whether TOTP is off, pending or on, and the recovery codes left',
      responses: { 200: jsonContent(MfaStatus, 'MFA state'), ...errorResponses(401) },
    }),
    async (c) => c.json(await mfaStatus(c.var.deps, c.var.auth.userId), 200),
  )
  .openapi(
    signedIn('post', '/totp', {
      summary: 'Start a TOTP enrolment: a fresh secret, its otpauth URI and QR code (pending until confirmed)',
      responses: { 200: jsonContent(TotpEnrolment, 'The secret, shown this once'), ...errorResponses(401, 409) },
    }),
    async (c) => c.json(await startTotpEnrolment(c.var.deps, c.var.auth.userId), 200, NO_STORE),
  )
  .openapi(
    signedIn('post', '/totp/confirm', {
      summary: 'Turn TOTP on with a code of the pending secret; answers 10 recovery codes, shown once',
      request: { body: jsonBody(TotpConfirmBody) },
      description: "Only within 5 minutes of signing in (the session's auth_time): 403 `reauthentication_required` otherwise.",
      responses: { 200: jsonContent(RecoveryCodes, 'TOTP is on'), ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
    }),
    async (c) =>
      c.json(await confirmTotp(c.var.deps, c.var.auth, { code: c.req.valid('json').code, client: clientInfo(c) }), 200, NO_STORE),
  )
  .openapi(
    signedIn('delete', '/totp', {
      summary: 'Turn TOTP off with a second factor (code or recovery_code) and current_password (accounts with one)',
      request: { body: jsonBody(TotpDisableBody) },
      responses: { 204: { description: 'TOTP is off' }, ...errorResponses(400, 401, 403, 404, 413, 415, 429) },
    }),
    async (c) => {
      const body = c.req.valid('json')
      await disableTotp(c.var.deps, c.var.auth.userId, {
        factor: { totp: body.code, recovery_code: body.recovery_code },
        currentPassword: body.current_password,
        client: clientInfo(c),
      })
      return c.body(null, 204)
    },
  )

export const authMfa = newRouter().openapi(
  route('post', '/verify', {
    summary: 'Second step of a sign-in: the mfa_token of a 403 mfa_required and a second factor',
    request: { body: jsonBody(MfaVerifyBody) },
    responses: {
      200: jsonContent(TokenResponse, 'Signed in'),
      ...errorResponses(400, 401, 403, 413, 415, 429),
    },
  }),
  async (c) => c.json(await verifyMfa(c.var.deps, c.req.valid('json'), clientInfo(c)), 200, NO_STORE),
)
