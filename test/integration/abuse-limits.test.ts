import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { PROVIDER_TIMEOUT_MS } from '../../src/providers/delivery'
import { ipBucket } from '../../src/services/limits'
import { call, expectError, json } from '../helpers/app'
import { login, newEmail, newPhone, PASSWORD, register } from '../helpers/factories'
import { useFakeFetch } from '../helpers/fake-fetch'
import { auditOfType, counter, frMobile, resetSmsCounters, retryAfter, tnMobile, tnPrefix } from '../helpers/limits'
import { expectOAuthError } from '../helpers/oauth'
import { activeUser, challengesOf, newIp, otpKey, verify } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { codeIn, TWILIO } from '../helpers/sms'

const box = useOutbox({ quietErrors: true })

async function usersWithPhone(phone: string): Promise<number> {
  return (await env.DB.prepare('SELECT count(*) AS n FROM users WHERE phone = ?').bind(phone).first<number>('n')) ?? 0
}

/** A limited answer: the spec's 429 `rate_limited` body and a Retry-After within (0, max] seconds. */
async function expectRateLimited(res: Response, maxSeconds: number) {
  const body = await expectError(res, 429, 'rate_limited')
  const seconds = retryAfter(res)
  expect(seconds).toBeGreaterThan(0)
  expect(seconds).toBeLessThanOrEqual(maxSeconds)
  return body
}

/** The token endpoint's 429: RFC 6749's shape (SPEC §6.1), `slow_down`, with Retry-After. */
async function expectTokenRateLimited(res: Response, maxSeconds: number) {
  const body = await expectOAuthError(res, 429, 'slow_down')
  expect(body.error_description).toMatch(/from this address/)
  const seconds = retryAfter(res)
  expect(seconds).toBeGreaterThan(0)
  expect(seconds).toBeLessThanOrEqual(maxSeconds)
}

const DAY = 86_400

describe('SMS range limits (SMS pumping)', () => {
  beforeEach(resetSmsCounters)

  it('caps texts per number prefix: the third number of one range gets 429, another range still works', async () => {
    const vars = { SMS_PREFIX_DAILY_LIMIT: '2' }
    const prefix = tnPrefix()
    const [a, b, c] = ['0001', '0002', '0003'].map((end) => `${prefix}${end}`) as [string, string, string]
    expect((await register({ phone: a }, { env: vars })).status).toBe(201)
    expect((await register({ phone: b }, { env: vars })).status).toBe(201)

    const third = await register({ phone: c }, { env: vars })
    const body = await expectRateLimited(third, DAY)
    expect(body.detail).toMatch(/numbers like this one/)
    // Refused before anything was created or sent.
    expect(box.to(c)).toHaveLength(0)
    expect(await usersWithPhone(c)).toBe(0)
    expect(await challengesOf(c)).toHaveLength(0)
    // The daily SMS budget counts the two texts sent, not the refused one.
    expect(await counter('sms:budget')).toBe(2)

    let other = tnMobile()
    while (other.slice(0, -4) === prefix) other = tnMobile()
    expect((await register({ phone: other }, { env: vars })).status).toBe(201)
    expect(box.to(other)).toHaveLength(1)
  })

  it('applies the prefix cap to background sends too (login codes), still answering 202', async () => {
    const vars = { SMS_PREFIX_DAILY_LIMIT: '2' }
    const prefix = tnPrefix()
    for (const end of ['0001', '0002']) {
      const res = await call('POST', '/api/v1/auth/reset-password', {
        json: { phone: `${prefix}${end}` },
        env: vars,
        ip: newIp(),
      })
      expect(res.status).toBe(202)
    }
    const res = await call('POST', '/api/v1/auth/reset-password', { json: { phone: `${prefix}0003` }, env: vars, ip: newIp() })
    await expectRateLimited(res, DAY)
  })

  it('caps texts per country: the third Tunisian number gets 429, a French mobile still works', async () => {
    const vars = { SMS_COUNTRY_DAILY_LIMIT: '2' }
    const phones = [tnMobile(), tnMobile(), tnMobile()] as [string, string, string]
    expect(new Set(phones.map((p) => p.slice(0, -4))).size).toBe(3)
    expect((await register({ phone: phones[0] }, { env: vars })).status).toBe(201)
    expect((await register({ phone: phones[1] }, { env: vars })).status).toBe(201)

    const body = await expectRateLimited(await register({ phone: phones[2] }, { env: vars }), DAY)
    expect(body.detail).toMatch(/numbers like this one/)
    expect(box.to(phones[2])).toHaveLength(0)
    expect(await usersWithPhone(phones[2])).toBe(0)

    const french = frMobile()
    expect((await register({ phone: french }, { env: vars })).status).toBe(201)
    expect(box.to(french)).toHaveLength(1)
    expect(await counter('sms:country:FR')).toBe(1)
  })

  it('charges the range counters only for a send that was reserved (not one refused by cooldown or per-IP cap)', async () => {
    const prefix = tnPrefix()
    const phone = `${prefix}0001`
    const ip = newIp()
    expect((await register({ phone }, { ip })).status).toBe(201)
    await expectError(await register({ phone }, { ip: newIp() }), 429, 'otp_cooldown')
    expect(await counter(`sms:prefix:${prefix}`)).toBe(1)

    const capped = { OTP_SENDS_PER_IP_PER_HOUR: '1' }
    await expectRateLimited(await register({ phone: `${prefix}0002` }, { env: capped, ip }), 3600)
    expect(await counter(`sms:prefix:${prefix}`)).toBe(1)
    expect(await challengesOf(`${prefix}0002`)).toHaveLength(0)
  })

  it('releases the destination reservation of a range-limited send: no cooldown is charged', async () => {
    const vars = { SMS_PREFIX_DAILY_LIMIT: '1' }
    const prefix = tnPrefix()
    expect((await register({ phone: `${prefix}0001` }, { env: vars })).status).toBe(201)
    const blocked = `${prefix}0002`
    await expectRateLimited(await register({ phone: blocked }, { env: vars }), DAY)
    // A new day for the ranges: the number is not held back by an otp_cooldown it never used.
    await resetSmsCounters()
    expect((await register({ phone: blocked }, { env: vars })).status).toBe(201)
  })
})

