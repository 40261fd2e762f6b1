import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { newPhone, PASSWORD, register, signUp } from '../helpers/factories'
import { useOutbox } from '../helpers/outbox'
import { createSuperAdmin, newUsername } from '../helpers/staff'

const box = useOutbox()

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

describe('an email nobody has proved reserves nothing', () => {
  const holderOf = (email: string) => env.DB.prepare('SELECT id, phone FROM users WHERE email = ?').bind(email).first()

  it("lets the email's owner register though a phone account holds it unverified; that account loses it", async () => {
    const squatter = newPhone()
    const email = `owner-${crypto.randomUUID()}@example.tn`
    expect((await register({ phone: squatter, email })).status).toBe(201)
    expect((await call('POST', '/api/v1/auth/verify', { json: { phone: squatter, code: box.lastCode(squatter) } })).status).toBe(
      200,
    )

    const res = await register({ email })
    expect(res.status).toBe(201)
    expect((await call('POST', '/api/v1/auth/verify', { json: { email, code: box.lastCode(email) } })).status).toBe(200)
    expect(await holderOf(email)).toMatchObject({ phone: null })
    const left = await env.DB.prepare('SELECT email, status FROM users WHERE phone = ?').bind(squatter).first()
    expect(left).toEqual({ email: null, status: 'active' })
  })

  it('still answers 409 email_taken for an email a staff account holds, verified or not', async () => {
    const root = await createSuperAdmin()
    const email = `staff-${crypto.randomUUID()}@example.tn`
    const made = await call('POST', '/api/v1/clients', {
      token: root.access_token,
      json: { username: newUsername(), password: PASSWORD, email },
    })
    expect(made.status).toBe(201)
    const client = await json(made)
    expect(client.email_verified).toBe(false)
    await expectError(await register({ email }), 409, 'email_taken')
    expect(await holderOf(email)).toMatchObject({ id: client.id })
  })

  it('still answers 409 email_taken for an email its holder verified', async () => {
    const email = `verified-${crypto.randomUUID()}@example.tn`
    expect((await register({ email })).status).toBe(201)
    expect((await call('POST', '/api/v1/auth/verify', { json: { email, code: box.lastCode(email) } })).status).toBe(200)
    await expectError(await register({ email, phone: newPhone() }), 409, 'email_taken')
  })
})
