import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError } from '../helpers/app'
import { newPhone, PASSWORD, register } from '../helpers/factories'
import { useFakeFetch } from '../helpers/fake-fetch'
import { activeUser, newIp, verify, wrongCode } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'

// Attacks of the attacker's review of issue 14 (branch `review`) that held: kept here so they keep
// holding (review-held, review-probe-500 and the held probes of review-turnstile).

const box = useOutbox()

describe('held: a killed register code does not free the phone for a re-registration', () => {
  it('3 wrong guesses at the victim’s code, a minute later a registration with another password: 409 phone_taken', async () => {
    const phone = newPhone()
    expect((await register({ phone })).status).toBe(201)
    const code = box.lastCode(phone)
    for (let i = 0; i < 3; i++) {
      await expectError(
        await call('POST', '/api/v1/auth/verify', { json: { phone, code: wrongCode(code) }, ip: newIp() }),
        400,
        'invalid_code',
      )
    }
    await env.DB.prepare('UPDATE otp_challenges SET created_at = created_at - 61000 WHERE destination = ?')
      .bind(`sms:${phone}`)
      .run()
    // The dead code still "lives" for the replacement rule (its expiry decides): nothing replaced.
    await expectError(await register({ phone, password: 'Attacker-Pass9-2026' }), 409, 'phone_taken')
    // The owner's own code is out of attempts; the account is still theirs (pending, their password).
    await expectError(await verify(phone, code), 429, 'too_many_attempts')
  })
})

describe('held: bad input never gives a 500', () => {
  it('email link endpoints, PATCH /me contact fields, odd client addresses', async () => {
    const me = await activeUser(box)
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    type Probe = { body?: string; headers?: Record<string, string>; json?: unknown; token?: string; ip?: string }
    const cases: [string, string, Probe][] = [
      ['GET', '/api/v1/auth/email/verify?token=a&token=b', {}],
      ['GET', `/api/v1/auth/email/verify?token=${'x'.repeat(5000)}`, {}],
      ['HEAD', '/api/v1/auth/email/verify?token=abc', {}],
      ['POST', '/api/v1/auth/email/verify', { body: 'token=a&token=b', headers: form }],
      ['POST', '/api/v1/auth/email/verify', { body: 'token[]=a', headers: form }],
      ['POST', '/api/v1/auth/email/verify', { body: '%zz=%zz', headers: form }],
      ['POST', '/api/v1/auth/email/verify', { json: { token: 123 } }],
      ['POST', '/api/v1/auth/email/verify', { json: { token: 'abc', code: '123456' } }],
      ['POST', '/api/v1/auth/email/verify', { json: { code: '123456' } }],
      ['POST', '/api/v1/auth/email/verify', { json: [] }],
      ['POST', '/api/v1/auth/email/verify', { json: null }],
      ['POST', '/api/v1/auth/email/verify', { json: { code: '123456' }, token: me.access_token }],
      ['POST', '/api/v1/auth/email/verify', { body: 'code=123456', headers: form, token: me.access_token }],
      ['POST', '/api/v1/auth/email/reset', { body: 'token=a', headers: form }],
      ['POST', '/api/v1/auth/email/reset', { body: `token=a&new_password=${'A1a'.repeat(50)}`, headers: form }],
      ['POST', '/api/v1/auth/email/reset', { json: { token: 'a', new_password: 5 } }],
      ['GET', '/api/v1/auth/email/reset?token=', {}],
      ['PATCH', '/api/v1/me', { json: { email: 'a@b.co', current_password: 5 }, token: me.access_token }],
      ['PATCH', '/api/v1/me', { json: { email: 'a@b.co', current_password: 'x'.repeat(200) }, token: me.access_token }],
      [
        'PATCH',
        '/api/v1/me',
        { json: { phone: '+216 98 765 432', email: 'A@B.CO', current_password: PASSWORD }, token: me.access_token },
      ],
      ['PATCH', '/api/v1/me', { json: { phone: null }, token: me.access_token }],
      ['PATCH', '/api/v1/me', { json: { email: null, current_password: PASSWORD }, token: me.access_token }],
      ['POST', '/api/v1/me/phone/verify', { json: { code: '12345678901' }, token: me.access_token }],
      ['POST', '/api/v1/me/phone/verify-request', { json: { turnstile_token: 5 }, token: me.access_token }],
      [
        'POST',
        '/api/v1/me/phone/verify-request',
        { body: 'x', headers: { 'content-type': 'text/plain' }, token: me.access_token },
      ],
      ['POST', '/api/v1/auth/login', { json: { phone: '98765432', password: PASSWORD }, ip: ':::::' }],
      ['POST', '/api/v1/auth/login', { json: { phone: '98765432', password: PASSWORD }, ip: 'a::b::c::d' }],
      ['POST', '/api/v1/auth/login', { json: { phone: '98765432', password: PASSWORD }, ip: 'f:'.repeat(500) }],
      ['POST', '/api/v1/auth/login', { json: { phone: '98765432', password: PASSWORD, turnstile_token: 'x'.repeat(5000) } }],
      ['POST', '/api/v1/auth/verify', { json: { phone: '98765432', code: '123456' }, ip: '::ffff:1.2.3.4' }],
      ['DELETE', '/api/v1/me', { json: { password: 5 }, token: me.access_token }],
      [
        'POST',
        '/api/v1/auth/change-password',
        { json: { old_password: 'x'.repeat(129), new_password: PASSWORD }, token: me.access_token },
      ],
    ]
    const bad: string[] = []
    for (const [method, path, o] of cases) {
      const res = await call(method, path, { ...o, ip: o.ip ?? newIp() })
      if (res.status >= 500) bad.push(`${method} ${path} -> ${res.status} ${(await res.text()).slice(0, 120)}`)
    }
    expect(bad).toEqual([])
  })
})

