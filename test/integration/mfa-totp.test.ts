import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { login, PASSWORD } from '../helpers/factories'
import { enrolTotp, expectMfaRequired, mfaVerify, totpCode } from '../helpers/mfa'
import { activeUser } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'

// SPEC §14 TOTP, through HTTP against local D1: enrolment, confirmation, recovery codes, turning it off.

const box = useOutbox()
const API = '/api/v1'

const start = (token: string) => call('POST', `${API}/me/mfa/totp`, { token })
const confirm = (token: string, code: string) => call('POST', `${API}/me/mfa/totp/confirm`, { token, json: { code } })
const turnOff = (token: string, body: Record<string, unknown>) => call('DELETE', `${API}/me/mfa/totp`, { token, json: body })
const status = async (token: string) => json(await call('GET', `${API}/me/mfa`, { token }))

async function totpRow(userId: string) {
  return env.DB.prepare('SELECT * FROM totp_credentials WHERE user_id = ?').bind(userId).first<Record<string, unknown>>()
}

describe('POST /me/mfa/totp', () => {
  it('answers a fresh 160-bit base32 secret, its otpauth URI (issuer APP_NAME, the phone as label) and a QR code SVG', async () => {
    const user = await activeUser(box)
    const res = await start(user.access_token)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await json(res)
    expect(Object.keys(body).sort()).toEqual(['otpauth_uri', 'qr_svg', 'secret'])
    expect(body.secret).toMatch(/^[A-Z2-7]{32}$/) // 32 base32 characters = 160 bits
    const uri = new URL(body.otpauth_uri)
    expect(`${uri.protocol}//${uri.host}${decodeURIComponent(uri.pathname)}`).toBe(`otpauth://totp/edge-auth:${user.phone}`)
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({
      secret: body.secret,
      issuer: 'edge-auth',
      digits: '6',
      period: '30',
    })
    expect(body.qr_svg).toMatch(/^<svg[\s\S]*<\/svg>$/)
    expect((await start(user.access_token)).status).toBe(200) // a pending secret is replaced
    expect(await status(user.access_token)).toEqual({ totp: 'pending', recovery_codes_left: 0 })
  })

  it('keeps the secret sealed in D1, never in the clear', async () => {
    const user = await activeUser(box)
    const { secret } = await json(await start(user.access_token))
    const row = await totpRow(user.user.id)
    expect(String(row?.secret)).toMatch(/^v1\./)
    expect(JSON.stringify(row)).not.toContain(secret)
    expect(row?.enabled_at).toBeNull()
  })

  it('uses the pool app name as issuer', async () => {
    const vars = { APP_NAME: 'Solar Tunisie' }
    const user = await activeUser(box, { env: vars })
    const res = await call('POST', `${API}/me/mfa/totp`, { token: user.access_token, env: vars })
    expect(new URL((await json(res)).otpauth_uri).searchParams.get('issuer')).toBe('Solar Tunisie')
  })

  it('needs a token', async () => {
    await expectError(await call('POST', `${API}/me/mfa/totp`), 401, 'unauthorized')
  })
})

describe('POST /me/mfa/totp/confirm', () => {
  it('turns TOTP on with a code computed from the secret, and answers 10 recovery codes once', async () => {
    const user = await activeUser(box)
    const { secret } = await json(await start(user.access_token))
    const res = await confirm(user.access_token, totpCode(secret))
    expect(res.status).toBe(200)
    const { recovery_codes } = await json(res)
    expect(recovery_codes).toHaveLength(10)
    expect(new Set(recovery_codes).size).toBe(10)
    for (const c of recovery_codes) expect(c).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/)
    expect(await status(user.access_token)).toEqual({ totp: 'on', recovery_codes_left: 10 })
    // Stored hashed only.
    const { results } = await env.DB.prepare('SELECT hash FROM recovery_codes WHERE user_id = ?').bind(user.user.id).all()
    expect(results).toHaveLength(10)
    expect(JSON.stringify(results)).not.toContain(recovery_codes[0].replace('-', ''))
    // The secret is never given again: a new enrolment is refused while TOTP is on.
    await expectError(await start(user.access_token), 409, 'mfa_already_enabled')
    await expectError(await confirm(user.access_token, totpCode(secret, 1)), 409, 'mfa_already_enabled')
  })

  it('refuses a wrong code (400 invalid_code) and leaves TOTP pending', async () => {
    const user = await activeUser(box)
    const { secret } = await json(await start(user.access_token))
    const wrong = String((Number(totpCode(secret)) + 1) % 1_000_000).padStart(6, '0')
    await expectError(await confirm(user.access_token, wrong), 400, 'invalid_code')
    await expectError(await confirm(user.access_token, totpCode(secret, 2)), 400, 'invalid_code') // two steps ahead
    expect((await status(user.access_token)).totp).toBe('pending')
    await expectError(await confirm(user.access_token, '12345'), 400, 'validation_error')
  })

  it('answers 404 with nothing pending', async () => {
    const user = await activeUser(box)
    await expectError(await confirm(user.access_token, '123456'), 404, 'not_found')
  })

  it('turns TOTP on once when two confirmations with the same code race: one wins', async () => {
    const user = await activeUser(box)
    const { secret } = await json(await start(user.access_token))
    const code = totpCode(secret)
    const answers = await Promise.all([confirm(user.access_token, code), confirm(user.access_token, code)])
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400])
    const { results } = await env.DB.prepare('SELECT hash FROM recovery_codes WHERE user_id = ?').bind(user.user.id).all()
    expect(results).toHaveLength(10)
  })
})

