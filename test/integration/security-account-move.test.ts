import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { confirmEmail, confirmPhone, contactRow, passwordlessUser, patchMe, tokenOfSessionOpenedAgo } from '../helpers/account'
import { call, expectError, json } from '../helpers/app'
import { emailUser, lastEmail } from '../helpers/email'
import { newEmail, newPhone, PASSWORD } from '../helpers/factories'
import { activeUser, newIp, registerPending, verify, wrongCode } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { getMe, sidOf } from '../helpers/sessions'

/**
 * Issue 14, attack 4: "A stolen access token becomes a permanent takeover". SPEC §6.2: a new
 * email or phone needs current_password and a live session, is only pending until the code sent
 * to it confirms it, and the address it replaces is told; resets go only to verified addresses.
 */

const box = useOutbox()

const VARS = { OTP_RESEND_COOLDOWN_SECONDS: '0' }
const NEW_PASSWORD = 'Carthage-Vent7-2027'
const post = (path: string, body: unknown) => call('POST', path, { json: body, env: VARS, ip: newIp() })
const login = (body: object) => post('/api/v1/auth/login', body)

describe('attack 4: a stolen access token cannot move the account', () => {
  it('email: no password → 403, wrong → 401, right → only pending; resets still go to the owner', async () => {
    const victim = await emailUser(box, VARS)
    const attacker = newEmail()
    const stolen = victim.access_token

    await expectError(await patchMe(stolen, { email: attacker }, VARS), 403, 'reauthentication_required')
    await expectError(
      await patchMe(stolen, { email: attacker, current_password: 'Wrong-Passw0rd1' }, VARS),
      401,
      'invalid_credentials',
    )
    expect(box.to(attacker)).toHaveLength(0)
    expect(await contactRow(victim.user.id)).toMatchObject({ email: victim.email, pending_email: null })

    // Even with the password, the attacker's address is only pending.
    const res = await patchMe(stolen, { email: attacker, current_password: PASSWORD }, VARS)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ email: victim.email, email_verified: true, pending_email: attacker })
    const changeCode = box.lastCode(attacker)

    // /reset-password for the attacker's address: the same 202, nothing sent.
    const sentBefore = box.to(attacker).length
    const toAttacker = await post('/api/v1/auth/reset-password', { email: attacker })
    expect(toAttacker.status).toBe(202)
    expect(box.to(attacker)).toHaveLength(sentBefore)
    // For the real one, the code goes to the owner.
    const toOwner = await post('/api/v1/auth/reset-password', { email: victim.email })
    expect(toOwner.status).toBe(202)
    expect(await json(toOwner)).toEqual(await json(toAttacker))
    expect(lastEmail(box, victim.email)).toMatch(/reset/i)

    // /confirm-reset with anything the attacker holds fails.
    for (const email of [attacker, victim.email]) {
      await expectError(
        await post('/api/v1/auth/confirm-reset', { email, code: changeCode, new_password: NEW_PASSWORD }),
        400,
        'invalid_code',
      )
    }
    await expectError(await login({ email: attacker, password: PASSWORD }), 401, 'invalid_credentials')
    expect((await login({ email: victim.email, password: PASSWORD })).status).toBe(200)
    expect(await contactRow(victim.user.id)).toMatchObject({ email: victim.email, email_verified: 1 })
  })

  it('phone: the same, and a reset for the attacker’s number texts nothing', async () => {
    const victim = await activeUser(box, { env: VARS })
    const attacker = newPhone()
    const stolen = victim.access_token

    await expectError(await patchMe(stolen, { phone: attacker }, VARS), 403, 'reauthentication_required')
    await expectError(
      await patchMe(stolen, { phone: attacker, current_password: 'Wrong-Passw0rd1' }, VARS),
      401,
      'invalid_credentials',
    )
    expect(box.to(attacker)).toHaveLength(0)

    const res = await patchMe(stolen, { phone: attacker, current_password: PASSWORD }, VARS)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ phone: victim.phone, phone_verified: true, pending_phone: attacker })
    const changeCode = box.lastCode(attacker)

    expect((await post('/api/v1/auth/reset-password', { phone: attacker })).status).toBe(202)
    expect(box.to(attacker)).toHaveLength(1)
    expect((await post('/api/v1/auth/reset-password', { phone: victim.phone })).status).toBe(202)
    expect(box.to(victim.phone).at(-1)?.text).toMatch(/password reset code/)
    for (const phone of [attacker, victim.phone]) {
      await expectError(
        await post('/api/v1/auth/confirm-reset', { phone, code: changeCode, new_password: NEW_PASSWORD }),
        400,
        'invalid_code',
      )
    }
    await expectError(await login({ phone: attacker, password: PASSWORD }), 401, 'invalid_credentials')
    expect((await login({ phone: victim.phone, password: PASSWORD })).status).toBe(200)
  })

  it('checks the session row in D1: a session revoked where KV has not caught up cannot move the account', async () => {
    const victim = await activeUser(box, { env: VARS })
    // Revoked in D1 only, as another location sees it before KV propagates.
    await env.DB.prepare('UPDATE sessions SET revoked_at = ? WHERE id = ?').bind(Date.now(), sidOf(victim.access_token)).run()
    const email = newEmail()
    await expectError(await patchMe(victim.access_token, { email, current_password: PASSWORD }, VARS), 401, 'invalid_token')
    expect(box.to(email)).toHaveLength(0)
    expect(await contactRow(victim.user.id)).toMatchObject({ pending_email: null })
  })

  it('a passwordless account moves only within 5 minutes of signing in', async () => {
    const vars = { ...VARS, OTP_SIGNUP: 'true' }
    const fresh = await passwordlessUser(box, vars)
    const stale = await tokenOfSessionOpenedAgo(fresh.access_token, 6 * 60_000)
    const email = newEmail()
    const refused = await expectError(await patchMe(stale, { email }, vars), 403, 'reauthentication_required')
    expect(refused.detail).toMatch(/sign in again/i)
    expect(box.to(email)).toHaveLength(0)

    const res = await patchMe(fresh.access_token, { email }, vars)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ pending_email: email })
  })

  it('name and surname still change without a password', async () => {
    const { access_token } = await activeUser(box, { env: VARS })
    const res = await patchMe(access_token, { name: 'Leila' }, VARS)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ name: 'Leila' })
  })
})