describe('per-IP send limit', () => {
  it('refuses a third code from one address within the hour (429 with Retry-After), another address still works', async () => {
    const vars = { OTP_SENDS_PER_IP_PER_HOUR: '2' }
    const ip = newIp()
    expect((await register({ phone: newPhone() }, { env: vars, ip })).status).toBe(201)
    expect((await register({ phone: newPhone() }, { env: vars, ip })).status).toBe(201)
    const phone = newPhone()
    const body = await expectRateLimited(await register({ phone }, { env: vars, ip }), 3600)
    expect(body.detail).toMatch(/from this address/)
    expect(retryAfter(await register({ phone: newPhone() }, { env: vars, ip }))).toBeGreaterThan(3500)
    expect(box.to(phone)).toHaveLength(0)

    expect((await register({ phone }, { env: vars, ip: newIp() })).status).toBe(201)
  })

  it('counts background sends (login codes, resets) against the same per-IP limit', async () => {
    const vars = { OTP_SENDS_PER_IP_PER_HOUR: '2' }
    const ip = newIp()
    const login = (phone: string) => call('POST', '/api/v1/auth/login', { json: { phone, use_otp: true }, env: vars, ip })
    expect((await login(newPhone())).status).toBe(202)
    expect((await call('POST', '/api/v1/auth/reset-password', { json: { phone: newPhone() }, env: vars, ip })).status).toBe(202)
    await expectRateLimited(await login(newPhone()), 3600)
  })
})

