import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { hashPassword, verifyPassword } from '../../src/crypto/password'
import { call, expectError, json } from '../helpers/app'
import { login, newPhone, PASSWORD, register, signUp } from '../helpers/factories'
import { verify } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'

const box = useOutbox()

/** The stable part of an error body: everything but the per-request id. */
// biome-ignore lint/suspicious/noExplicitAny: test data
function withoutRequestId({ request_id, ...rest }: any) {
  return rest
}

async function setStatus(phone: string, status: string) {
  await env.DB.prepare('UPDATE users SET status = ? WHERE phone = ?').bind(status, phone).run()
}

async function userRow(phone: string) {
  return env.DB.prepare('SELECT * FROM users WHERE phone = ?').bind(phone).first<Record<string, unknown>>()
}

/** `+21698765432` as people type it: national, spaced international, 00-prefixed. */
function formats(phone: string): string[] {
  const national = phone.slice(4)
  const spaced = `${national.slice(0, 2)} ${national.slice(2, 5)} ${national.slice(5)}`
  return [spaced, `+216 ${spaced}`, `00216${national}`, phone]
}

describe('POST /api/v1/auth/login with a password', () => {
  it('signs in by phone written in every accepted format', async () => {
    const { phone, user } = await signUp(box)
    for (const written of formats(phone)) {
      const res = await login({ phone: written, password: PASSWORD })
      expect(res.status, written).toBe(200)
      expect(res.headers.get('cache-control')).toBe('no-store')
      const body = await json(res)
      expect(body).toMatchObject({ token_type: 'bearer', expires_in: 900, user: { id: user.id, phone } })
      expect(body.access_token.split('.')).toHaveLength(3)
      expect(body.refresh_token.length).toBeGreaterThanOrEqual(43)
    }
  })

  it('records the login time on the user', async () => {
    const { phone } = await signUp(box)
    const before = Date.now()
    const body = await json(await login({ phone, password: PASSWORD }))
    const lastLogin = Date.parse(body.user.last_login)
    expect(lastLogin).toBeGreaterThanOrEqual(before - 1000)
    expect(lastLogin).toBeLessThanOrEqual(Date.now() + 1000)
    expect(body.user.last_login).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    expect(Number((await userRow(phone))?.last_login)).toBe(lastLogin)
  })

  it('returns tokens that work: /me answers with the same user', async () => {
    const { phone } = await signUp(box)
    const body = await json(await login({ phone, password: PASSWORD }))
    const me = await call('GET', '/api/v1/me', { token: body.access_token })
    expect(me.status).toBe(200)
    expect((await json(me)).id).toBe(body.user.id)
  })

  it('answers a wrong password and an unknown phone with the identical 401 invalid_credentials', async () => {
    const { phone } = await signUp(box)
    const wrong = await expectError(await login({ phone, password: 'Wrong-Pass-2026' }), 401, 'invalid_credentials')
    const unknown = await expectError(await login({ phone: newPhone(), password: PASSWORD }), 401, 'invalid_credentials')
    expect(withoutRequestId(wrong)).toEqual(withoutRequestId(unknown))
    expect(wrong.request_id).not.toBe(unknown.request_id)
    expect(JSON.stringify(wrong)).not.toContain(phone)
  })

  it('treats an unparsable phone as an unknown account: the same 401, not a 400 that tells them apart', async () => {
    // The schema only bounds the phone's length; loginWithPassword swallows the parse error.
    const unknown = await expectError(await login({ phone: newPhone(), password: PASSWORD }), 401, 'invalid_credentials')
    for (const phone of ['not a phone', '71 123 456', '+216 98 765 432 ext. 9']) {
      const res = await expectError(await login({ phone, password: PASSWORD }), 401, 'invalid_credentials')
      expect(withoutRequestId(res)).toEqual(withoutRequestId(unknown))
    }
  })

  it('refuses a pending account with the right password: 403 unverified_account', async () => {
    const phone = newPhone()
    expect((await register({ phone, password: PASSWORD })).status).toBe(201)
    await expectError(await login({ phone, password: PASSWORD }), 403, 'unverified_account')
  })

  it('answers a pending account with a wrong password with 401 invalid_credentials (status stays hidden)', async () => {
    const phone = newPhone()
    expect((await register({ phone, password: PASSWORD })).status).toBe(201)
    await expectError(await login({ phone, password: 'Wrong-Pass-2026' }), 401, 'invalid_credentials')
  })

  it.each(['suspended', 'deactivated'])('refuses a %s account with the right password: 403 account_disabled', async (status) => {
    const { phone } = await signUp(box)
    await setStatus(phone, status)
    await expectError(await login({ phone, password: PASSWORD }), 403, 'account_disabled')
  })

  it.each(['suspended', 'deactivated'])('answers a %s account with a wrong password with 401', async (status) => {
    const { phone } = await signUp(box)
    await setStatus(phone, status)
    await expectError(await login({ phone, password: 'Wrong-Pass-2026' }), 401, 'invalid_credentials')
  })

  it('opens no session for a refused login', async () => {
    const { phone, user } = await signUp(box)
    const count = async () =>
      (await env.DB.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ?').bind(user.id).first<{ n: number }>())?.n
    const before = await count()
    await login({ phone, password: 'Wrong-Pass-2026' })
    await setStatus(phone, 'suspended')
    await login({ phone, password: PASSWORD })
    expect(await count()).toBe(before)
  })

  it('re-hashes a password stored with weaker parameters after a successful login', async () => {
    const { phone } = await signUp(box)
    const weak = await hashPassword(PASSWORD, { logN: 9, r: 8, p: 1 })
    await env.DB.prepare('UPDATE users SET password_hash = ? WHERE phone = ?').bind(weak, phone).run()

    expect((await login({ phone, password: PASSWORD })).status).toBe(200)
    const stored = String((await userRow(phone))?.password_hash)
    expect(stored).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/)
    expect(stored).not.toBe(weak)
    expect(await verifyPassword(PASSWORD, stored)).toBe(true)
    expect((await login({ phone, password: PASSWORD })).status).toBe(200)
  })

  it('does not re-hash after a wrong password', async () => {
    const { phone } = await signUp(box)
    const weak = await hashPassword(PASSWORD, { logN: 9, r: 8, p: 1 })
    await env.DB.prepare('UPDATE users SET password_hash = ? WHERE phone = ?').bind(weak, phone).run()
    await expectError(await login({ phone, password: 'Wrong-Pass-2026' }), 401, 'invalid_credentials')
    expect((await userRow(phone))?.password_hash).toBe(weak)
  })
})