describe('changing the email (happy path)', () => {
  it('the code confirms it; it replaces the old one, which is told; sign-in by the new one', async () => {
    const owner = await emailUser(box, VARS, { name: 'Leila' })
    const next = newEmail()
    expect((await patchMe(owner.access_token, { email: next, current_password: PASSWORD }, VARS)).status).toBe(200)
    await expectError(await confirmEmail(owner.access_token, wrongCode(box.lastCode(next)), VARS), 400, 'invalid_code')

    const res = await confirmEmail(owner.access_token, box.lastCode(next), VARS)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ email: next, email_verified: true, pending_email: null })
    expect(lastEmail(box, owner.email)).toMatch(/email address of your edge-auth account was changed/)
    expect(await json(await getMe(owner.access_token))).toMatchObject({ email: next, pending_email: null })
    expect((await login({ email: next, password: PASSWORD })).status).toBe(200)
    await expectError(await login({ email: owner.email, password: PASSWORD }), 401, 'invalid_credentials')
  })

  it('a pending email reserves nothing; confirming one that became another account’s verified email is 409', async () => {
    const owner = await activeUser(box, { env: VARS })
    const contested = newEmail()
    expect((await patchMe(owner.access_token, { email: contested, current_password: PASSWORD }, VARS)).status).toBe(200)
    const code = box.lastCode(contested)
    await emailUser(box, VARS, { email: contested }) // registers and verifies it meanwhile
    await expectError(await confirmEmail(owner.access_token, code, VARS), 409, 'email_taken')
    expect(await contactRow(owner.user.id)).toMatchObject({ email: null, pending_email: contested })
  })

  it('asking for the current email again drops the pending one', async () => {
    const owner = await emailUser(box, VARS)
    const next = newEmail()
    expect((await patchMe(owner.access_token, { email: next, current_password: PASSWORD }, VARS)).status).toBe(200)
    const code = box.lastCode(next)
    const res = await patchMe(owner.access_token, { email: owner.email }, VARS)
    expect(await json(res)).toMatchObject({ email: owner.email, pending_email: null })
    // Nothing is left to confirm: the code confirms nothing.
    await expectError(await confirmEmail(owner.access_token, code, VARS), 400, 'invalid_code')
    expect(await contactRow(owner.user.id)).toMatchObject({ email: owner.email, pending_email: null })
  })
})

