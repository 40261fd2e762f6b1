import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { newPhone, PASSWORD, signUp } from '../helpers/factories'
import { type Outbox, outbox } from '../helpers/outbox'

let box: Outbox
beforeEach(() => {
  box = outbox()
})
afterEach(() => box.restore())

describe('POST /api/v1/auth/register', () => {
  it('creates a pending account and texts a code to the phone', async () => {
    const phone = newPhone()
    const res = await call('POST', '/api/v1/auth/register', {
      json: { name: 'Ahmed', surname: 'Ben Salem', phone, password: PASSWORD },
    })
    expect(res.status).toBe(201)
    expect(await json(res)).toEqual({
      message: 'Registration successful',
      detail: `A verification code has been sent to ${phone}`,
      channel: 'sms',
      expires_in: 600,
    })
    const [sms] = box.to(phone)
    expect(sms?.text).toMatch(/^Your edge-auth verification code is \d{6}\. Valid for 10 minutes\.$/)
    const row = await env.DB.prepare('SELECT status, phone_verified, password_hash FROM users WHERE phone = ?')
      .bind(phone)
      .first()
    expect(row).toMatchObject({ status: 'pending', phone_verified: 0 })
    expect(String(row?.password_hash)).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/)
  })

  it('activates the account at /verify and returns tokens and the user', async () => {
    const { user, access_token, refresh_token } = await signUp(box)
    expect(user).toMatchObject({ status: 'active', is_verified: true, phone_verified: true, role: 'particulier', name: 'Ahmed' })
    expect(access_token.split('.')).toHaveLength(3)
    expect(refresh_token.length).toBeGreaterThanOrEqual(43)
    const me = await call('GET', '/api/v1/me', { token: access_token })
    expect(me.status).toBe(200)
    expect((await json(me)).id).toBe(user.id)
  })

  it('refuses a phone that belongs to a verified account with 409 phone_taken', async () => {
    const { phone } = await signUp(box)
    const res = await call('POST', '/api/v1/auth/register', { json: { phone, password: PASSWORD } })
    await expectError(res, 409, 'phone_taken')
  })
})
