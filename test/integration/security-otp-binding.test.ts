import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { newEmail, newPhone, register, signUp } from '../helpers/factories'
import { newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { createSuperAdmin } from '../helpers/staff'

// Issue 14, attacks 1 and 2 (SPEC §5, §6.1): a code is bound to the account it was sent for, as
// it was then; a registration never takes over a pending account whose code lives.

const box = useOutbox()

const ATTACKER_PASSWORD = 'Attacker-Pick3d-2026'
const NO_COOLDOWN = { OTP_RESEND_COOLDOWN_SECONDS: '0' }

const verifyBy = (body: object, vars: Record<string, string> = {}) =>
  call('POST', '/api/v1/auth/verify', { json: body, env: vars, ip: newIp() })
const userBy = (column: 'email' | 'phone', value: string) =>
  env.DB.prepare(`SELECT id, phone, email, status, email_verified, phone_verified, created_at FROM users WHERE ${column} = ?`)
    .bind(value)
    .first<{ id: string; phone: string | null; email: string | null; status: string; email_verified: number }>()

/** Makes the open codes of a destination look expired to D1 (as after OTP_EXPIRE_MINUTES); returns how to undo it. */
async function expireCodes(destination: string) {
  const { results } = await env.DB.prepare('SELECT id, expires_at FROM otp_challenges WHERE destination = ?')
    .bind(destination)
    .all<{ id: string; expires_at: number }>()
  await env.DB.prepare('UPDATE otp_challenges SET expires_at = ? WHERE destination = ?')
    .bind(Date.now() - 1, destination)
    .run()
  return async () => {
    for (const r of results)
      await env.DB.prepare('UPDATE otp_challenges SET expires_at = ? WHERE id = ?').bind(r.expires_at, r.id).run()
  }
}

describe('attack 1: a pending email taken over by a registration with phone + the victim email', () => {
  it('refuses the takeover while the victim code lives; the victim code activates only the victim account', async () => {
    const email = newEmail()
    expect((await register({ email })).status).toBe(201)
    const victimCode = box.lastCode(email)

    const attacker = newPhone()
    await expectError(await register({ phone: attacker, email, password: ATTACKER_PASSWORD }), 409, 'email_taken')
    expect(await userBy('phone', attacker)).toBeNull()

    const res = await verifyBy({ email, code: victimCode })
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ email, phone: null, email_verified: true })
  })

  it('a victim code sent before a takeover is dead afterwards, even were it still unexpired', async () => {
    const email = newEmail()
    expect((await register({ email }, { env: NO_COOLDOWN })).status).toBe(201)
    const victimCode = box.lastCode(email)
    const victim = await userBy('email', email)

    // Once the victim code has expired the takeover is allowed (an unproven email reserves nothing)...
    const restore = await expireCodes(`email:${email}`)
    const attacker = newPhone()
    expect((await register({ phone: attacker, email, password: ATTACKER_PASSWORD })).status).toBe(201)
    // ...and even if D1 still saw the old code as live, it is bound to the victim's account, gone now.
    await restore()
    await expectError(await verifyBy({ email, code: victimCode }), 400, 'invalid_code')
    const held = await userBy('email', email)
    expect(held).toMatchObject({ phone: attacker, status: 'pending', email_verified: 0 })
    expect(held?.id).not.toBe(victim?.id)

    // The victim can still register the email once the attacker's code has expired.
    await expireCodes(`sms:${attacker}`)
    expect((await register({ email }, { env: NO_COOLDOWN })).status).toBe(201)
    const mine = await verifyBy({ email, code: box.lastCode(email) })
    expect(mine.status).toBe(200)
    expect((await json(mine)).user).toMatchObject({ email, phone: null, email_verified: true })
  })
})