describe('a time step is accepted once', () => {
  it('refuses the code that confirmed the enrolment at sign-in, and accepts the next step once', async () => {
    const user = await activeUser(box)
    const { secret } = await enrolTotp(user.access_token)
    const first = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    await expectError(await mfaVerify({ mfa_token: first, totp: totpCode(secret) }), 400, 'invalid_code') // replayed step
    expect((await mfaVerify({ mfa_token: first, totp: totpCode(secret, 1) })).status).toBe(200)
    const second = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    await expectError(await mfaVerify({ mfa_token: second, totp: totpCode(secret, 1) }), 400, 'invalid_code')
  })

  it('lets one of two concurrent verifies with the same code through (two sign-ins, one step)', async () => {
    const user = await activeUser(box)
    const { secret } = await enrolTotp(user.access_token)
    const a = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    const b = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    const code = totpCode(secret, 1)
    const answers = await Promise.all([mfaVerify({ mfa_token: a, totp: code }), mfaVerify({ mfa_token: b, totp: code })])
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400])
  })
})

describe('recovery codes', () => {
  it('sign in once each, in any case and spacing, and are counted down', async () => {
    const user = await activeUser(box)
    const { recovery_codes } = await enrolTotp(user.access_token)
    const [code] = recovery_codes as [string]
    const first = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    const ok = await mfaVerify({ mfa_token: first, recovery_code: code.toUpperCase().replace('-', ' ') })
    expect(ok.status, await ok.clone().text()).toBe(200)
    const again = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    await expectError(await mfaVerify({ mfa_token: again, recovery_code: code }), 400, 'invalid_code')
    expect((await status((await json(ok)).access_token)).recovery_codes_left).toBe(9)
    const other = await activeUser(box) // another account's code never works here
    const { recovery_codes: theirs } = await enrolTotp(other.access_token)
    await expectError(await mfaVerify({ mfa_token: again, recovery_code: theirs[0] }), 400, 'invalid_code')
  })
})

describe('DELETE /me/mfa/totp', () => {
  it('needs a second factor and the password: refused without either, then turned off with a code', async () => {
    const user = await activeUser(box)
    const { secret } = await enrolTotp(user.access_token)
    await expectError(await turnOff(user.access_token, { current_password: PASSWORD }), 400, 'validation_error')
    await expectError(await turnOff(user.access_token, { code: totpCode(secret, 1) }), 403, 'reauthentication_required')
    await expectError(
      await turnOff(user.access_token, { code: totpCode(secret, 1), current_password: 'Wrong-Pass-123' }),
      401,
      'invalid_credentials',
    )
    await expectError(
      await turnOff(user.access_token, { code: totpCode(secret), current_password: PASSWORD }),
      400,
      'invalid_code',
    )
    expect((await status(user.access_token)).totp).toBe('on')

    const off = await turnOff(user.access_token, { code: totpCode(secret, 1), current_password: PASSWORD })
    expect(off.status).toBe(204)
    expect(await status(user.access_token)).toEqual({ totp: 'off', recovery_codes_left: 0 })
    expect(await totpRow(user.user.id)).toBeNull()
    const { results } = await env.DB.prepare('SELECT 1 FROM recovery_codes WHERE user_id = ?').bind(user.user.id).all()
    expect(results).toHaveLength(0)
    // Signing in needs the password only again.
    expect((await login({ phone: user.phone, password: PASSWORD })).status).toBe(200)
  })

  it('turns TOTP off with a recovery code', async () => {
    const user = await activeUser(box)
    const { recovery_codes } = await enrolTotp(user.access_token)
    const off = await turnOff(user.access_token, { recovery_code: recovery_codes[3], current_password: PASSWORD })
    expect(off.status).toBe(204)
    expect((await status(user.access_token)).totp).toBe('off')
  })

  it('answers 404 when TOTP is not on', async () => {
    const user = await activeUser(box)
    await expectError(await turnOff(user.access_token, { code: '123456', current_password: PASSWORD }), 404, 'not_found')
  })
})

describe('the audit log', () => {
  it('records mfa_enrolled, mfa_failed, recovery_code_used and mfa_disabled, without codes', async () => {
    const user = await activeUser(box)
    const { secret, recovery_codes } = await enrolTotp(user.access_token)
    const token = await expectMfaRequired(await login({ phone: user.phone, password: PASSWORD }))
    await mfaVerify({ mfa_token: token, totp: totpCode(secret) }) // replay: failed
    await mfaVerify({ mfa_token: token, recovery_code: recovery_codes[0] })
    await turnOff(user.access_token, { code: totpCode(secret, 1), current_password: PASSWORD })
    const { results } = await env.DB.prepare('SELECT type, detail FROM audit_events WHERE subject_id = ? ORDER BY id')
      .bind(user.user.id)
      .all<{ type: string; detail: string }>()
    const types = results.map((r) => r.type)
    for (const t of ['mfa_enrolled', 'mfa_failed', 'recovery_code_used', 'mfa_disabled']) expect(types).toContain(t)
    const all = JSON.stringify(results)
    expect(all).not.toContain(secret)
    expect(all).not.toContain(recovery_codes[0])
    expect(all).not.toContain(totpCode(secret))
  })
})
