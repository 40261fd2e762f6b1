import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { AppError } from '../errors'
import { chooseLocale } from '../i18n/locale'
import { type PageKey, translator } from '../i18n/pages'
import { confirmEmailPage, type LinkView, linkFailedPage, resetDonePage, resetFormPage, verifiedPage } from '../pages/email-pages'
import { PAGE_CSP } from '../pages/layout'
import { errorResponses, MessageResponse, PasswordField } from '../schemas/fields'
import { confirmEmailLink, invalidLink, resetLinkIsLive, resetWithLink, verifyLinkIsLive } from '../services/account'
import { clientInfo, fieldErrors, newRouter } from './router'

const tags = ['email']
export const Token = z.string().regex(/^[A-Za-z0-9_-]{20,100}$/)
const ResetBody = z.strictObject({ token: Token, new_password: PasswordField }).openapi('EmailResetBody')
/** The page's language (the account's, which the emailed link names: SPEC §15); Accept-Language otherwise. */
const UiLocales = z
  .string()
  .max(128)
  .optional()
  .openapi({ description: 'Space-separated language tags, preferred first', example: 'fr' })
export const LinkBody = z.strictObject({ token: Token }).openapi('EmailLinkBody')

const wantsJson = (c: Context<AppEnv>) => (c.req.header('accept') ?? '').includes('application/json')
/** The page's language: the link's `ui_locales` (the account's, SPEC §15), else Accept-Language, else DEFAULT_LOCALE. */
const app = (c: Context<AppEnv>): LinkView => {
  const { config } = c.var.deps
  const locale = chooseLocale(config, {
    uiLocales: c.req.query('ui_locales')?.slice(0, 128),
    acceptLanguage: c.req.header('accept-language'),
  })
  return { app: config.APP_NAME, locale, t: translator(locale) }
}
const isForm = (c: Context<AppEnv>) => /^application\/x-www-form-urlencoded\b/i.test(c.req.header('content-type') ?? '')
const isJson = (c: Context<AppEnv>) => /^application\/json\b/i.test(c.req.header('content-type') ?? '')
const hasToken = (raw: unknown): raw is { token: unknown } => typeof raw === 'object' && raw !== null && 'token' in raw

/** The documented answers of a page: HTML, or JSON when asked (415 and 429 are added by routes/openapi-document.ts). */
export const pageAnswers = (ok: z.ZodType, description: string) => ({
  200: { description, content: { 'text/html': { schema: z.string() }, 'application/json': { schema: ok } } },
  400: {
    description: 'Invalid or used link (or a refused password): an HTML page, or the error as JSON',
    content: { 'text/html': { schema: z.string() }, ...errorResponses(400)[400]?.content },
  },
})

function page(c: Context<AppEnv>, html: string, status: 200 | 400 = 200) {
  return c.html(html, status, {
    'content-security-policy': PAGE_CSP,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
  })
}

interface LinkPage {
  isLive: (deps: AppEnv['Variables']['deps'], token: string) => Promise<boolean>
  failedTitle: PageKey
  pageOf: (c: Context<AppEnv>, token: string) => string
}

/** GET of a link: its page (or `{ valid: true }`) while the token is live, the failure page (or 400) after. */
const openLink =
  ({ isLive, failedTitle, pageOf }: LinkPage) =>
  async (c: Context<AppEnv>) => {
    const token = Token.safeParse(c.req.query('token'))
    const live = token.success && (await isLive(c.var.deps, token.data))
    if (wantsJson(c)) {
      if (!live) throw invalidLink()
      return c.json({ valid: true }, 200)
    }
    if (!live || !token.success) return page(c, linkFailedPage(app(c), failedTitle), 400)
    return page(c, pageOf(c, token.data))
  }

/**
 * The one-time link endpoints of emails (SPEC §6.6): small server-rendered pages, or JSON when
 * asked. No GET or HEAD changes state: mail scanners fetch links.
 */
export const emailLinks = newRouter()

/** Serves and documents GET `path`: a link's page (`openLink`). */
function linkPage(path: string, doc: { summary: string; answer: string }, link: LinkPage) {
  const responses = pageAnswers(z.object({ valid: z.literal(true) }), doc.answer)
  const request = { query: z.object({ token: Token, ui_locales: UiLocales }) }
  emailLinks.openAPIRegistry.registerPath({ method: 'get', path, tags, summary: doc.summary, request, responses })
  emailLinks.get(path, openLink(link))
}

linkPage(
  '/verify',
  {
    summary: 'Open an email verification link: a page whose button POSTs the token. Changes nothing (nor does HEAD)',
    answer: 'The confirm page, or { valid: true }',
  },
  {
    isLive: verifyLinkIsLive,
    failedTitle: 'link_not_verified_title',
    pageOf: (c, token) => confirmEmailPage(app(c), token, c.var.deps.pool.basePath),
  },
)

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
      if (hasToken(raw) && !Token.safeParse(raw.token).success) throw invalidLink()
      throw new AppError('validation_error', 'Request validation failed', { fields: fieldErrors(body.error) })
    }
    const user = await confirmEmailLink(c.var.deps, body.data.token, clientInfo(c))
    return html ? page(c, verifiedPage(app(c))) : c.json({ message: 'Email verified', user }, 200)
  } catch (err) {
    if (!html || !(err instanceof AppError) || !['invalid_code', 'validation_error'].includes(err.code)) throw err
    return page(c, linkFailedPage(app(c), 'link_not_verified_title'), 400)
  }
})

linkPage(
  '/reset',
  {
    summary: 'Open a password reset link: the form to choose a new password. Changes nothing (nor does HEAD)',
    answer: 'The form, or { valid: true }',
  },
  {
    isLive: resetLinkIsLive,
    failedTitle: 'link_reset_invalid_title',
    pageOf: (c, token) =>
      resetFormPage(app(c), token, c.var.deps.config.PASSWORD_MIN_LENGTH, undefined, c.var.deps.pool.basePath),
  },
)

emailLinks.openAPIRegistry.registerPath({
  method: 'post',
  path: '/reset',
  tags,
  summary: 'Set a new password with a reset link token (form post from the page, or JSON)',
  request: {
    query: z.object({ ui_locales: UiLocales }),
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
    await resetWithLink(c.var.deps, { token: body.data.token, newPassword: body.data.new_password, client: clientInfo(c) })
  } catch (err) {
    if (!html || !(err instanceof AppError)) throw err
    if (err.code === 'invalid_code' || !Token.safeParse(token).success)
      return page(c, linkFailedPage(app(c), 'link_reset_invalid_title'), 400)
    if (err.code === 'validation_error') {
      const problem = err.extra.fields?.new_password ?? Object.values(err.extra.fields ?? {})[0] ?? err.detail
      return page(c, resetFormPage(app(c), token, minLength, problem, c.var.deps.pool.basePath), 400)
    }
    throw err
  }
  return html
    ? page(c, resetDonePage(app(c)))
    : c.json({ message: 'Password reset successful', detail: 'You can now log in with your new password' }, 200)
})
