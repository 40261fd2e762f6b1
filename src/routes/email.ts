import { z } from '@hono/zod-openapi'
import { AppError } from '../errors'
import { requireAuth } from '../middleware/auth'
import { requireTurnstile } from '../middleware/turnstile'
import { CodeField, errorResponses, jsonContent, MessageResponse, SECURITY } from '../schemas/fields'
import { UserResponse } from '../schemas/user'
import { confirmEmailCode, requestEmailVerification } from '../services/account'
import { emailLinks, LinkBody } from './email-links'
import { clientInfo, fieldErrors, newRouter, routesOf } from './router'

const tags = ['email']
const { signedIn } = routesOf(tags)
const CodeBody = z.strictObject({ code: CodeField }).openapi('EmailCodeBody')
const VerifiedResponse = z.object({ message: z.string(), user: UserResponse }).openapi('EmailVerified')

/** Email verification (SPEC §6.6): the links' pages first (they take POST /verify with a token), then the signed-in code. */
export const email = newRouter().route('/', emailLinks)
// SPEC §5 bot defence: it sends a code and a link (checked before authentication, like every send endpoint).
email.use('/verify-request', requireTurnstile())

email.openapi(
  signedIn('post', '/verify-request', {
    middleware: requireAuth,
    summary: 'Email a verification code and link to the account’s unverified email',
    responses: { 202: jsonContent(MessageResponse, 'Sent'), ...errorResponses(400, 401, 429, 503) },
  }),
  async (c) => {
    await requestEmailVerification(c.var.deps, c.var.auth.userId, clientInfo(c))
    return c.json({ message: 'Verification email sent', detail: 'Open the link or enter the code from the email' }, 202)
  },
)

// Reached when the body carries no link token (routes/email-links.ts answers those).
email.post('/verify', requireAuth, async (c) => {
  if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
    throw new AppError('unsupported_media_type', 'Send a JSON body')
  }
  const body = CodeBody.safeParse(await c.req.json())
  if (!body.success) throw new AppError('validation_error', 'Request validation failed', { fields: fieldErrors(body.error) })
  return c.json(await confirmEmailCode(c.var.deps, c.var.auth.userId, { code: body.data.code, client: clientInfo(c) }), 200)
})
email.openAPIRegistry.registerPath({
  method: 'post',
  path: '/verify',
  tags,
  // The link token needs no sign-in; the code does.
  security: [...SECURITY, {}],
  summary:
    'Verify the account’s email: with the link token (a form or JSON { token }, no sign-in: what the link page’s button posts), or signed in with the emailed code (JSON { code })',
  request: {
    body: {
      required: true,
      content: {
        'application/json': { schema: z.union([LinkBody, CodeBody]) },
        'application/x-www-form-urlencoded': { schema: LinkBody },
      },
    },
  },
  responses: {
    200: {
      description: 'Verified: { message, user } for a token, the user for a code; an HTML page for a form post',
      content: {
        'application/json': { schema: z.union([VerifiedResponse, UserResponse]) },
        'text/html': { schema: z.string() },
      },
    },
    400: {
      description: 'A used, expired or invalid token or code: an HTML page for a form post, else the error',
      content: { 'text/html': { schema: z.string() }, ...errorResponses(400)[400]?.content },
    },
    ...errorResponses(401, 415, 429),
  },
})
