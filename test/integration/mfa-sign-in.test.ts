import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { login, newPhone, PASSWORD } from '../helpers/factories'
import { claimsOf, enrolTotp, expectMfaRequired, mfaVerify, totpCode } from '../helpers/mfa'
import { token } from '../helpers/oauth'
import { activeUser, newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { getMe, refresh } from '../helpers/sessions'
import { createStaff, createSuperAdmin, staffLogin } from '../helpers/staff'

// SPEC §14: the second step of every first factor that can meet it, the `amr` and `auth_time`
// claims, and MFA_REQUIRED_ROLES on staff and admin routes.

const box = useOutbox()
const API = '/api/v1'
const FAST = { OTP_RESEND_COOLDOWN_SECONDS: '0' }

const sessionsOf = async (userId: string) =>
  (await env.DB.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ?').bind(userId).first<{ n: number }>())?.n
const wrong = (code: string) => String((Number(code) + 500_000) % 1_000_000).padStart(6, '0')

/** An active user with TOTP on, signed in (before TOTP) with `access_token`. */
async function mfaUser(vars?: Record<string, string>) {
  const user = await activeUser(box, { env: vars })
  return { ...user, ...(await enrolTotp(user.access_token, vars)) }
}

describe('password login with MFA on', () => {
  it('answers 403 mfa_required with an mfa_token and methods, and opens no session', async () => {
    const user = await mfaUser()
    const before = await sessionsOf(user.user.id)
    const mfaToken = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    expect(await sessionsOf(user.user.id)).toBe(before)
    const { results } = await env.DB.prepare('SELECT hash FROM mfa_tokens WHERE user_id = ?').bind(user.user.id).all()
    expect(JSON.stringify(results)).not.toContain(mfaToken) // stored hashed

    const res = await mfaVerify({ mfa_token: mfaToken, totp: totpCode(user.secret, 1) })
    expect(res.status, await res.clone().text()).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await json(res)
    expect(body.user.id).toBe(user.user.id)
    const claims = claimsOf(body.access_token)
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa'])
    expect(Math.abs(claims.auth_time - Date.now() / 1000)).toBeLessThan(10)
    expect((await getMe(body.access_token)).status).toBe(200)
    expect(await sessionsOf(user.user.id)).toBe((before ?? 0) + 1)
  })

  it('still answers a wrong password with 401 and no mfa_token', async () => {
    const user = await mfaUser()
    const res = await login({ phone: user.phone, password: 'Wrong-Pass-123' })
    const body = await expectError(res, 401, 'invalid_credentials')
    expect(body.mfa_token).toBeUndefined()
  })

  it('accepts the mfa_token once', async () => {
    const user = await mfaUser()
    const mfaToken = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    expect((await mfaVerify({ mfa_token: mfaToken, recovery_code: user.recovery_codes[0] })).status).toBe(200)
    await expectError(await mfaVerify({ mfa_token: mfaToken, recovery_code: user.recovery_codes[1] }), 401, 'invalid_token')
    await expectError(await mfaVerify({ mfa_token: 'not-a-token', totp: '123456' }), 401, 'invalid_token')
  })

  it('kills the mfa_token after 5 wrong codes, even the right one after', async () => {
    const user = await mfaUser()
    const mfaToken = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    for (let i = 0; i < 5; i++) {
      await expectError(await mfaVerify({ mfa_token: mfaToken, totp: wrong(totpCode(user.secret, 1)) }), 400, 'invalid_code')
    }
    await expectError(await mfaVerify({ mfa_token: mfaToken, totp: totpCode(user.secret, 1) }), 429, 'too_many_attempts')
    await expectError(await mfaVerify({ mfa_token: mfaToken, recovery_code: user.recovery_codes[0] }), 429, 'too_many_attempts')
    // Neither factor was spent: a new sign-in uses them.
    const next = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    expect((await mfaVerify({ mfa_token: next, totp: totpCode(user.secret, 1) })).status).toBe(200)
  })

  it('evaluates at most 5 of 12 concurrent wrong guesses', async () => {
    const user = await mfaUser()
    const mfaToken = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => mfaVerify({ mfa_token: mfaToken, totp: wrong(totpCode(user.secret)) })),
    )
    const statuses = answers.map((r) => r.status)
    expect(statuses.filter((s) => s === 400)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429)).toHaveLength(7)
  })

  it('refuses an expired mfa_token', async () => {
    const user = await mfaUser()
    const mfaToken = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    await env.DB.prepare('UPDATE mfa_tokens SET expires_at = ? WHERE user_id = ?')
      .bind(Date.now() - 1, user.user.id)
      .run()
    await expectError(await mfaVerify({ mfa_token: mfaToken, totp: totpCode(user.secret, 1) }), 401, 'invalid_token')
  })

  it('answers a malformed passkey assertion with 400, and wants exactly one factor', async () => {
    const user = await mfaUser()
    const mfaToken = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    await expectError(await mfaVerify({ mfa_token: mfaToken, passkey: { id: 'x' } }), 400, 'validation_error')
    await expectError(await mfaVerify({ mfa_token: mfaToken }), 400, 'validation_error')
    await expectError(
      await mfaVerify({ mfa_token: mfaToken, totp: '123456', recovery_code: user.recovery_codes[0] }),
      400,
      'validation_error',
    )
    expect((await mfaVerify({ mfa_token: mfaToken, totp: totpCode(user.secret, 1) })).status).toBe(200) // none spent an attempt
  })
})