describe('attack 1, login-code variant: the address moves to another account after the code was sent', () => {
  it('an admin moving the email: the code sent to the old holder is 400 invalid_code for the new one', async () => {
    const root = await createSuperAdmin()
    const email = newEmail()
    const victim = await signUp(box, { email, env: NO_COOLDOWN })
    // The victim proves the email (login codes go only to a proved one).
    const asked = await call('POST', '/api/v1/auth/email/verify-request', { token: victim.access_token, env: NO_COOLDOWN })
    expect(asked.status).toBe(202)
    const proof = { token: victim.access_token, json: { code: box.lastCode(email) }, env: NO_COOLDOWN }
    expect((await call('POST', '/api/v1/auth/email/verify', proof)).status).toBe(200)
    const attacker = await signUp(box)
    const login = { json: { email, use_otp: true }, ip: newIp(), env: NO_COOLDOWN }
    expect((await call('POST', '/api/v1/auth/login', login)).status).toBe(202)
    const victimCode = box.lastCode(email)

    const patch = (id: string, body: object) => call('PATCH', `/api/v1/users/${id}`, { token: root.access_token, json: body })
    expect((await patch(victim.user.id, { email: null })).status).toBe(200)
    expect((await patch(attacker.user.id, { email })).status).toBe(200)

    await expectError(await verifyBy({ email, code: victimCode }), 400, 'invalid_code')
    expect(await userBy('email', email)).toMatchObject({ id: attacker.user.id, email_verified: 0 })
    const sessions = await env.DB.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ?').bind(attacker.user.id).first()
    expect(sessions).toEqual({ n: 1 }) // only the attacker's own sign-up session
  })

  it('a registration claiming the unproven email: the victim code never signs into the claimant', async () => {
    const email = newEmail()
    const victim = await signUp(box, { email }) // phone verified, email not
    expect((await call('POST', '/api/v1/auth/login', { json: { email, use_otp: true }, ip: newIp() })).status).toBe(202)
    // Since the review of issue 14 an unproven email gets no login code at all; a code for it (one
    // sent before, say) is bound to the victim's account either way.
    expect(box.to(email)).toHaveLength(0)
    const victimCode = '123456'

    const attacker = newPhone()
    expect((await register({ phone: attacker, email, password: ATTACKER_PASSWORD })).status).toBe(201)
    expect((await verifyBy({ phone: attacker, code: box.lastCode(attacker) })).status).toBe(200)

    await expectError(await verifyBy({ email, code: victimCode }), 400, 'invalid_code')
    expect(await userBy('email', email)).toMatchObject({ phone: attacker, status: 'active', email_verified: 0 })
    expect(await userBy('phone', victim.phone)).toMatchObject({ id: victim.user.id, email: null })

    // The victim can still register the email: the claimant never proved it.
    expect((await register({ email }, { env: NO_COOLDOWN })).status).toBe(201)
    expect((await verifyBy({ email, code: box.lastCode(email) })).status).toBe(200)
  })
})

describe('attack 2: registering again over a pending account (SPEC §6.1)', () => {
  it('while its code lives: another password is 409 and changes nothing; the same one gets a new code', async () => {
    const phone = newPhone()
    expect((await register({ phone, name: 'Victim' }, { env: NO_COOLDOWN })).status).toBe(201)
    const first = box.lastCode(phone)
    const before = await userBy('phone', phone)

    const taken = await register({ phone, password: ATTACKER_PASSWORD, name: 'Attacker' }, { env: NO_COOLDOWN })
    await expectError(taken, 409, 'phone_taken')
    expect(box.to(phone)).toHaveLength(1) // no code sent for the attacker
    expect(await userBy('phone', phone)).toEqual(before)

    expect((await register({ phone }, { env: NO_COOLDOWN })).status).toBe(201)
    const second = box.lastCode(phone)
    expect(await userBy('phone', phone)).toEqual(before)
    await expectError(await verifyBy({ phone, code: first }), 400, 'invalid_code') // replaced by the newer code
    const res = await verifyBy({ phone, code: second })
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ id: before?.id, name: 'Victim' })
    await expectError(
      await call('POST', '/api/v1/auth/login', { json: { phone, password: ATTACKER_PASSWORD }, ip: newIp() }),
      401,
      'invalid_credentials',
    )
  })

  it('within the cooldown the same password is 429 otp_cooldown, and the live code still works', async () => {
    const phone = newPhone()
    expect((await register({ phone })).status).toBe(201)
    const code = box.lastCode(phone)
    await expectError(await register({ phone }), 429, 'otp_cooldown')
    await expectError(await register({ phone, password: ATTACKER_PASSWORD }), 429, 'otp_cooldown')
    expect((await verifyBy({ phone, code })).status).toBe(200)
  })

  it('once its code expired a registration replaces it, and the old code stays dead even if it looked live', async () => {
    const phone = newPhone()
    expect((await register({ phone }, { env: NO_COOLDOWN })).status).toBe(201)
    const victimCode = box.lastCode(phone)
    const restore = await expireCodes(`sms:${phone}`)

    expect((await register({ phone, password: ATTACKER_PASSWORD }, { env: NO_COOLDOWN })).status).toBe(201)
    await restore()
    await expectError(await verifyBy({ phone, code: victimCode }), 400, 'invalid_code')
    // The attacker cannot sign in with the chosen password: the account is not activated.
    await expectError(
      await call('POST', '/api/v1/auth/login', { json: { phone, password: ATTACKER_PASSWORD }, ip: newIp() }),
      403,
      'unverified_account',
    )
    expect(await userBy('phone', phone)).toMatchObject({ status: 'pending', phone_verified: 0 })
  })

  it('a use_otp login asked for a pending phone (a code nobody gets) does not spoil its register code', async () => {
    const phone = newPhone()
    expect((await register({ phone }, { env: NO_COOLDOWN })).status).toBe(201)
    const code = box.lastCode(phone)
    const asked = await call('POST', '/api/v1/auth/login', { json: { phone, use_otp: true }, ip: newIp(), env: NO_COOLDOWN })
    expect(asked.status).toBe(202)
    expect(box.to(phone)).toHaveLength(1) // nothing sent to a pending account
    const res = await verifyBy({ phone, code })
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ phone, status: 'active' })
  })
})
