import { decodeBase32IgnorePadding } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { expect } from 'vitest'
import { call, json } from './app'

type Vars = Record<string, string>

/**
 * What an authenticator app shows for a base32 secret at RFC 6238 step `current + offset` (30 s
 * steps of Unix time): computed with @oslojs/otp from the secret, not with the service's helper.
 */
export function totpCode(secret: string, offset = 0, at = Date.now()): string {
  const step = Math.floor(at / 30_000) + offset
  return generateHOTP(decodeBase32IgnorePadding(secret), BigInt(step), 6)
}

export interface Enrolled {
  secret: string
  recovery_codes: string[]
}

/** POST /me/mfa/totp then /confirm with the current step's code: TOTP on (that step now used). */
export async function enrolTotp(accessToken: string, env?: Vars): Promise<Enrolled> {
  const started = await call('POST', '/api/v1/me/mfa/totp', { token: accessToken, env })
  expect(started.status, await started.clone().text()).toBe(200)
  const { secret } = await json(started)
  const confirmed = await call('POST', '/api/v1/me/mfa/totp/confirm', {
    token: accessToken,
    json: { code: totpCode(secret) },
    env,
  })
  expect(confirmed.status, await confirmed.clone().text()).toBe(200)
  return { secret, recovery_codes: (await json(confirmed)).recovery_codes }
}

/** POST /auth/mfa/verify as sent. */
export function mfaVerify(body: Record<string, unknown>, env?: Vars, path = '/api/v1/auth/mfa/verify'): Promise<Response> {
  return call('POST', path, { json: body, env })
}

/** The claims of an access token, unverified (the service verified it). */
// biome-ignore lint/suspicious/noExplicitAny: test data
export function claimsOf(accessToken: string): any {
  const [, payload = ''] = accessToken.split('.')
  return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')))
}

/** Asserts a 403 `mfa_required` of a sign-in and returns its mfa token. */
export async function expectMfaRequired(res: Response, methods = ['totp', 'recovery_code']): Promise<string> {
  const body = await json(res)
  expect({ status: res.status, error: body.error }, JSON.stringify(body)).toEqual({ status: 403, error: 'mfa_required' })
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  expect(body.methods).toEqual(methods)
  expect(body.expires_in).toBe(300)
  expect(body.mfa_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
  expect(body.access_token).toBeUndefined()
  return body.mfa_token
}