describe('code (SMS) login with MFA on', () => {
  it('consumes the code, opens no session, and answers 403 mfa_required; the second step signs in with amr otp+sms+mfa', async () => {
    const user = await mfaUser(FAST)
    const before = await sessionsOf(user.user.id)
    const sent = await call('POST', `${API}/auth/login`, { json: { phone: user.phone, use_otp: true }, env: FAST, ip: newIp() })
    expect(sent.status).toBe(202)
    const code = box.lastCode(user.phone)
    const verify = () => call('POST', `${API}/auth/verify`, { json: { phone: user.phone, code }, env: FAST })
    const mfaToken = await expectMfaRequired(await verify())
    expect(await sessionsOf(user.user.id)).toBe(before)
    await expectError(await verify(), 400, 'invalid_code') // the code is spent

    const res = await mfaVerify({ mfa_token: mfaToken, totp: totpCode(user.secret, 1) }, FAST)
    expect(res.status).toBe(200)
    expect(claimsOf((await json(res)).access_token).amr).toEqual(['otp', 'sms', 'mfa'])
  })
})

describe('the OAuth password grant with MFA on', () => {
  it('answers 403 { error: mfa_required, mfa_token, error_description }, then /auth/mfa/verify signs in', async () => {
    const user = await mfaUser()
    const res = await token({ grant_type: 'password', username: user.phone, password: PASSWORD })
    expect(res.status).toBe(403)
    expect(res.headers.get('content-type')).toMatch(/^application\/json\b/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await json(res)
    expect(body).toMatchObject({ error: 'mfa_required', methods: ['totp', 'recovery_code'], expires_in: 300 })
    expect(typeof body.error_description).toBe('string')
    expect((await mfaVerify({ mfa_token: body.mfa_token, totp: totpCode(user.secret, 1) })).status).toBe(200)
  })
})

describe('amr and auth_time', () => {
  it('say pwd for a password sign-in and otp+sms for an SMS code, and survive a refresh', async () => {
    const user = await activeUser(box) // signed in by its register code
    const byCode = claimsOf(user.access_token)
    expect(byCode.amr).toEqual(['otp', 'sms'])
    const res = await login({ phone: user.phone, password: PASSWORD })
    const signedIn = await json(res)
    const claims = claimsOf(signedIn.access_token)
    expect(claims.amr).toEqual(['pwd'])
    await new Promise((r) => setTimeout(r, 1100))
    const refreshed = await json(await refresh(signedIn.refresh_token))
    const again = claimsOf(refreshed.access_token)
    expect(again.amr).toEqual(['pwd'])
    expect(again.auth_time).toBe(claims.auth_time)
    expect(again.iat).toBeGreaterThan(claims.iat)
  })

  it('keep mfa across a refresh of a two-factor session', async () => {
    const user = await mfaUser()
    const mfaToken = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    const signedIn = await json(await mfaVerify({ mfa_token: mfaToken, totp: totpCode(user.secret, 1) }))
    const refreshed = await json(await refresh(signedIn.refresh_token))
    expect(claimsOf(refreshed.access_token).amr).toEqual(['pwd', 'otp', 'mfa'])
    expect(claimsOf(refreshed.access_token).auth_time).toBe(claimsOf(signedIn.access_token).auth_time)
  })
})

describe('MFA_REQUIRED_ROLES', () => {
  const REQUIRED = { MFA_REQUIRED_ROLES: 'super_admin,admin' }
  const as = (t: string, method: string, path: string) => call(method, `${API}${path}`, { token: t, env: REQUIRED })

  it('keeps staff without MFA out of staff and admin routes, lets them enrol, and lets them in with MFA', async () => {
    const root = await createSuperAdmin()
    for (const path of ['/users', '/admins', '/policies', '/audit', '/places', `/roles/particulier/policies`]) {
      await expectError(await as(root.access_token, 'GET', path), 403, 'mfa_required')
    }
    expect((await as(root.access_token, 'GET', '/me')).status).toBe(200)
    // Enrolment is reachable; the same token stays out until a sign-in with the second factor.
    const { secret } = await enrolTotp(root.access_token, REQUIRED)
    await expectError(await as(root.access_token, 'GET', '/users'), 403, 'mfa_required')

    const res = await call('POST', `${API}/auth/login`, { json: { username: root.username, password: PASSWORD }, env: REQUIRED })
    const mfaToken = await expectMfaRequired(res)
    const signedIn = await json(await mfaVerify({ mfa_token: mfaToken, totp: totpCode(secret, 1) }, REQUIRED))
    expect(claimsOf(signedIn.access_token).amr).toContain('mfa')
    for (const path of ['/users', '/admins', '/policies', '/audit', '/places']) {
      expect((await as(signedIn.access_token, 'GET', path)).status, path).toBe(200)
    }
  })

  it('leaves roles outside the list alone, and everyone alone when empty', async () => {
    const root = await createSuperAdmin()
    const client = await createStaff(root, 'client')
    expect((await as(client.access_token, 'GET', '/subclients')).status).toBe(200)
    expect((await call('GET', `${API}/users`, { token: root.access_token })).status).toBe(200)
  })

  it('stops an admin without MFA from acting (403 before anything changes)', async () => {
    const root = await createSuperAdmin()
    const admin = await createStaff(root, 'admin')
    const res = await call('POST', `${API}/clients`, {
      token: admin.access_token,
      json: { username: `c${Date.now().toString(36)}`, password: PASSWORD },
      env: REQUIRED,
    })
    await expectError(res, 403, 'mfa_required')
    expect((await staffLogin(admin.username)).role).toBe('admin') // signing in still works
  })
})

describe('user pools', () => {
  const POOLS = { USER_POOLS: JSON.stringify({ riders: {} }) }
  it("refuses a pool's mfa_token on another pool's routes", async () => {
    const phone = newPhone()
    const reg = await call('POST', `${API}/pools/riders/auth/register`, {
      json: { phone, password: PASSWORD },
      env: POOLS,
      ip: newIp(),
    })
    expect(reg.status).toBe(201)
    const verified = await json(
      await call('POST', `${API}/pools/riders/auth/verify`, { json: { phone, code: box.lastCode(phone) }, env: POOLS }),
    )
    const started = await json(
      await call('POST', `${API}/pools/riders/me/mfa/totp`, { token: verified.access_token, env: POOLS }),
    )
    const confirmed = await call('POST', `${API}/pools/riders/me/mfa/totp/confirm`, {
      token: verified.access_token,
      json: { code: totpCode(started.secret) },
      env: POOLS,
    })
    expect(confirmed.status).toBe(200)
    const res = await call('POST', `${API}/pools/riders/auth/login`, {
      json: { phone, password: PASSWORD },
      env: POOLS,
      ip: newIp(),
    })
    const mfaToken = await expectMfaRequired(res)
    await expectError(await mfaVerify({ mfa_token: mfaToken, totp: totpCode(started.secret, 1) }, POOLS), 401, 'invalid_token')
    const ok = await mfaVerify(
      { mfa_token: mfaToken, totp: totpCode(started.secret, 1) },
      POOLS,
      `${API}/pools/riders/auth/mfa/verify`,
    )
    expect(ok.status).toBe(200)
    expect(claimsOf((await json(ok)).access_token)).toMatchObject({ pool: 'riders', amr: ['pwd', 'otp', 'mfa'] })
  })
})
