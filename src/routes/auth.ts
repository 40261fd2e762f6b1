import { createRoute } from '@hono/zod-openapi'
import { requireAuth, requireLiveSession } from '../middleware/auth'
import {
  ChangePasswordBody,
  ConfirmResetBody,
  IdentifierBody,
  LoginBody,
  RegisterBody,
  RegisterResponse,
  VerifyBody,
} from '../schemas/auth'
import { errorResponses, jsonBody, jsonContent, MessageResponse } from '../schemas/fields'
import { TokenResponse } from '../schemas/user'
import { loginWithPassword, requestLoginOtp } from '../services/login'
import { changePassword, confirmPasswordReset, requestPasswordReset } from '../services/password-reset'
import { register } from '../services/register'
import { verifyCode } from '../services/verify'
import { clientInfo, NO_STORE, newRouter } from './router'

const tags = ['auth']

export const auth = newRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/register',
      tags,
      summary: 'Register by phone or email; a verification code is sent',
      request: { body: jsonBody(RegisterBody) },
      responses: {
        201: jsonContent(RegisterResponse, 'Pending account created; code sent'),
        ...errorResponses(400, 409, 413, 415, 429, 503),
      },
    }),
    async (c) => c.json(await register(c.var.deps, c.req.valid('json'), clientInfo(c)), 201),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/verify',
      tags,
      summary: 'Complete a registration or OTP login with the code',
      request: { body: jsonBody(VerifyBody) },
      responses: { 200: jsonContent(TokenResponse, 'Signed in'), ...errorResponses(400, 403, 429) },
    }),
    async (c) => c.json(await verifyCode(c.var.deps, c.req.valid('json'), clientInfo(c)), 200, NO_STORE),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/login',
      tags,
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
        await requestLoginOtp(deps, body, clientInfo(c))
        return c.json({ message: 'OTP sent', detail: 'If the account exists, a login code has been sent' }, 202)
      }
      return c.json(await loginWithPassword(deps, { ...body, password: body.password ?? '' }, clientInfo(c)), 200, NO_STORE)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/reset-password',
      tags,
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
    createRoute({
      method: 'post',
      path: '/confirm-reset',
      tags,
      summary: 'Set a new password with a reset code; every session is revoked',
      request: { body: jsonBody(ConfirmResetBody) },
      responses: { 200: jsonContent(MessageResponse, 'Password reset'), ...errorResponses(400, 429) },
    }),
    async (c) => {
      await confirmPasswordReset(c.var.deps, c.req.valid('json'))
      return c.json({ message: 'Password reset successful', detail: 'You can now log in with your new password' }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/change-password',
      tags,
      summary: 'Change the password; every other session is revoked',
      security: [{ bearer: [] }],
      middleware: [requireAuth, requireLiveSession] as const,
      request: { body: jsonBody(ChangePasswordBody) },
      responses: { 200: jsonContent(MessageResponse, 'Password changed'), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const { userId, sessionId } = c.var.auth
      await changePassword(c.var.deps, userId, sessionId, c.req.valid('json'))
      return c.json({ message: 'Password changed', detail: 'Your other sessions have been signed out' }, 200)
    },
  )