describe('changing the phone (happy path)', () => {
  it('the texted code confirms it; the old phone gets a notice; sign-in by the new one', async () => {
    const owner = await activeUser(box, { env: VARS })
    const next = newPhone()
    const res = await patchMe(owner.access_token, { phone: next.replace('+216', '+216 '), current_password: PASSWORD }, VARS)
    expect(res.status).toBe(200)
    expect(box.to(next)).toHaveLength(1)
    expect(box.to(next)[0]?.text).toMatch(/phone confirmation code is \d{6}\./)

    // verify-request sends a new code to the pending phone; only the newest works.
    const first = box.lastCode(next)
    const again = await call('POST', '/api/v1/me/phone/verify-request', { token: owner.access_token, env: VARS, ip: newIp() })
    expect(again.status).toBe(202)
    const second = box.lastCode(next)
    expect(box.to(next)).toHaveLength(2)
    if (first !== second) await expectError(await confirmPhone(owner.access_token, first, VARS), 400, 'invalid_code')

    const confirmed = await confirmPhone(owner.access_token, second, VARS)
    expect(confirmed.status).toBe(200)
    expect(await json(confirmed)).toMatchObject({ phone: next, phone_verified: true, pending_phone: null })
    expect(box.to(owner.phone).at(-1)?.text).toMatch(/phone number was changed/)
    expect((await login({ phone: next, password: PASSWORD })).status).toBe(200)
    await expectError(await login({ phone: owner.phone, password: PASSWORD }), 401, 'invalid_credentials')
    // The code is single use.
    await expectError(await confirmPhone(owner.access_token, second, VARS), 400, 'invalid_code')
  })

  it('a reset code sent to the replaced phone dies with it, even once someone else registers that number', async () => {
    const owner = await activeUser(box, { env: VARS })
    expect((await post('/api/v1/auth/reset-password', { phone: owner.phone })).status).toBe(202)
    const resetCode = box.lastCode(owner.phone)
    const next = newPhone()
    expect((await patchMe(owner.access_token, { phone: next, current_password: PASSWORD }, VARS)).status).toBe(200)
    expect((await confirmPhone(owner.access_token, box.lastCode(next), VARS)).status).toBe(200)
    const newcomer = await registerPending(box, { phone: owner.phone, env: VARS })
    expect((await verify(owner.phone, newcomer.code, VARS)).status).toBe(200)
    await expectError(
      await post('/api/v1/auth/confirm-reset', { phone: owner.phone, code: resetCode, new_password: NEW_PASSWORD }),
      400,
      'invalid_code',
    )
  })

  it('confirming a phone another account took meanwhile is 409 phone_taken', async () => {
    const owner = await activeUser(box, { env: VARS })
    const contested = newPhone()
    expect((await patchMe(owner.access_token, { phone: contested, current_password: PASSWORD }, VARS)).status).toBe(200)
    const code = box.lastCode(contested)
    const other = await registerPending(box, { phone: contested, env: VARS }) // a pending phone reserves nothing
    expect((await verify(contested, other.code, VARS)).status).toBe(200)
    await expectError(await confirmPhone(owner.access_token, code, VARS), 409, 'phone_taken')
    expect(await contactRow(owner.user.id)).toMatchObject({ phone: owner.phone, pending_phone: contested })
  })

  it('20 concurrent confirmations with the right code: exactly one succeeds, one notice is sent', async () => {
    const owner = await activeUser(box, { env: VARS })
    const next = newPhone()
    expect((await patchMe(owner.access_token, { phone: next, current_password: PASSWORD }, VARS)).status).toBe(200)
    const code = box.lastCode(next)
    const answers = await Promise.all(Array.from({ length: 20 }, () => confirmPhone(owner.access_token, code, VARS)))
    const statuses = answers.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.every((s) => s === 200 || s === 400)).toBe(true)
    expect(box.to(owner.phone).filter((m) => /phone number was changed/.test(m.text))).toHaveLength(1)
    expect(await contactRow(owner.user.id)).toMatchObject({ phone: next, phone_verified: 1, pending_phone: null })
  })

  it('verify-request with no new or unverified phone is 400 validation_error', async () => {
    const owner = await activeUser(box, { env: VARS })
    const body = await expectError(
      await call('POST', '/api/v1/me/phone/verify-request', { token: owner.access_token, env: VARS, ip: newIp() }),
      400,
      'validation_error',
    )
    expect(body.fields).toHaveProperty('phone')
  })
})