describe('held: path and body variants of the send endpoints never skip the Turnstile check', () => {
  const BASE = 'https://turnstile.test'
  const ON = { TURNSTILE_SECRET_KEY: 'ts-secret', TURNSTILE_API_BASE: BASE, OTP_RESEND_COOLDOWN_SECONDS: '0' }
  useFakeFetch(BASE, () => Response.json({ success: false }))

  it('trailing or doubled slashes, a query, an escaped letter, a BOM, odd content types, a duplicated key: 404 or 400 turnstile_failed', async () => {
    const json = 'application/json'
    const registration = () => JSON.stringify({ phone: newPhone(), password: PASSWORD })
    const codeLogin = () => JSON.stringify({ phone: newPhone(), use_otp: true })
    const variants: [string, string, string][] = [
      ['/api/v1/auth/register/', json, registration()],
      ['/api/v1/auth//register', json, registration()],
      ['/api/v1/auth/register?x=1', json, registration()],
      ['/api/v1/auth/%72egister', json, registration()],
      ['/api/v1/auth/login', json, `\uFEFF${codeLogin()}`],
      ['/api/v1/auth/login', 'application/vnd.x+json', codeLogin()],
      ['/api/v1/auth/login', 'application/json; charset=utf-8', codeLogin()],
      ['/api/v1/auth/login', 'Application/JSON', codeLogin()],
      ['/api/v1/auth/login', json, `{"phone":"${newPhone()}","use_otp":false,"use_otp":true}`],
    ]
    const out: string[] = []
    for (const [path, type, body] of variants) {
      const res = await call('POST', path, { body, headers: { 'content-type': type }, env: ON, ip: newIp() })
      out.push(`${path} ${type} -> ${res.status} ${(await res.text()).slice(0, 80)}`)
    }
    for (const line of out) expect(line).toMatch(/-> (404 |400 .*turnstile_fail)/)
    expect(box.messages()).toEqual([]) // no code went anywhere
  })
})