describe('POST /api/v1/auth/login with use_otp', () => {
  // The sign-up code went to the same phone a moment ago: lift the resend cooldown.
  const NO_COOLDOWN = { OTP_RESEND_COOLDOWN_SECONDS: '0' }
  it('answers 202 with the same body for an existing phone and an unknown one, texting only the existing one', async () => {
    const { phone } = await signUp(box)
    const stranger = newPhone()
    box.clear()

    const known = await login({ phone, use_otp: true }, { env: NO_COOLDOWN })
    const unknown = await login({ phone: stranger, use_otp: true }, { env: NO_COOLDOWN })
    expect(known.status).toBe(202)
    expect(unknown.status).toBe(202)
    const knownBody = await json(known)
    expect(knownBody).toEqual(await json(unknown))
    expect(knownBody).toEqual({ message: 'OTP sent', detail: 'If the account exists, a login code has been sent' })

    expect(box.to(phone)).toHaveLength(1)
    expect(box.to(phone)[0]?.text).toMatch(/^Your edge-auth login code is \d{6}\. Valid for 10 minutes\.$/)
    expect(box.to(stranger)).toHaveLength(0)
  })

  it('signs in at /verify with the code it texted', async () => {
    const { phone, user } = await signUp(box)
    expect((await login({ phone, use_otp: true }, { env: NO_COOLDOWN })).status).toBe(202)
    const res = await verify(phone, box.lastCode(phone))
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await json(res)
    expect(body).toMatchObject({ token_type: 'bearer', user: { id: user.id, status: 'active' } })
    expect(body.access_token.split('.')).toHaveLength(3)
  })

  it('sends nothing to a pending or disabled account, with the same 202', async () => {
    const pending = newPhone()
    expect((await register({ phone: pending, password: PASSWORD })).status).toBe(201)
    const { phone: suspended } = await signUp(box)
    await setStatus(suspended, 'suspended')
    box.clear()
    for (const phone of [pending, suspended]) {
      const res = await login({ phone, use_otp: true }, { env: NO_COOLDOWN })
      expect(res.status).toBe(202)
      expect(await json(res)).toEqual({ message: 'OTP sent', detail: 'If the account exists, a login code has been sent' })
    }
    expect(box.messages()).toHaveLength(0)
  })

  it('refuses use_otp together with a password: 400 validation_error', async () => {
    const { phone } = await signUp(box)
    box.clear()
    const body = await expectError(await login({ phone, use_otp: true, password: PASSWORD }), 400, 'validation_error')
    expect(body.fields).toHaveProperty('password')
    expect(box.messages()).toHaveLength(0)
  })

  it('refuses a login code for an unknown phone at /verify without OTP_SIGNUP: 400 invalid_code', async () => {
    const stranger = newPhone()
    expect((await login({ phone: stranger, use_otp: true })).status).toBe(202)
    expect(box.to(stranger)).toHaveLength(0)
    await expectError(await verify(stranger, '123456'), 400, 'invalid_code')
    expect(await userRow(stranger)).toBeNull()
  })
})

