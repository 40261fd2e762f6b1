import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError } from '../helpers/app'
import { PASSWORD } from '../helpers/factories'
import { tnMobile } from '../helpers/limits'
import { newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { createStaff, createSuperAdmin, newUsername } from '../helpers/staff'

const box = useOutbox()

const post = (path: string, body: unknown) => call('POST', `/api/v1/auth${path}`, { json: body, ip: newIp() })
const HINT = 'Must be a valid mobile phone number'

describe('a phone typed with other characters (issue 14, SPEC §4)', () => {
  it('does not register 😀📱 98 765 432 as +216 98 765 432: 400 validation_error, no account, no text', async () => {
    const e164 = tnMobile()
    const typed = `😀📱 ${e164.slice(4, 6)} ${e164.slice(6, 9)} ${e164.slice(9)}`
    const body = await expectError(await post('/register', { phone: typed, password: PASSWORD }), 400, 'validation_error')
    expect(body.fields).toEqual({ phone: HINT })
    const rows = await env.DB.prepare('SELECT count(*) AS n FROM users WHERE phone = ?').bind(e164).first<number>('n')
    expect(rows).toBe(0)
    expect(box.messages()).toHaveLength(0)
    // The same digits typed plainly are a good number.
    expect((await post('/register', { phone: typed.replace('😀📱 ', ''), password: PASSWORD })).status).toBe(201)
  })

  it('answers 400 on code login, verify and reset, and sends nothing', async () => {
    const typed = `tel ${tnMobile()}`
    for (const [path, body] of [
      ['/login', { phone: typed, use_otp: true }],
      ['/verify', { phone: typed, code: '123456' }],
      ['/reset-password', { phone: typed }],
    ] as const) {
      expect((await expectError(await post(path, body), 400, 'validation_error')).fields, path).toEqual({ phone: HINT })
    }
    expect(box.messages()).toHaveLength(0)
  })

  it('a password login with such a phone is an unknown account: 401 invalid_credentials, as before', async () => {
    await expectError(await post('/login', { phone: `📱${tnMobile()}`, password: PASSWORD }), 401, 'invalid_credentials')
  })

  it('is refused the same way when an admin creates staff or edits a user', async () => {
    const admin = await createStaff(await createSuperAdmin(), 'admin')
    const phone = `📱 ${tnMobile()}`
    const created = await call('POST', '/api/v1/clients', {
      token: admin.access_token,
      json: { username: newUsername('client'), password: PASSWORD, phone },
    })
    expect((await expectError(created, 400, 'validation_error')).fields).toEqual({ phone: HINT })
    const client = await createStaff(admin, 'client')
    const edited = await call('PATCH', `/api/v1/users/${client.id}`, { token: admin.access_token, json: { phone } })
    expect((await expectError(edited, 400, 'validation_error')).fields).toEqual({ phone: HINT })
  })
})
