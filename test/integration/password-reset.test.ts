import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { logIn, login, newPhone, PASSWORD } from '../helpers/factories'
import { activeUser, challengesOf, otpKey, requestReset, sessionIdOf } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'

const box = useOutbox()

// Signing up sends a register code; the reset code follows at once, inside the default cooldown.
const VARS = { OTP_RESEND_COOLDOWN_SECONDS: '0' }
const NEW_PASSWORD = 'Carthage-Vent7-2027'

function confirmReset(phone: string, code: string, newPassword: string): Promise<Response> {
  return call('POST', '/api/v1/auth/confirm-reset', { json: { phone, code, new_password: newPassword }, env: VARS })
}

// The same env as confirmReset: the same isolate, which sees its own revocations at once.
function me(token: string): Promise<Response> {
  return call('GET', '/api/v1/me', { token, env: VARS })
}

/** An active account that has just been sent a reset code. */
async function withResetCode() {
  const signedIn = await activeUser(box, { env: VARS })
  const res = await requestReset(signedIn.phone, VARS)
  expect(res.status).toBe(202)
  return { ...signedIn, code: box.lastCode(signedIn.phone) }
}

describe('POST /api/v1/auth/reset-password', () => {
  it('answers 202 with the same body for an account and an unknown phone, and texts only the account', async () => {
    const { phone } = await activeUser(box, { env: VARS })
    const unknown = newPhone()

    const known = await requestReset(phone, VARS)
    const stranger = await requestReset(unknown, VARS)
    expect(known.status).toBe(202)
    expect(stranger.status).toBe(202)
    const body = await json(known)
    expect(await json(stranger)).toEqual(body)
    expect(body).toEqual({ message: expect.any(String), detail: expect.any(String) })

    expect(box.to(unknown)).toHaveLength(0)
    expect(box.to(phone).at(-1)?.text).toMatch(/^Your edge-auth password reset code is \d{6}\. Valid for 10 minutes\.$/)
  })

  it('sends nothing to a pending account', async () => {
    const phone = newPhone()
    const reg = await call('POST', '/api/v1/auth/register', { json: { phone, password: PASSWORD }, env: VARS })
    expect(reg.status).toBe(201)
    expect((await requestReset(phone, VARS)).status).toBe(202)
    expect(box.to(phone)).toHaveLength(1)
  })
})