describe('passwordless sign-up (OTP_SIGNUP=true)', () => {
  const OTP_SIGNUP = { OTP_SIGNUP: 'true' }

  it('texts a login code to an unknown phone', async () => {
    const stranger = newPhone()
    const res = await login({ phone: stranger, use_otp: true }, { env: OTP_SIGNUP })
    expect(res.status).toBe(202)
    expect(await json(res)).toEqual({ message: 'OTP sent', detail: 'If the account exists, a login code has been sent' })
    expect(box.to(stranger)).toHaveLength(1)
    expect(box.to(stranger)[0]?.text).toMatch(/login code is \d{6}\./)
  })

  it('creates an active, phone-verified particulier at /verify', async () => {
    const stranger = newPhone()
    expect((await login({ phone: stranger, use_otp: true }, { env: OTP_SIGNUP })).status).toBe(202)
    const res = await verify(stranger, box.lastCode(stranger), OTP_SIGNUP)
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.user).toMatchObject({
      phone: stranger,
      status: 'active',
      role: 'particulier',
      phone_verified: true,
      is_verified: true,
      email_verified: false,
    })
    expect(body.access_token.split('.')).toHaveLength(3)
    expect(await userRow(stranger)).toMatchObject({ status: 'active', phone_verified: 1, password_hash: null })
  })

  it('gives the passwordless account no password to log in with', async () => {
    const stranger = newPhone()
    await login({ phone: stranger, use_otp: true }, { env: OTP_SIGNUP })
    expect((await verify(stranger, box.lastCode(stranger), OTP_SIGNUP)).status).toBe(200)
    await expectError(await login({ phone: stranger, password: PASSWORD }), 401, 'invalid_credentials')
  })

  it('creates nothing when OTP_SIGNUP is off by the time the code is used', async () => {
    const stranger = newPhone()
    await login({ phone: stranger, use_otp: true }, { env: OTP_SIGNUP })
    await expectError(await verify(stranger, box.lastCode(stranger)), 400, 'invalid_code')
    expect(await userRow(stranger)).toBeNull()
  })
})

describe('roles at registration', () => {
  it.each(['admin', 'super_admin', 'client', 'subclient'])(
    'refuses the staff role %s: 400 validation_error on role',
    async (role) => {
      const phone = newPhone()
      const body = await expectError(await register({ phone, password: PASSWORD, role }), 400, 'validation_error')
      expect(body.fields).toHaveProperty('role')
      expect(await userRow(phone)).toBeNull()
      expect(box.to(phone)).toHaveLength(0)
    },
  )

  it('refuses an end-user role that is not configured', async () => {
    const body = await expectError(
      await register({ phone: newPhone(), password: PASSWORD, role: 'agriculteur' }),
      400,
      'validation_error',
    )
    expect(body.fields.role).toBe('Must be one of: particulier')
  })

  it('accepts a role added to END_USER_ROLES, and keeps the first as the default', async () => {
    const roles = { END_USER_ROLES: 'particulier,agriculteur' }
    const farmer = newPhone()
    expect((await register({ phone: farmer, password: PASSWORD, role: 'agriculteur' }, { env: roles })).status).toBe(201)
    const res = await verify(farmer, box.lastCode(farmer), roles)
    expect((await json(res)).user.role).toBe('agriculteur')

    const other = newPhone()
    expect((await register({ phone: other, password: PASSWORD }, { env: roles })).status).toBe(201)
    expect((await userRow(other))?.role).toBe('particulier')

    const admin = await register({ phone: newPhone(), password: PASSWORD, role: 'admin' }, { env: roles })
    await expectError(admin, 400, 'validation_error')
  })
})
