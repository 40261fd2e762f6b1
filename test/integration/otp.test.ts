import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { PASSWORD } from '../helpers/factories'
import { retryAfter } from '../helpers/limits'
import { activeUser, challengesOf, newIp, otpKey, registerPending, requestReset, verify, wrongCode } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'

const box = useOutbox()

const NO_COOLDOWN = { OTP_RESEND_COOLDOWN_SECONDS: '0' }
const NEW_PASSWORD = 'Carthage-Vent7-2027'

describe('attempts per code', () => {
  it('evaluates at most three of twenty concurrent wrong guesses and kills the code', async () => {
    const { phone, code } = await registerPending(box)
    const bad = wrongCode(code)
    const responses = await Promise.all(Array.from({ length: 20 }, () => verify(phone, bad)))

    const bodies = await Promise.all(responses.map((r) => r.clone().json() as Promise<{ error: string }>))
    const invalid = responses.filter((r, i) => r.status === 400 && bodies[i]?.error === 'invalid_code')
    const tooMany = responses.filter((r, i) => r.status === 429 && bodies[i]?.error === 'too_many_attempts')
    expect(invalid).toHaveLength(3)
    expect(tooMany).toHaveLength(17)
    for (const r of invalid) await expectError(r, 400, 'invalid_code')
    for (const r of tooMany) await expectError(r, 429, 'too_many_attempts')

    const [row] = await challengesOf(phone)
    expect(row).toMatchObject({ purpose: 'register', attempts: 3, failures: 3, max_attempts: 3 })

    await expectError(await verify(phone, code), 429, 'too_many_attempts')
  })

  it('refuses the right code after three sequential wrong guesses', async () => {
    const { phone, code } = await registerPending(box)
    for (let i = 0; i < 3; i++) await expectError(await verify(phone, wrongCode(code)), 400, 'invalid_code')
    const refused = await verify(phone, code)
    await expectError(refused, 429, 'too_many_attempts')
    // Retry-After: until a new code may be asked for (the 60 s resend cooldown from the send).
    expect(retryAfter(refused)).toBeGreaterThanOrEqual(50)
    expect(retryAfter(refused)).toBeLessThanOrEqual(60)
    const status = await env.DB.prepare('SELECT status FROM users WHERE phone = ?').bind(phone).first('status')
    expect(status).toBe('pending')
  })

  it('accepts the right code after two wrong guesses', async () => {
    const { phone, code } = await registerPending(box)
    for (let i = 0; i < 2; i++) await expectError(await verify(phone, wrongCode(code)), 400, 'invalid_code')
    expect((await verify(phone, code)).status).toBe(200)
    // The right guess is not counted against the day's failures.
    expect(await challengesOf(phone)).toMatchObject([{ attempts: 3, failures: 2, closed_at: expect.any(Number) }])
  })
})

describe('binding of a code to its purpose and destination', () => {
  it('does not accept a register code at /confirm-reset', async () => {
    const { phone, code } = await registerPending(box)
    const res = await call('POST', '/api/v1/auth/confirm-reset', { json: { phone, code, new_password: NEW_PASSWORD } })
    await expectError(res, 400, 'invalid_code')
    // The refused use did not harm the code for its own purpose.
    expect((await verify(phone, code)).status).toBe(200)
  })

  it('does not accept a reset code at /verify', async () => {
    const { phone } = await activeUser(box, { env: NO_COOLDOWN })
    expect((await requestReset(phone, NO_COOLDOWN)).status).toBe(202)
    const code = box.lastCode(phone)
    expect(box.to(phone).at(-1)?.text).toMatch(/password reset code/)

    await expectError(await verify(phone, code, NO_COOLDOWN), 400, 'invalid_code')
    const reset = await call('POST', '/api/v1/auth/confirm-reset', {
      json: { phone, code, new_password: NEW_PASSWORD },
      env: NO_COOLDOWN,
    })
    expect(reset.status).toBe(200)
  })

  it('does not accept the code of phone A for phone B', async () => {
    const a = await registerPending(box)
    const b = await registerPending(box)
    expect(a.code).not.toBe(b.code)
    await expectError(await verify(b.phone, a.code), 400, 'invalid_code')
    expect((await verify(a.phone, a.code)).status).toBe(200)
    expect((await verify(b.phone, b.code)).status).toBe(200)
  })
})

