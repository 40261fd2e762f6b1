import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { AppError } from '../errors'
import { confirmEmailPage, linkFailedPage, resetDonePage, resetFormPage, verifiedPage } from '../pages/email-pages'
import { PAGE_CSP } from '../pages/layout'
import { errorResponses, MessageResponse, PasswordField } from '../schemas/fields'
import { confirmEmailLink, resetLinkIsLive, resetWithLink, verifyLinkIsLive } from '../services/account'
import { clientInfo, fieldErrors, newRouter } from './router'

const tags = ['email']
export const Token = z.string().regex(/^[A-Za-z0-9_-]{20,100}$/)
const ResetBody = z.strictObject({ token: Token, new_password: PasswordField }).openapi('EmailResetBody')
export const LinkBody = z.strictObject({ token: Token }).openapi('EmailLinkBody')
const deadLink = () => new AppError('invalid_code', 'This link is invalid, expired or already used')

const wantsJson = (c: Context<AppEnv>) => (c.req.header('accept') ?? '').includes('application/json')
const app = (c: Context<AppEnv>) => c.var.deps.config.APP_NAME
const isForm = (c: Context<AppEnv>) => /^application\/x-www-form-urlencoded\b/i.test(c.req.header('content-type') ?? '')
const isJson = (c: Context<AppEnv>) => /^application\/json\b/i.test(c.req.header('content-type') ?? '')
const hasToken = (raw: unknown): raw is { token: unknown } => typeof raw === 'object' && raw !== null && 'token' in raw

/** The documented answers of a page: HTML, or JSON when asked. */
export const pageAnswers = (ok: z.ZodType, description: string) => ({
  200: { description, content: { 'text/html': { schema: z.string() }, 'application/json': { schema: ok } } },
  400: {
    description: 'Invalid or used link (or a refused password): an HTML page, or the error as JSON',
    content: { 'text/html': { schema: z.string() }, ...errorResponses(400)[400]?.content },
  },
  ...errorResponses(415, 429),
})

function page(c: Context<AppEnv>, html: string, status: 200 | 400 = 200) {
  return c.html(html, status, {
    'content-security-policy': PAGE_CSP,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
  })
}

/**
 * The one-time link endpoints of emails (SPEC §6.6): small server-rendered pages, or JSON when
 * asked. No GET or HEAD changes state: mail scanners fetch links.
 */
export const emailLinks = newRouter()

emailLinks.openAPIRegistry.registerPath({
  method: 'get',
  path: '/verify',
  tags,
  summary: 'Open an email verification link: a page whose button POSTs the token. Changes nothing (nor does HEAD)',
  request: { query: z.object({ token: Token }) },
  responses: pageAnswers(z.object({ valid: z.literal(true) }), 'The confirm page, or { valid: true }'),
})
emailLinks.get('/verify', async (c) => {
  const token = Token.safeParse(c.req.query('token'))
  const live = token.success && (await verifyLinkIsLive(c.var.deps, token.data))
  if (wantsJson(c)) {
    if (!live) throw deadLink()
    return c.json({ valid: true }, 200)
  }
  if (!live) return page(c, linkFailedPage(app(c), 'Email not verified'), 400)
  return page(c, confirmEmailPage(app(c), token.data))
})

// POST /verify with a link token (a form, or JSON `{ token }`) verifies without a sign-in; any
// other body goes on to the signed-in code route (routes/email.ts).
emailLinks.post('/verify', async (c, next) => {
  const form = isForm(c)
  const raw = form ? await c.req.parseBody() : isJson(c) ? await c.req.json() : undefined
  if (!form && !hasToken(raw)) return next()
  const html = form && !wantsJson(c)
  const body = LinkBody.safeParse(raw)
  try {
    if (!body.success) {
      if (hasToken(raw) && !Token.safeParse(raw.token).success) throw deadLink()
      throw new AppError('validation_error', 'Request validation failed', { fields: fieldErrors(body.error) })
    }
    const user = await confirmEmailLink(c.var.deps, body.data.token, clientInfo(c))
    return html ? page(c, verifiedPage(app(c))) : c.json({ message: 'Email verified', user }, 200)
  } catch (err) {
    if (!html || !(err instanceof AppError) || !['invalid_code', 'validation_error'].includes(err.code)) throw err
    return page(c, linkFailedPage(app(c), 'Email not verified'), 400)
  }
})

emailLinks.openAPIRegistry.registerPath({
  method: 'get',
  path: '/reset',
  tags,
  summary: 'Open a password reset link: the form to choose a new password. Changes nothing (nor does HEAD)',
  request: { query: z.object({ token: Token }) },
  responses: pageAnswers(z.object({ valid: z.literal(true) }), 'The form, or { valid: true }'),
})
emailLinks.get('/reset', async (c) => {
  const token = Token.safeParse(c.req.query('token'))
  const live = token.success && (await resetLinkIsLive(c.var.deps, token.data))
  if (wantsJson(c)) {
    if (!live) throw deadLink()
    return c.json({ valid: true }, 200)
  }
  if (!live) return page(c, linkFailedPage(app(c), 'Reset link not valid'), 400)
  return page(c, resetFormPage(app(c), token.data, c.var.deps.config.PASSWORD_MIN_LENGTH))
})

emailLinks.openAPIRegistry.registerPath({
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
  responses: pageAnswers(MessageResponse, 'Password changed (an HTML page for a form post)'),
})
emailLinks.post('/reset', async (c) => {
  const form = isForm(c)
  if (!form && !isJson(c)) throw new AppError('unsupported_media_type', 'Send a form or JSON body')
  const raw = form ? await c.req.parseBody() : await c.req.json()
  const body = ResetBody.safeParse(raw)
  const html = form && !wantsJson(c)
  const token = hasToken(raw) && typeof raw.token === 'string' ? raw.token : ''
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
