import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { newEmail, PASSWORD, register } from '../helpers/factories'
import { counter, resetSmsCounters, retryAfter, tnMobile, tnPrefix } from '../helpers/limits'
import { activeUser, challengesOf, newIp, requestReset } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'

// 20 concurrent wrong guesses of one code evaluating at most OTP_MAX_ATTEMPTS is proved in
// otp.test.ts ("evaluates at most three of twenty concurrent wrong guesses"), and its daily
// failure cap under concurrency there too; not repeated here.

const box = useOutbox({ quietErrors: true })

/** Status and error code of each response, read once. */
async function outcomes(responses: Response[]): Promise<string[]> {
  return Promise.all(
    responses.map(async (r) => {
      const body = await r.clone().json<{ error?: string }>()
      return body.error ? `${r.status} ${body.error}` : String(r.status)
    }),
  )
}

function tally(list: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const x of list) out[x] = (out[x] ?? 0) + 1
  return out
}

/** `n` distinct random Tunisian mobiles. */
function distinctPhones(n: number): string[] {
  const set = new Set<string>()
  while (set.size < n) set.add(tnMobile())
  return [...set]
}

async function count(sql: string, ...binds: unknown[]): Promise<number> {
  return (await env.DB.prepare(sql)
    .bind(...binds)
    .first<number>('n')) as number
}

describe('registrations', () => {
  it('creates exactly one account for 50 concurrent registrations of the same phone', async () => {
    const phone = tnMobile()
    const responses = await Promise.all(Array.from({ length: 50 }, () => register({ phone })))
    const seen = await outcomes(responses)
    const t = tally(seen)
    expect(
      Object.keys(t).every((k) => k === '201' || k === '429 otp_cooldown'),
      JSON.stringify(t),
    ).toBe(true)
    expect(t['201']).toBeGreaterThanOrEqual(1)
    for (const r of responses.filter((r) => r.status === 429)) await expectError(r, 429, 'otp_cooldown')
    for (const r of responses.filter((r) => r.status === 429)) expect(retryAfter(r)).toBeGreaterThan(0)

    expect(await count('SELECT count(*) AS n FROM users WHERE phone = ?', phone)).toBe(1)
    // One text per accepted request, and exactly one code still open.
    expect(box.to(phone)).toHaveLength(t['201'] ?? 0)
    expect((await challengesOf(phone)).filter((c) => c.closed_at === null)).toHaveLength(1)
    const verified = await call('POST', '/api/v1/auth/verify', { json: { phone, code: box.lastCode(phone) } })
    expect(verified.status).toBe(200)
  })

  it('creates exactly one account for 20 concurrent registrations of the same email', async () => {
    const email = newEmail()
    const responses = await Promise.all(Array.from({ length: 20 }, () => register({ email })))
    const t = tally(await outcomes(responses))
    expect(
      Object.keys(t).every((k) => k === '201' || k === '429 otp_cooldown'),
      JSON.stringify(t),
    ).toBe(true)
    expect(await count('SELECT count(*) AS n FROM users WHERE email = ?', email)).toBe(1)
  })

  it('persists 200 accounts for 200 concurrent registrations of distinct phones', async () => {
    const phones = distinctPhones(200)
    const responses = await Promise.all(phones.map((phone) => register({ phone })))
    const t = tally(await outcomes(responses))
    expect(t).toEqual({ 201: 200 })
    // D1 binds at most 100 parameters: pass the list as one JSON array.
    const sql = 'SELECT count(*) AS n FROM users WHERE phone IN (SELECT value FROM json_each(?))'
    expect(await count(sql, JSON.stringify(phones))).toBe(200)
    for (const phone of phones) expect(box.to(phone)).toHaveLength(1)
  }, 60_000)
})

describe('atomic limit counters', () => {
  beforeEach(resetSmsCounters)

  it('lets exactly SMS_DAILY_BUDGET of 20 concurrent sends through', async () => {
    const vars = { SMS_DAILY_BUDGET: '5' }
    const responses = await Promise.all(distinctPhones(20).map((phone) => register({ phone }, { env: vars })))
    expect(tally(await outcomes(responses))).toEqual({ 201: 5, '503 sms_delivery_failed': 15 })
    expect(await counter('sms:budget')).toBe(5)
  })

  it('lets exactly SMS_PREFIX_DAILY_LIMIT of 10 concurrent numbers of one range through', async () => {
    const vars = { SMS_PREFIX_DAILY_LIMIT: '3' }
    const prefix = tnPrefix()
    const phones = Array.from({ length: 10 }, (_, i) => `${prefix}${String(1000 + i)}`)
    const responses = await Promise.all(phones.map((phone) => register({ phone }, { env: vars })))
    expect(tally(await outcomes(responses))).toEqual({ 201: 3, '429 rate_limited': 7 })
  })

  it('lets exactly AUTH_REQUESTS_PER_IP_PER_MINUTE of 30 concurrent logins from one address through', async () => {
    const vars = { AUTH_REQUESTS_PER_IP_PER_MINUTE: '10' }
    const ip = newIp()
    const responses = await Promise.all(
      Array.from({ length: 30 }, () =>
        call('POST', '/api/v1/auth/login', { json: { phone: tnMobile(), password: 'Wrong-Pass-123' }, env: vars, ip }),
      ),
    )
    expect(tally(await outcomes(responses))).toEqual({ '401 invalid_credentials': 10, '429 rate_limited': 20 })
  })
})