describe('global daily SMS budget (circuit breaker)', () => {
  beforeEach(resetSmsCounters)
  const BUDGET = { SMS_DAILY_BUDGET: '2', OTP_RESEND_COOLDOWN_SECONDS: '0' }

  it('answers 503 sms_delivery_failed once the budget is spent, audits it, sends nothing and leaves no code', async () => {
    expect((await register({ phone: newPhone() }, { env: BUDGET })).status).toBe(201)
    expect((await register({ phone: newPhone() }, { env: BUDGET })).status).toBe(201)
    const before = (await auditOfType('sms_budget_exhausted')).length

    const phone = newPhone()
    const res = await register({ phone }, { env: BUDGET })
    const body = await expectError(res, 503, 'sms_delivery_failed')
    expect(body.detail).toMatch(/paused/i)
    expect(body.detail).toMatch(/daily budget/i)
    expect(retryAfter(res)).toBeGreaterThan(0)
    expect(retryAfter(res)).toBeLessThanOrEqual(DAY)

    // Not texted, no code left valid, no open challenge.
    expect(box.to(phone)).toHaveLength(0)
    expect(await env.KV.get(otpKey('register', phone))).toBeNull()
    expect((await challengesOf(phone)).filter((r) => r.closed_at === null)).toHaveLength(0)
    await expectError(await verify(phone, '000000', BUDGET), 400, 'invalid_code')

    const audits = await auditOfType('sms_budget_exhausted')
    expect(audits).toHaveLength(before + 1)
    expect(audits.at(-1)?.detail).toEqual({ budget: 2 })
    // The refused send is not counted: the counter stays at the budget.
    expect(await counter('sms:budget')).toBe(2)
    expect(box.errorLines().join('\n')).toMatch(/sms daily budget exhausted/)
  })

  it('keeps email registration working while texts are paused', async () => {
    expect((await register({ phone: newPhone() }, { env: BUDGET })).status).toBe(201)
    expect((await register({ phone: newPhone() }, { env: BUDGET })).status).toBe(201)
    await expectError(await register({ phone: newPhone() }, { env: BUDGET }), 503, 'sms_delivery_failed')

    const email = newEmail()
    const res = await register({ email }, { env: BUDGET })
    expect(res.status).toBe(201)
    expect((await json(res)).channel).toBe('email')
    expect(box.lastCode(email)).toMatch(/^\d{6}$/)
  })

  it('keeps no charge for a background request that sends nothing (an unknown phone)', async () => {
    for (const path of ['/api/v1/auth/reset-password', '/api/v1/auth/login']) {
      const phone = newPhone()
      const json = path.endsWith('login') ? { phone, use_otp: true } : { phone }
      const res = await call('POST', path, { json, env: { ...BUDGET, OTP_SIGNUP: 'false' }, ip: newIp() })
      expect(res.status).toBe(202)
      expect(box.to(phone)).toHaveLength(0)
    }
    expect(await counter('sms:budget')).toBe(0)
    expect((await register({ phone: newPhone() }, { env: BUDGET })).status).toBe(201)
    expect((await register({ phone: newPhone() }, { env: BUDGET })).status).toBe(201)
    expect(await counter('sms:budget')).toBe(2)
  })

  it('trips for background sends too: a reset still answers 202, sends nothing and is audited', async () => {
    const user = await activeUser(box, { env: BUDGET })
    expect((await register({ phone: newPhone() }, { env: BUDGET })).status).toBe(201)
    const before = (await auditOfType('sms_budget_exhausted')).length
    const sent = box.to(user.phone).length

    const res = await call('POST', '/api/v1/auth/reset-password', { json: { phone: user.phone }, env: BUDGET, ip: newIp() })
    expect(res.status).toBe(202)
    expect(box.to(user.phone)).toHaveLength(sent)
    expect(await env.KV.get(otpKey('reset', user.phone))).toBeNull()
    expect(await auditOfType('sms_budget_exhausted')).toHaveLength(before + 1)
  })
})

describe('ALLOWED_COUNTRIES (default-deny)', () => {
  const TN_ONLY = { ALLOWED_COUNTRIES: 'TN' }

  it('refuses numbers of other countries everywhere a code could be sent, before any send', async () => {
    const french = frMobile()
    await expectError(await register({ phone: french }, { env: TN_ONLY }), 400, 'phone_country_not_allowed')
    const login = await call('POST', '/api/v1/auth/login', { json: { phone: french, use_otp: true }, env: TN_ONLY, ip: newIp() })
    await expectError(login, 400, 'phone_country_not_allowed')
    const reset = await call('POST', '/api/v1/auth/reset-password', { json: { phone: french }, env: TN_ONLY, ip: newIp() })
    await expectError(reset, 400, 'phone_country_not_allowed')
    expect(box.to(french)).toHaveLength(0)
    expect(await usersWithPhone(french)).toBe(0)
    expect(await challengesOf(french)).toHaveLength(0)
  })

  it('accepts the allowed country', async () => {
    const phone = newPhone()
    expect((await register({ phone }, { env: TN_ONLY })).status).toBe(201)
    expect(box.to(phone)).toHaveLength(1)
  })
})

