import { requireAuth, requireLiveSession } from '../middleware/auth'
import { rateLimit } from '../middleware/rate-limit'
import { requireTurnstile } from '../middleware/turnstile'
import { TurnstileOnlyBody } from '../schemas/auth'
import { errorResponses, jsonBody, jsonContent, MessageResponse } from '../schemas/fields'
import { DevicePageQuery } from '../schemas/iam'
import {
  DeleteMeBody,
  DeviceBody,
  DeviceIdParam,
  PatchMeBody,
  PhoneCodeBody,
  SessionIdParam,
  SessionList,
  SessionResponse,
  SessionsQuery,
} from '../schemas/me'
import { DeviceList, DeviceResponse, UserResponse } from '../schemas/user'
import {
  addDevice,
  confirmPhone,
  deleteMe,
  getMe,
  listDevices,
  removeDevice,
  requestPhoneVerification,
  updateMe,
} from '../services/account'
import { endOtherSessions, endSession, getSession, listSessions } from '../services/sessions'
import { meMfa } from './mfa'
import { mePasskeys } from './passkeys'
import { clientInfo, newRouter, routesOf } from './router'

const tags = ['me']
const { signedIn } = routesOf(tags)
const sensitive = requireLiveSession

const router = newRouter()
// SPEC §5 bot defence: it texts a code; checked before anything else, authentication included.
router.use('/phone/verify-request', requireTurnstile())
// A new email or phone gets a code and a link (SPEC §5): the same check, before anything else.
router.on(
  'PATCH',
  '/',
  requireTurnstile((body) => 'email' in body || 'phone' in body),
)
// The per-IP request limits REQUEST_LIMITS gives these routes (DELETE /me), before the password is hashed.
router.use('*', rateLimit)
router.use('*', requireAuth)

/** Chained, so `hono/client` sees every route's request and response types. */
export const me = router
  .openapi(
    signedIn('get', '/', {
      summary: 'The signed-in user',
      responses: { 200: jsonContent(UserResponse, 'The user'), ...errorResponses(401) },
    }),
    async (c) => c.json(await getMe(c.var.deps, c.var.auth), 200),
  )
  .openapi(
    signedIn('patch', '/', {
      summary: 'Update name or surname; ask for a new email or phone (pending until confirmed, needs current_password)',
      request: { body: jsonBody(PatchMeBody) },
      responses: {
        200: jsonContent(UserResponse, 'The updated user (a new email or phone is pending)'),
        ...errorResponses(400, 401, 403, 409, 429, 503),
      },
    }),
    async (c) => c.json(await updateMe(c.var.deps, c.var.auth, { ...c.req.valid('json'), client: clientInfo(c) }), 200),
  )
  .openapi(
    signedIn('post', '/phone/verify-request', {
      summary: 'Text a code to the pending (or unverified) phone',
      // Optional: only `turnstile_token`, required when TURNSTILE_SECRET_KEY is set (SPEC §5).
      request: { body: { ...jsonBody(TurnstileOnlyBody), required: false } },
      responses: { 202: jsonContent(MessageResponse, 'Code sent'), ...errorResponses(400, 401, 429, 503) },
    }),
    async (c) => {
      await requestPhoneVerification(c.var.deps, c.var.auth.userId, clientInfo(c))
      return c.json({ message: 'OTP sent', detail: 'Enter the code texted to the new phone' }, 202)
    },
  )
  .openapi(
    signedIn('post', '/phone/verify', {
      summary: 'Confirm the pending (or unverified) phone with the texted code; it replaces the old one',
      request: { body: jsonBody(PhoneCodeBody) },
      responses: { 200: jsonContent(UserResponse, 'The user, phone confirmed'), ...errorResponses(400, 401, 409, 429) },
    }),
    async (c) =>
      c.json(await confirmPhone(c.var.deps, c.var.auth.userId, { code: c.req.valid('json').code, client: clientInfo(c) }), 200),
  )
  .openapi(
    signedIn('delete', '/', {
      middleware: sensitive,
      summary: 'Delete the account (password required); every session ends',
      request: { body: jsonBody(DeleteMeBody) },
      responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 401, 403, 429) },
    }),
    async (c) => {
      await deleteMe(c.var.deps, c.var.auth.userId, { password: c.req.valid('json').password, client: clientInfo(c) })
      return c.body(null, 204)
    },
  )
  .openapi(
    signedIn('get', '/sessions', {
      middleware: sensitive,
      summary: 'Live sessions of the user; with include=ended, those that ended in the last 30 days too',
      request: { query: SessionsQuery },
      responses: { 200: jsonContent(SessionList, 'Sessions, newest first'), ...errorResponses(400, 401) },
    }),
    async (c) => {
      return c.json(await listSessions(c.var.deps, c.var.auth, c.req.valid('query')), 200)
    },
  )
  .openapi(
    signedIn('get', '/sessions/{id}', {
      middleware: sensitive,
      summary: 'One session of the user, live or ended in the last 30 days (with ended_at)',
      request: { params: SessionIdParam },
      responses: { 200: jsonContent(SessionResponse, 'The session'), ...errorResponses(401, 404) },
    }),
    async (c) => c.json(await getSession(c.var.deps, c.var.auth, c.req.valid('param').id), 200),
  )
  .openapi(
    signedIn('delete', '/sessions', {
      middleware: sensitive,
      summary: 'End every session but this one',
      responses: { 204: { description: 'Other sessions ended' }, ...errorResponses(401) },
    }),
    async (c) => {
      await endOtherSessions(c.var.deps, c.var.auth, clientInfo(c))
      return c.body(null, 204)
    },
  )
  .openapi(
    signedIn('delete', '/sessions/{id}', {
      middleware: sensitive,
      summary: 'End one session; its tokens stop working',
      request: { params: SessionIdParam },
      responses: { 204: { description: 'Session ended' }, ...errorResponses(401, 404) },
    }),
    async (c) => {
      const target = { userId: c.var.auth.userId, sessionId: c.req.valid('param').id }
      await endSession(c.var.deps, target, clientInfo(c))
      return c.body(null, 204)
    },
  )
  .openapi(
    signedIn('get', '/devices', {
      summary: "The user's devices",
      request: { query: DevicePageQuery },
      responses: { 200: jsonContent(DeviceList, 'Devices, oldest first'), ...errorResponses(400, 401) },
    }),
    async (c) => c.json(await listDevices(c.var.deps, c.var.auth.userId, c.req.valid('query')), 200),
  )
  .openapi(
    signedIn('post', '/devices', {
      summary: 'Register a device',
      request: { body: jsonBody(DeviceBody) },
      responses: { 201: jsonContent(DeviceResponse, 'Registered'), ...errorResponses(400, 401, 409) },
    }),
    async (c) => c.json(await addDevice(c.var.deps, c.var.auth.userId, c.req.valid('json')), 201),
  )
  .openapi(
    signedIn('delete', '/devices/{device_id}', {
      summary: 'Remove a device',
      request: { params: DeviceIdParam },
      responses: { 204: { description: 'Removed' }, ...errorResponses(401, 404) },
    }),
    async (c) => {
      await removeDevice(c.var.deps, c.var.auth.userId, c.req.valid('param').device_id)
      return c.body(null, 204)
    },
  )
  // SPEC §14: TOTP enrolment and turning it off, under this router's authentication and limits.
  .route('/mfa', meMfa)
  // SPEC §14: behind this router's requireAuth.
  .route('/passkeys', mePasskeys)