describe('single use and expiry', () => {
  it('refuses a register code the second time, even when KV still serves its entry', async () => {
    const { phone, code } = await registerPending(box)
    const key = otpKey('register', phone)
    const stale = await env.KV.get(key)
    expect(stale).not.toBeNull()

    expect((await verify(phone, code)).status).toBe(200)
    // The KV entry is left to expire (the D1 row decides); another location may read it for a minute.
    await env.KV.put(key, stale as string)

    await expectError(await verify(phone, code), 400, 'invalid_code')
  })

  it('refuses a login code the second time, even when KV still serves its entry', async () => {
    const { phone } = await activeUser(box, { env: NO_COOLDOWN })
    const ask = await call('POST', '/api/v1/auth/login', { json: { phone, use_otp: true }, env: NO_COOLDOWN, ip: newIp() })
    expect(ask.status).toBe(202)
    const code = box.lastCode(phone)
    const key = otpKey('login', phone)
    const stale = await env.KV.get(key)
    expect(stale).not.toBeNull()

    expect((await verify(phone, code, NO_COOLDOWN)).status).toBe(200)
    await env.KV.put(key, stale as string)

    // The login purpose is the one /verify uses for an active account, so this reaches the D1 record.
    await expectError(await verify(phone, code, NO_COOLDOWN), 400, 'invalid_code')
    const rows = await challengesOf(phone)
    expect(rows.find((r) => r.purpose === 'login')?.closed_at).not.toBeNull()
  })

  it('refuses a code whose challenge has expired in D1, though KV still holds it', async () => {
    const { phone, code } = await registerPending(box)
    await env.DB.prepare('UPDATE otp_challenges SET expires_at = 0 WHERE destination = ?').bind(`sms:${phone}`).run()
    expect(await env.KV.get(otpKey('register', phone))).not.toBeNull()
    await expectError(await verify(phone, code), 400, 'invalid_code')
  })
})