describe('ipBucket', () => {
  it('keeps IPv4 addresses as they are and counts IPv6 addresses by their /64', () => {
    expect(ipBucket('198.51.100.7')).toBe('198.51.100.7')
    expect(ipBucket('::ffff:198.51.100.7')).toBe('198.51.100.7')
    expect(ipBucket('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64')
    expect(ipBucket('2001:0DB8:0001:0002:0000:0000:0000:0001')).toBe('2001:db8:1:2::/64')
    expect(ipBucket('2001:db8:1:2:ffff:1:2:3')).toBe('2001:db8:1:2::/64')
    expect(ipBucket('2001:db8::')).toBe('2001:db8:0:0::/64')
    expect(ipBucket('2001:db8::1:2:3:4:5')).toBe('2001:db8:0:1::/64')
    expect(ipBucket('::1')).toBe('0:0:0:0::/64')
    expect(ipBucket('unknown')).toBe('unknown')
  })
})

describe('per-IP request limits on credential endpoints', () => {
  const LIMIT = { AUTH_REQUESTS_PER_IP_PER_MINUTE: '3' }
  const post = (path: string, json: unknown, ip: string) => call('POST', `/api/v1/auth/${path}`, { json, env: LIMIT, ip })
  const token = (form: Record<string, string>, ip: string) =>
    call('POST', '/api/v1/auth/token', {
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      env: LIMIT,
      ip,
    })

  it('POST /login: the 4th request from one address gets 429 with Retry-After; another address is not affected', async () => {
    const ip = newIp()
    const phone = newPhone()
    for (let i = 0; i < 3; i++)
      await expectError(await post('login', { phone, password: 'Wrong-Pass-123' }, ip), 401, 'invalid_credentials')
    const body = await expectRateLimited(await post('login', { phone, password: 'Wrong-Pass-123' }, ip), 60)
    expect(body.detail).toMatch(/from this address/)
    await expectError(await post('login', { phone, password: 'Wrong-Pass-123' }, newIp()), 401, 'invalid_credentials')
  })

  it('POST /login: a malformed body is refused before any storage call, so it uses up no budget', async () => {
    const ip = newIp()
    for (let i = 0; i < 5; i++) await expectError(await post('login', { nonsense: true }, ip), 400, 'validation_error')
    expect(await counter(`req:login:${ip}`)).toBe(0)
    await expectError(await post('login', { phone: newPhone(), password: 'Wrong-Pass-123' }, ip), 401, 'invalid_credentials')
  })

  it('POST /login (use_otp): over the limit, no code is reserved and no send counter is charged', async () => {
    const ip = newIp()
    const phones = Array.from({ length: 4 }, () => frMobile())
    for (const phone of phones.slice(0, 3)) expect((await post('login', { phone, use_otp: true }, ip)).status).toBe(202)
    await expectRateLimited(await post('login', { phone: phones[3], use_otp: true }, ip), 60)
    expect(await challengesOf(phones[3] as string)).toEqual([])
    expect(await counter(`otp-send:ip:${ip}`)).toBe(3)
    expect(await counter(`req:login:${ip}`)).toBe(4)
  })

  it('POST /login (use_otp) and with a password count together', async () => {
    const ip = newIp()
    for (let i = 0; i < 3; i++) expect((await post('login', { phone: frMobile(), use_otp: true }, ip)).status).toBe(202)
    await expectRateLimited(await post('login', { phone: newPhone(), password: 'Wrong-Pass-123' }, ip), 60)
  })

  it('POST /verify', async () => {
    const ip = newIp()
    const phone = newPhone()
    for (let i = 0; i < 3; i++) await expectError(await post('verify', { phone, code: '123456' }, ip), 400, 'invalid_code')
    await expectRateLimited(await post('verify', { phone, code: '123456' }, ip), 60)
    await expectError(await post('verify', { phone, code: '123456' }, newIp()), 400, 'invalid_code')
  })

  it('POST /confirm-reset', async () => {
    const ip = newIp()
    const phone = newPhone()
    const body = { phone, code: '123456', new_password: 'Carthage-Vent7-2027' }
    for (let i = 0; i < 3; i++) await expectError(await post('confirm-reset', body, ip), 400, 'invalid_code')
    await expectRateLimited(await post('confirm-reset', body, ip), 60)
    await expectError(await post('confirm-reset', body, newIp()), 400, 'invalid_code')
  })

  it('POST /reset-password', async () => {
    const ip = newIp()
    for (let i = 0; i < 3; i++) expect((await post('reset-password', { phone: newPhone() }, ip)).status).toBe(202)
    const phone = newPhone()
    await expectRateLimited(await post('reset-password', { phone }, ip), 60)
    expect(await challengesOf(phone)).toEqual([]) // over the limit, nothing was reserved
    expect((await post('reset-password', { phone }, newIp())).status).toBe(202)
  })

  it('POST /token: RFC 6749 errors until the limit, then an RFC 6749 429 slow_down with Retry-After', async () => {
    const ip = newIp()
    const form = { grant_type: 'password', username: newPhone(), password: 'Wrong-Pass-123' }
    for (let i = 0; i < 3; i++) {
      const res = await token(form, ip)
      expect(res.status).toBe(400)
      expect(await json(res)).toMatchObject({ error: 'invalid_grant' })
    }
    await expectTokenRateLimited(await token(form, ip), 60)
    const other = await token(form, newIp())
    expect(other.status).toBe(400)
    expect(await json(other)).toMatchObject({ error: 'invalid_grant' })
  })

  it('counts /login and /token together: switching endpoint does not reset the budget', async () => {
    const ip = newIp()
    for (let i = 0; i < 3; i++)
      await expectError(await post('login', { phone: newPhone(), password: 'Wrong-Pass-123' }, ip), 401, 'invalid_credentials')
    await expectTokenRateLimited(await token({ grant_type: 'password', username: newPhone(), password: 'x' }, ip), 60)
  })

  it('counts an IPv6 client by its /64: rotating addresses inside it does not reset the budget', async () => {
    const net = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:7`
    const addresses = [`${net}::1`, `${net}::2`, `${net}:ffff:0:0:3`]
    for (const ip of addresses) {
      await expectError(await post('login', { phone: newPhone(), password: 'Wrong-Pass-123' }, ip), 401, 'invalid_credentials')
    }
    await expectRateLimited(await post('login', { phone: newPhone(), password: 'Wrong-Pass-123' }, `${net}:abcd::9`), 60)
    // The neighbouring /64 is someone else.
    const res = await post('login', { phone: newPhone(), password: 'Wrong-Pass-123' }, `${net.slice(0, -1)}8::1`)
    await expectError(res, 401, 'invalid_credentials')
  })

  it('does not limit registration or other endpoints through the credential budget', async () => {
    const ip = newIp()
    for (let i = 0; i < 4; i++) await post('login', { phone: newPhone(), password: 'Wrong-Pass-123' }, ip)
    expect((await post('register', { phone: newPhone(), password: PASSWORD }, ip)).status).toBe(201)
  })
})

describe('password-login lockout per identifier', () => {
  const LOCK = { LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_LOCKOUT_MAX_MINUTES: '3', OTP_RESEND_COOLDOWN_SECONDS: '0' }
  const WRONG = 'Wrong-Pass-123'

  async function fail(phone: string) {
    await expectError(await login({ phone, password: WRONG }, { env: LOCK }), 401, 'invalid_credentials')
  }

  async function failuresRow(phone: string) {
    return env.DB.prepare('SELECT failures, locked_until FROM login_failures WHERE identifier = ?')
      .bind(`sms:${phone}`)
      .first<{ failures: number; locked_until: number }>()
  }

  /** Lets the current lock run out, as if its time had passed. */
  async function expireLock(phone: string) {
    await env.DB.prepare('UPDATE login_failures SET locked_until = ? WHERE identifier = ?')
      .bind(Date.now() - 1000, `sms:${phone}`)
      .run()
  }

  async function expectLocked(phone: string, minutes: number) {
    const res = await login({ phone, password: PASSWORD }, { env: LOCK })
    const body = await expectError(res, 429, 'rate_limited')
    const seconds = retryAfter(res)
    expect(seconds).toBeGreaterThan(minutes * 60 - 10)
    expect(seconds).toBeLessThanOrEqual(minutes * 60)
    return body
  }

  it('refuses even the right password after 3 failures, with Retry-After ≈ 60 s; an unknown phone locks the same way', async () => {
    const user = await activeUser(box, { env: LOCK })
    for (let i = 0; i < 3; i++) await fail(user.phone)
    const known = await expectLocked(user.phone, 1)
    expect(known.detail).toMatch(/Too many failed logins/)
    expect(await failuresRow(user.phone)).toMatchObject({ failures: 3 })

    const stranger = newPhone()
    const bodies = []
    for (let i = 0; i < 3; i++) {
      const res = await login({ phone: stranger, password: WRONG }, { env: LOCK })
      bodies.push(await expectError(res, 401, 'invalid_credentials'))
    }
    const unknown = await expectLocked(stranger, 1)
    // Same answer whether or not the account exists.
    expect(unknown.detail).toBe(known.detail)
    expect(bodies[0].detail).toBe(
      (await expectError(await login({ phone: newPhone(), password: WRONG }, { env: LOCK }), 401, 'invalid_credentials')).detail,
    )
  })

  it('does not count attempts refused by the per-IP request limit as failures', async () => {
    const user = await activeUser(box, { env: LOCK })
    const ip = newIp()
    const limited = { ...LOCK, AUTH_REQUESTS_PER_IP_PER_MINUTE: '1' }
    const from = () => call('POST', '/api/v1/auth/login', { json: { phone: user.phone, password: WRONG }, env: limited, ip })
    await expectError(await from(), 401, 'invalid_credentials')
    for (let i = 0; i < 3; i++) await expectError(await from(), 429, 'rate_limited')
    expect(await failuresRow(user.phone)).toMatchObject({ failures: 1, locked_until: 0 })
  })

  it('does not count refused (locked) attempts as failures', async () => {
    const user = await activeUser(box, { env: LOCK })
    for (let i = 0; i < 3; i++) await fail(user.phone)
    for (let i = 0; i < 3; i++) await expectLocked(user.phone, 1)
    expect(await failuresRow(user.phone)).toMatchObject({ failures: 3 })
  })

  it('never blocks OTP login: use_otp answers 202 and the code signs in', async () => {
    const user = await activeUser(box, { env: LOCK })
    for (let i = 0; i < 3; i++) await fail(user.phone)
    await expectLocked(user.phone, 1)

    const res = await login({ phone: user.phone, use_otp: true }, { env: LOCK })
    expect(res.status).toBe(202)
    const signedIn = await verify(user.phone, box.lastCode(user.phone), LOCK)
    expect(signedIn.status).toBe(200)
    expect((await json(signedIn)).access_token).toEqual(expect.any(String))
  })

  it('never blocks a password reset', async () => {
    const user = await activeUser(box, { env: LOCK })
    for (let i = 0; i < 3; i++) await fail(user.phone)
    await expectLocked(user.phone, 1)

    const res = await call('POST', '/api/v1/auth/reset-password', { json: { phone: user.phone }, env: LOCK, ip: newIp() })
    expect(res.status).toBe(202)
    const confirm = await call('POST', '/api/v1/auth/confirm-reset', {
      json: { phone: user.phone, code: box.lastCode(user.phone), new_password: 'Carthage-Vent7-2027' },
      env: LOCK,
      ip: newIp(),
    })
    expect(confirm.status).toBe(200)
  })

  it('doubles the lock after each further failure (1, 2, then capped at LOGIN_LOCKOUT_MAX_MINUTES=3)', async () => {
    const user = await activeUser(box, { env: LOCK })
    for (let i = 0; i < 3; i++) await fail(user.phone)
    await expectLocked(user.phone, 1)

    await expireLock(user.phone)
    await fail(user.phone)
    await expectLocked(user.phone, 2)

    await expireLock(user.phone)
    await fail(user.phone)
    await expectLocked(user.phone, 3) // 4 minutes, capped at 3

    await expireLock(user.phone)
    await fail(user.phone)
    await expectLocked(user.phone, 3)
    expect(await failuresRow(user.phone)).toMatchObject({ failures: 6 })
  })

  it('clears the streak on a successful login', async () => {
    const user = await activeUser(box, { env: LOCK })
    for (let i = 0; i < 3; i++) await fail(user.phone)
    await expectLocked(user.phone, 1)
    await expireLock(user.phone)

    expect((await login({ phone: user.phone, password: PASSWORD }, { env: LOCK })).status).toBe(200)
    expect(await failuresRow(user.phone)).toBeNull()
    // Had the streak survived, this failure (the 4th) would lock for 2 minutes.
    await fail(user.phone)
    expect((await login({ phone: user.phone, password: PASSWORD }, { env: LOCK })).status).toBe(200)
  })

  it('locks usernames the same way (staff logins)', async () => {
    const username = `nobody${Date.now().toString(36)}`
    for (let i = 0; i < 3; i++)
      await expectError(await login({ username, password: WRONG }, { env: LOCK }), 401, 'invalid_credentials')
    const res = await login({ username, password: WRONG }, { env: LOCK })
    await expectError(res, 429, 'rate_limited')
    expect(retryAfter(res)).toBeGreaterThan(50)
  })
})

const WITH_FALLBACK = {
  ...TWILIO,
  SMS_FALLBACK_PROVIDER: 'vonage',
  VONAGE_API_BASE: 'https://vonage.test',
  VONAGE_API_KEY: 'vkey',
  VONAGE_API_SECRET: 'vsecret',
  VONAGE_FROM: 'EdgeAuth',
}

const vonageAccepted = () => Response.json({ 'message-count': '1', messages: [{ status: '0', 'message-id': 'm1' }] })

describe('provider failure', () => {
  const twilio = useFakeFetch('https://twilio.test')
  // Installed second, it passes other origins on to the Twilio fake.
  const vonage = useFakeFetch('https://vonage.test', vonageAccepted)

  it('refunds the daily budget when the provider fails', async () => {
    const before = await counter('sms:budget')
    twilio.reply(500, 500)
    await expectError(await register({ phone: newPhone() }, { env: TWILIO }), 503, 'sms_delivery_failed')
    expect(twilio.requests).toHaveLength(2)
    expect(await counter('sms:budget')).toBe(before)

    expect((await register({ phone: newPhone() }, { env: TWILIO })).status).toBe(201)
    expect(await counter('sms:budget')).toBe(before + 1)
  })

  // A provider outage must not eat the day's range allowance: failed sends give back their
  // prefix and country hits as well as their budget.
  it('does not charge the prefix cap for sends that failed', async () => {
    await resetSmsCounters()
    const vars = { ...TWILIO, SMS_PREFIX_DAILY_LIMIT: '2' }
    const prefix = tnPrefix()
    twilio.reply(500, 500, 500, 500)
    await expectError(await register({ phone: `${prefix}0001` }, { env: vars }), 503, 'sms_delivery_failed')
    await expectError(await register({ phone: `${prefix}0002` }, { env: vars }), 503, 'sms_delivery_failed')
    expect((await register({ phone: `${prefix}0003` }, { env: vars })).status).toBe(201)
  })

  it('falls back to SMS_FALLBACK_PROVIDER after the primary fails twice; the fallback’s code verifies', async () => {
    const budget = await counter('sms:budget')
    const phone = newPhone()
    twilio.reply(500, 500)
    const res = await register({ phone }, { env: WITH_FALLBACK })
    expect(res.status).toBe(201)
    expect(twilio.requests).toHaveLength(2)
    expect(vonage.requests).toHaveLength(1)
    const form = vonage.requests[0]?.form
    expect(form?.get('to')).toBe(phone.slice(1))
    expect(form?.get('api_key')).toBe('vkey')
    const code = codeIn(form?.get('text'))
    // One text delivered, one unit of budget.
    expect(await counter('sms:budget')).toBe(budget + 1)
    expect(await auditOfType('sms_fallback_used')).toContainEqual(
      expect.objectContaining({ detail: { provider: 'twilio', fallback: 'vonage', purpose: 'register' } }),
    )
    const verified = await verify(phone, code, WITH_FALLBACK)
    expect(verified.status).toBe(200)
  })

  it('does not use the fallback when the primary succeeds', async () => {
    expect((await register({ phone: newPhone() }, { env: WITH_FALLBACK })).status).toBe(201)
    expect(twilio.requests).toHaveLength(1)
    expect(vonage.requests).toHaveLength(0)
  })

  it('answers 503 and leaves no valid code when both providers fail', async () => {
    const budget = await counter('sms:budget')
    const phone = newPhone()
    twilio.reply(500, 500)
    vonage.reply(500, () => Response.json({ messages: [{ status: '4', 'error-text': 'Bad Credentials vsecret' }] }))
    const body = await expectError(await register({ phone }, { env: WITH_FALLBACK }), 503, 'sms_delivery_failed')
    expect(JSON.stringify(body)).not.toMatch(/vsecret|Bad Credentials/)
    expect(twilio.requests).toHaveLength(2)
    expect(vonage.requests).toHaveLength(2)
    expect(await env.KV.get(otpKey('register', phone))).toBeNull()
    expect((await challengesOf(phone)).filter((r) => r.closed_at === null)).toHaveLength(0)
    expect(await counter('sms:budget')).toBe(budget)
    for (const text of [twilio.requests[0]?.form.get('Body'), vonage.requests[1]?.form.get('text')]) {
      await expectError(await verify(phone, codeIn(text), WITH_FALLBACK), 400, 'invalid_code')
    }
  })

  it('times out a provider that never answers: each attempt gets a 5 s AbortSignal, and the abort counts as a failure', async () => {
    // The real timeout would take 2 × 5 s: record the requested duration and fire the signal at once.
    const durations: number[] = []
    const spy = vi.spyOn(AbortSignal, 'timeout').mockImplementation((ms: number) => {
      durations.push(ms)
      const controller = new AbortController()
      setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), 5)
      return controller.signal
    })
    try {
      const states: boolean[] = []
      // A provider that hangs forever, but honours the request's signal as fetch does.
      const hang = () =>
        new Promise<Response>((_, reject) => {
          const signal = twilio.requests.at(-1)?.signal
          if (!signal) return reject(new Error('no AbortSignal was passed to fetch'))
          states.push(signal.aborted)
          signal.addEventListener('abort', () => reject(signal.reason))
        })
      twilio.reply(hang, hang)
      const phone = newPhone()
      await expectError(await register({ phone }, { env: TWILIO }), 503, 'sms_delivery_failed')
      expect(twilio.requests).toHaveLength(2)
      for (const req of twilio.requests) expect(req.signal).toBeInstanceOf(AbortSignal)
      expect(states).toEqual([false, false])
      expect(durations).toEqual([PROVIDER_TIMEOUT_MS, PROVIDER_TIMEOUT_MS])
      expect(PROVIDER_TIMEOUT_MS).toBe(5000)
      expect(await env.KV.get(otpKey('register', phone))).toBeNull()
    } finally {
      spy.mockRestore()
    }
  })

  it('treats an AbortError like any other failure: the fallback is tried', async () => {
    const abort = () => Promise.reject(new DOMException('The operation was aborted', 'AbortError'))
    twilio.reply(abort, abort)
    const phone = newPhone()
    expect((await register({ phone }, { env: WITH_FALLBACK })).status).toBe(201)
    expect(twilio.requests).toHaveLength(2)
    expect(vonage.requests).toHaveLength(1)
    expect((await verify(phone, codeIn(vonage.requests[0]?.form.get('text')), WITH_FALLBACK)).status).toBe(200)
  })
})