describe('refresh rotation', () => {
  const refresh = (token: string) => call('POST', '/api/v1/auth/refresh', { json: { refresh_token: token } })
  const grant = (token: string) =>
    call('POST', '/api/v1/auth/token', {
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })

  it('rotates once for 20 concurrent refreshes of one token: one 200, the rest 409 refresh_conflict', async () => {
    const user = await activeUser(box)
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(user.refresh_token)))
    expect(tally(await outcomes(responses))).toEqual({ 200: 1, '409 refresh_conflict': 19 })
    for (const r of responses.filter((r) => r.status === 409)) await expectError(r, 409, 'refresh_conflict')

    const winner = await json(responses.find((r) => r.status === 200) as Response)
    // The session lives on with the winner's token; the history holds exactly one rotation.
    expect((await refresh(winner.refresh_token)).status).toBe(200)
    expect(await count('SELECT count(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL', user.user.id)).toBe(1)
  })

  it('rotates once when the same token races through /refresh and the OAuth token endpoint', async () => {
    const user = await activeUser(box)
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? grant(user.refresh_token) : refresh(user.refresh_token))),
    )
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1)
    for (const r of responses) expect(r.status === 200 || r.status === 400 || r.status === 409).toBe(true)
  })
})

describe('OTP verify', () => {
  it('opens exactly one session for 10 concurrent verifies of one right login code', async () => {
    const fast = { OTP_RESEND_COOLDOWN_SECONDS: '0' }
    const user = await activeUser(box, { env: fast })
    const sent = await call('POST', '/api/v1/auth/login', { json: { phone: user.phone, use_otp: true }, env: fast, ip: newIp() })
    expect(sent.status).toBe(202)
    const code = box.lastCode(user.phone)
    const before = await count('SELECT count(*) AS n FROM sessions WHERE user_id = ?', user.user.id)

    const responses = await Promise.all(
      Array.from({ length: 10 }, () => call('POST', '/api/v1/auth/verify', { json: { phone: user.phone, code }, ip: newIp() })),
    )
    const seen = await outcomes(responses)
    expect(
      seen.filter((s) => s === '200'),
      JSON.stringify(seen),
    ).toHaveLength(1)
    expect(
      seen.every((s) => ['200', '400 invalid_code', '429 too_many_attempts'].includes(s)),
      JSON.stringify(seen),
    ).toBe(true)
    expect(await count('SELECT count(*) AS n FROM sessions WHERE user_id = ?', user.user.id)).toBe(before + 1)
    expect(
      await count("SELECT count(*) AS n FROM audit_events WHERE type = 'login_succeeded' AND subject_id = ?", user.user.id),
    ).toBe(before + 1)
  })
})

describe('password reset', () => {
  it('lets exactly one of 10 concurrent confirmations with one code win', async () => {
    const user = await activeUser(box, { env: { OTP_RESEND_COOLDOWN_SECONDS: '0' } })
    expect((await requestReset(user.phone, { OTP_RESEND_COOLDOWN_SECONDS: '0' })).status).toBe(202)
    const code = box.lastCode(user.phone)
    const passwords = Array.from({ length: 10 }, (_, i) => `Winner-Passw0rd-${i}`)
    const responses = await Promise.all(
      passwords.map((new_password) =>
        call('POST', '/api/v1/auth/confirm-reset', { json: { phone: user.phone, code, new_password }, ip: newIp() }),
      ),
    )
    const seen = await outcomes(responses)
    expect(seen.filter((s) => s === '200')).toHaveLength(1)
    expect(
      seen.every((s) => ['200', '400 invalid_code', '429 too_many_attempts'].includes(s)),
      JSON.stringify(seen),
    ).toBe(true)

    const winning = passwords[seen.indexOf('200')] as string
    const login = (password: string) => call('POST', '/api/v1/auth/login', { json: { phone: user.phone, password }, ip: newIp() })
    expect((await login(winning)).status).toBe(200)
    for (const p of passwords.filter((p) => p !== winning)) await expectError(await login(p), 401, 'invalid_credentials')
    expect(
      await count("SELECT count(*) AS n FROM audit_events WHERE type = 'password_reset' AND subject_id = ?", user.user.id),
    ).toBe(1)
  })
})

describe('password-login lockout', () => {
  it('evaluates exactly LOGIN_LOCKOUT_THRESHOLD of 20 concurrent wrong passwords; the others meet the lock unhashed', async () => {
    const vars = { LOGIN_LOCKOUT_THRESHOLD: '5' }
    const user = await activeUser(box, { env: vars })
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        call('POST', '/api/v1/auth/login', { json: { phone: user.phone, password: 'Wrong-Pass-123' }, env: vars, ip: newIp() }),
      ),
    )
    const seen = await outcomes(responses)
    const failed = seen.filter((s) => s === '401 invalid_credentials').length
    // Each attempt is counted, and the lock set at the 5th, before any password is hashed: the
    // attempts admitted before the lock are evaluated (401), every later one is refused (429).
    expect(failed, JSON.stringify(seen)).toBe(5)
    expect(seen.filter((s) => s === '429 rate_limited').length).toBe(15)
    const row = await env.DB.prepare('SELECT failures, locked_until FROM login_failures WHERE identifier = ?')
      .bind(`sms:${user.phone}`)
      .first<{ failures: number; locked_until: number }>()
    expect(row?.failures).toBe(failed)

    // The longest lock wins: 2^(failures - threshold) minutes, at most 60.
    const minutes = Math.min(2 ** (failed - 5), 60)
    const res = await call('POST', '/api/v1/auth/login', {
      json: { phone: user.phone, password: PASSWORD },
      env: vars,
      ip: newIp(),
    })
    await expectError(res, 429, 'rate_limited')
    expect(retryAfter(res)).toBeGreaterThan(minutes * 60 - 15)
    expect(retryAfter(res)).toBeLessThanOrEqual(minutes * 60)
  })
})