describe('send limits', () => {
  it('answers 429 otp_cooldown with Retry-After to a quick second send, and the first code still works', async () => {
    const { phone, code } = await registerPending(box)
    const again = await call('POST', '/api/v1/auth/register', { json: { phone, password: PASSWORD }, ip: newIp() })
    await expectError(again, 429, 'otp_cooldown')
    const seconds = retryAfter(again)
    expect(seconds).toBeGreaterThanOrEqual(1)
    expect(seconds).toBeLessThanOrEqual(60)
    expect(box.to(phone)).toHaveLength(1)
    expect((await verify(phone, code)).status).toBe(200)
  })

  it('replaces the old code with a new one and refuses a send over the daily limit', async () => {
    const vars = { OTP_RESEND_COOLDOWN_SECONDS: '0', OTP_DAILY_LIMIT: '2' }
    const first = await registerPending(box, { env: vars })
    const second = await registerPending(box, { env: vars, phone: first.phone })
    const { phone } = first

    const third = await call('POST', '/api/v1/auth/register', { json: { phone, password: PASSWORD }, env: vars, ip: newIp() })
    await expectError(third, 429, 'rate_limited')
    const seconds = retryAfter(third)
    expect(seconds).toBeGreaterThanOrEqual(1)
    expect(seconds).toBeLessThanOrEqual(86_400)
    expect(box.to(phone)).toHaveLength(2)

    expect(second.code).not.toBe(first.code)
    await expectError(await verify(phone, first.code, vars), 400, 'invalid_code')
    expect((await verify(phone, second.code, vars)).status).toBe(200)
  })

  // A daily cap of 4 wrong guesses; a pending phone whose first code took 3 of them.
  const vars = { OTP_MAX_FAILURES_PER_DAY: '4', OTP_RESEND_COOLDOWN_SECONDS: '0' }
  async function threeWrongGuesses() {
    const first = await registerPending(box, { env: vars })
    for (let i = 0; i < 3; i++) await expectError(await verify(first.phone, wrongCode(first.code), vars), 400, 'invalid_code')
    return first
  }

  it('refuses even a fresh right code once the destination has more wrong guesses than its daily cap', async () => {
    const { phone } = await threeWrongGuesses()

    // A new code does not reset the day's failures. With 4 (the cap, not more) a guess is still
    // evaluated; the fifth wrong one puts the destination over the cap.
    const second = await registerPending(box, { env: vars, phone })
    await expectError(await verify(phone, wrongCode(second.code), vars), 400, 'invalid_code')
    await expectError(await verify(phone, wrongCode(second.code), vars), 400, 'invalid_code')
    const refused = await verify(phone, second.code, vars)
    await expectError(refused, 429, 'too_many_attempts')
    // Until the first code's three failures leave the 24 h window.
    expect(retryAfter(refused)).toBeGreaterThan(86_400 - 60)
    expect(retryAfter(refused)).toBeLessThanOrEqual(86_400)

    const third = await registerPending(box, { env: vars, phone })
    await expectError(await verify(phone, third.code, vars), 429, 'too_many_attempts')
    const failures = (await challengesOf(phone)).reduce((n, r) => n + r.failures, 0)
    expect(failures).toBe(5)
  })

  it('still takes a right code with exactly the daily cap of wrong guesses', async () => {
    const { phone } = await threeWrongGuesses()
    const second = await registerPending(box, { env: vars, phone })
    await expectError(await verify(phone, wrongCode(second.code), vars), 400, 'invalid_code')
    expect((await verify(phone, second.code, vars)).status).toBe(200)
  })

  it('counts concurrent wrong guesses against the daily failure cap atomically', async () => {
    const { phone } = await threeWrongGuesses()

    // Two wrong guesses are still evaluated today (at 3 and at 4 failures); the new code's own
    // three attempts must not stretch that.
    const second = await registerPending(box, { env: vars, phone })
    const responses = await Promise.all(Array.from({ length: 20 }, () => verify(phone, wrongCode(second.code), vars)))
    const statuses = responses.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 400)).toHaveLength(2)
    expect(statuses.filter((s) => s === 429)).toHaveLength(18)
    for (const r of responses) {
      await expectError(r, r.status, r.status === 400 ? 'invalid_code' : 'too_many_attempts')
      if (r.status === 429) expect(retryAfter(r)).toBeGreaterThanOrEqual(1)
    }

    const failures = (await challengesOf(phone)).reduce((n, r) => n + r.failures, 0)
    expect(failures).toBe(5)
  })
})

describe('the stored code', () => {
  it('is six digits, and KV holds only its MAC, challenge id and account id, expiring with the code', async () => {
    const { phone, code } = await registerPending(box)
    expect(code).toMatch(/^\d{6}$/)
    expect(box.to(phone)[0]?.text).toBe(`Your edge-auth verification code is ${code}. Valid for 10 minutes.`)

    const key = otpKey('register', phone)
    const raw = await env.KV.get(key)
    expect(raw).not.toBeNull()
    expect(raw).not.toContain(code)
    const entry = JSON.parse(raw as string)
    expect(Object.keys(entry).sort()).toEqual(['id', 'mac', 'uid'])
    const account = await env.DB.prepare('SELECT id FROM users WHERE phone = ?').bind(phone).first<{ id: string }>()
    expect(entry.uid).toBe(account?.id)
    expect(entry.mac).toMatch(/^[A-Za-z0-9+/_-]{43,44}={0,2}$/)
    const [row] = await challengesOf(phone)
    expect(entry.id).toBe(row?.id)

    const { keys } = await env.KV.list({ prefix: key })
    const expiresIn = (keys[0]?.expiration ?? 0) - Date.now() / 1000
    expect(expiresIn).toBeGreaterThan(590)
    expect(expiresIn).toBeLessThanOrEqual(601)
  })

  it('never returns the code in a response body', async () => {
    const phone = (await registerPending(box, { env: NO_COOLDOWN })).phone
    const res = await call('POST', '/api/v1/auth/register', {
      json: { phone, password: PASSWORD },
      env: NO_COOLDOWN,
      ip: newIp(),
    })
    expect(res.status).toBe(201)
    const text = JSON.stringify(await json(res))
    expect(text).not.toContain(box.lastCode(phone))
  })
})