describe('POST /api/v1/auth/confirm-reset', () => {
  it('sets the new password and revokes every session of the user', async () => {
    const { phone, code, access_token } = await withResetCode()
    const other = await logIn(phone)

    const res = await confirmReset(phone, code, NEW_PASSWORD)
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ message: expect.any(String), detail: expect.any(String) })

    await expectError(await me(access_token), 401, 'invalid_token')
    await expectError(await me(other.access_token), 401, 'invalid_token')
    await expectError(await login({ phone, password: PASSWORD }), 401, 'invalid_credentials')
    const fresh = await login({ phone, password: NEW_PASSWORD })
    expect(fresh.status).toBe(200)
    expect((await me((await json(fresh)).access_token)).status).toBe(200)

    const { results } = await env.DB.prepare(
      'SELECT s.revoked_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.phone = ? AND s.id IN (?, ?)',
    )
      .bind(phone, sessionIdOf(access_token), sessionIdOf(other.access_token))
      .all<{ revoked_at: number | null }>()
    expect(results).toHaveLength(2)
    for (const r of results) expect(r.revoked_at).not.toBeNull()
  })

  it('refuses the code a second time, even when KV still serves its entry', async () => {
    const { phone, code } = await withResetCode()
    const key = otpKey('reset', phone)
    const stale = await env.KV.get(key)
    expect(stale).not.toBeNull()

    expect((await confirmReset(phone, code, NEW_PASSWORD)).status).toBe(200)
    await env.KV.put(key, stale as string)

    await expectError(await confirmReset(phone, code, 'Another-Passw0rd-9'), 400, 'invalid_code')
    expect((await login({ phone, password: NEW_PASSWORD })).status).toBe(200)
  })

  it('rejects a weak new password with validation_error and leaves the code unspent', async () => {
    const { phone, code } = await withResetCode()

    const weak = await confirmReset(phone, code, 'password')
    const body = await expectError(weak, 400, 'validation_error')
    expect(body.fields).toEqual({ new_password: expect.any(String) })
    const reset = (await challengesOf(phone)).find((r) => r.purpose === 'reset')
    expect(reset).toMatchObject({ attempts: 0, closed_at: null })

    expect((await confirmReset(phone, code, NEW_PASSWORD)).status).toBe(200)
    expect((await login({ phone, password: NEW_PASSWORD })).status).toBe(200)
  })

  it('rejects a wrong code with invalid_code and keeps the old password', async () => {
    const { phone, code } = await withResetCode()
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0')
    await expectError(await confirmReset(phone, wrong, NEW_PASSWORD), 400, 'invalid_code')
    expect((await login({ phone, password: PASSWORD })).status).toBe(200)
  })

  it('lets exactly one of two concurrent confirmations with one code win', async () => {
    const { phone, code } = await withResetCode()
    const passwords = ['Winner-Passw0rd-A', 'Winner-Passw0rd-B']
    const responses = await Promise.all(passwords.map((p) => confirmReset(phone, code, p)))

    const winners = responses.filter((r) => r.status === 200)
    expect(winners).toHaveLength(1)
    const loser = responses.findIndex((r) => r.status !== 200)
    await expectError(responses[loser] as Response, 400, 'invalid_code')

    const winning = passwords[1 - loser] as string
    const losing = passwords[loser] as string
    expect((await login({ phone, password: winning })).status).toBe(200)
    await expectError(await login({ phone, password: losing }), 401, 'invalid_credentials')
  })
})

describe('POST /api/v1/auth/change-password', () => {
  const change = (token: string | undefined, body: unknown) => call('POST', '/api/v1/auth/change-password', { json: body, token })

  it('refuses a wrong old password with 401 invalid_credentials', async () => {
    const { phone, access_token } = await activeUser(box, { env: VARS })
    const res = await change(access_token, { old_password: 'Not-The-Passw0rd', new_password: NEW_PASSWORD })
    await expectError(res, 401, 'invalid_credentials')
    expect((await login({ phone, password: PASSWORD })).status).toBe(200)
  })

  it('changes the password, keeps this session and revokes the others', async () => {
    const { phone, access_token } = await activeUser(box, { env: VARS })
    const other = await logIn(phone)

    const res = await change(access_token, { old_password: PASSWORD, new_password: NEW_PASSWORD })
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ message: expect.any(String), detail: expect.any(String) })

    expect((await me(access_token)).status).toBe(200)
    await expectError(await me(other.access_token), 401, 'invalid_token')
    await expectError(
      await change(other.access_token, { old_password: NEW_PASSWORD, new_password: 'Third-Passw0rd-3' }),
      401,
      'invalid_token',
    )
    await expectError(await login({ phone, password: PASSWORD }), 401, 'invalid_credentials')
    expect((await login({ phone, password: NEW_PASSWORD })).status).toBe(200)
  })

  it('rejects a weak new password with validation_error on new_password', async () => {
    const { phone, access_token } = await activeUser(box, { env: VARS })
    const res = await change(access_token, { old_password: PASSWORD, new_password: 'password' })
    const body = await expectError(res, 400, 'validation_error')
    expect(body.fields).toEqual({ new_password: expect.any(String) })
    expect((await login({ phone, password: PASSWORD })).status).toBe(200)
  })

  it('answers 401 unauthorized without a token', async () => {
    const res = await change(undefined, { old_password: PASSWORD, new_password: NEW_PASSWORD })
    await expectError(res, 401, 'unauthorized')
  })
})
