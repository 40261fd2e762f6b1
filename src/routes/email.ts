import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { AppError } from '../errors'
import { requireAuth } from '../middleware/auth'
import { requireTurnstile } from '../middleware/turnstile'
import { linkFailedPage, resetDonePage, resetFormPage, verifiedPage } from '../pages/email-pages'
import { PAGE_CSP } from '../pages/layout'
import { CodeField, errorResponses, jsonBody, jsonContent, MessageResponse, PasswordField, SECURITY } from '../schemas/fields'
import { UserResponse } from '../schemas/user'
import {
  confirmEmailCode,
  confirmEmailLink,
  requestEmailVerification,
  resetLinkIsLive,
  resetWithLink,
} from '../services/email-links'
import { clientInfo, fieldErrors, newRouter } from './router'

const tags = ['email']
const Token = z.string().regex(/^[A-Za-z0-9_-]{20,100}$/)
const ResetBody = z.strictObject({ token: Token, new_password: PasswordField }).openapi('EmailResetBody')

const wantsJson = (c: Context<AppEnv>) => (c.req.header('accept') ?? '').includes('application/json')

function page(c: Context<AppEnv>, html: string, status: 200 | 400 = 200) {
  return c.html(html, status, {
    'content-security-policy': PAGE_CSP,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
  })
}

/** Email verification and reset links (SPEC §6.6): small server-rendered pages, or JSON when asked. */
export const email = newRouter()
// SPEC §5 bot defence: it sends a code and a link (before authentication, like every send endpoint).
email.use('/verify-request', requireTurnstile())

email
  .openapi(
    createRoute({
      method: 'post',
      path: '/verify-request',
      tags,
      security: SECURITY,
      middleware: requireAuth,
      summary: 'Email a verification code and link to the account’s unverified email',
      responses: { 202: jsonContent(MessageResponse, 'Sent'), ...errorResponses(400, 401, 429, 503) },
    }),
    async (c) => {
      await requestEmailVerification(c.var.deps, c.var.auth.userId, clientInfo(c))
      return c.json({ message: 'Verification email sent', detail: 'Open the link or enter the code from the email' }, 202)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/verify',
      tags,
      security: SECURITY,
      middleware: requireAuth,
      summary: 'Verify the account’s email with the emailed code',
      request: { body: jsonBody(z.strictObject({ code: CodeField }).openapi('EmailCodeBody')) },
      responses: { 200: jsonContent(UserResponse, 'The user, email verified'), ...errorResponses(400, 401, 429) },
    }),
    async (c) => c.json(await confirmEmailCode(c.var.deps, c.var.auth.userId, c.req.valid('json').code, clientInfo(c)), 200),
  )

const app = (c: Context<AppEnv>) => c.var.deps.config.APP_NAME

email.openAPIRegistry.registerPath({
  method: 'get',
  path: '/verify',
  tags,
  summary: 'Open an email verification link: HTML page, or JSON with Accept: application/json',
  request: { query: z.object({ token: Token }) },
  responses: { 200: jsonContent(UserResponse, 'Verified (HTML page by default)'), ...errorResponses(400) },
})
email.get('/verify', async (c) => {
  const token = Token.safeParse(c.req.query('token'))
  try {
    if (!token.success) throw new AppError('invalid_code', 'This link is invalid, expired or already used')
    const user = await confirmEmailLink(c.var.deps, token.data, clientInfo(c))
    return wantsJson(c) ? c.json({ message: 'Email verified', user }, 200) : page(c, verifiedPage(app(c)))
  } catch (err) {
    if (wantsJson(c) || !(err instanceof AppError) || err.code !== 'invalid_code') throw err
    return page(c, linkFailedPage(app(c), 'Email not verified'), 400)
  }
})

email.openAPIRegistry.registerPath({
  method: 'get',
  path: '/reset',
  tags,
  summary: 'Open a password reset link: the form to choose a new password',
  request: { query: z.object({ token: Token }) },
  responses: { 200: { description: 'HTML form' }, 400: { description: 'Invalid or used link (HTML)' } },
})
email.get('/reset', async (c) => {
  const token = Token.safeParse(c.req.query('token'))
  const live = token.success && (await resetLinkIsLive(c.var.deps, token.data))
  if (wantsJson(c)) {
    if (!live) throw new AppError('invalid_code', 'This link is invalid, expired or already used')
    return c.json({ valid: true }, 200)
  }
  if (!live) return page(c, linkFailedPage(app(c), 'Reset link not valid'), 400)
  return page(c, resetFormPage(app(c), token.data, c.var.deps.config.PASSWORD_MIN_LENGTH))
})

email.openAPIRegistry.registerPath({
  method: 'post',
  path: '/reset',
  tags,
  summary: 'Set a new password with a reset link token (form post from the page, or JSON)',
  request: {
    body: {
      required: true,
      content: { 'application/json': { schema: ResetBody }, 'application/x-www-form-urlencoded': { schema: ResetBody } },
    },
  },
  responses: { 200: jsonContent(MessageResponse, 'Password changed (HTML page for a form post)'), ...errorResponses(400, 415) },
})
email.post('/reset', async (c) => {
  const type = c.req.header('content-type') ?? ''
  const isForm = /^application\/x-www-form-urlencoded\b/i.test(type)
  if (!isForm && !/^application\/json\b/i.test(type)) throw new AppError('unsupported_media_type', 'Send a form or JSON body')
  const raw = isForm ? await c.req.parseBody() : await c.req.json()
  const body = ResetBody.safeParse(raw)
  const html = isForm && !wantsJson(c)
  const token =
    typeof (raw as Record<string, unknown>)?.token === 'string' ? ((raw as Record<string, string>).token as string) : ''
  const minLength = c.var.deps.config.PASSWORD_MIN_LENGTH
  try {
    if (!body.success) throw new AppError('validation_error', 'Request validation failed', { fields: fieldErrors(body.error) })
    await resetWithLink(c.var.deps, body.data.token, body.data.new_password, clientInfo(c))
  } catch (err) {
    if (!html || !(err instanceof AppError)) throw err
    if (err.code === 'invalid_code' || !Token.safeParse(token).success)
      return page(c, linkFailedPage(app(c), 'Reset link not valid'), 400)
    if (err.code === 'validation_error') {
      const problem = err.extra.fields?.new_password ?? Object.values(err.extra.fields ?? {})[0] ?? err.detail
      return page(c, resetFormPage(app(c), token, minLength, problem), 400)
    }
    throw err
  }
  return html
    ? page(c, resetDonePage(app(c)))
    : c.json({ message: 'Password reset successful', detail: 'You can now log in with your new password' }, 200)
})
