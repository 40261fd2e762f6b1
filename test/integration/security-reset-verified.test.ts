import { describe, expect, it } from 'vitest'
import { patchMe } from '../helpers/account'
import { call, expectError, json } from '../helpers/app'
import { emailUser, lastEmail, linkRows } from '../helpers/email'
import { newEmail, newPhone, PASSWORD, signUp } from '../helpers/factories'
import { activeUser, newIp, wrongCode } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'

/**
 * Issue 14: resets go only to a verified phone or email of an active account (SPEC §6.1);
 * /confirm-reset checks the code before the password policy; mail to an address nobody has
 * verified carries only the service's own words (SPEC §6.6).
 */

const box = useOutbox()

// No cooldown (a register code then a reset code to one address), and a policy whose only
// objection to an email-shaped password is that it is the holder's own email.
const VARS = { OTP_RESEND_COOLDOWN_SECONDS: '0', PASSWORD_REQUIRE_CLASSES: 'false' }
const NEW_PASSWORD = 'Carthage-Vent7-2027'
const post = (path: string, body: unknown) => call('POST', path, { json: body, env: VARS, ip: newIp() })
const requestReset = (body: object) => post('/api/v1/auth/reset-password', body)
const confirmReset = (body: object) => post('/api/v1/auth/confirm-reset', body)

describe('resets go only to verified addresses', () => {
  it('an unverified email gets the same 202 and nothing: no code, no link', async () => {
    const email = newEmail()
    const { user } = await signUp(box, { email, env: VARS }) // phone verified, email not
    const unknown = await requestReset({ email: newEmail() })
    const res = await requestReset({ email })
    expect(res.status).toBe(202)
    expect(await json(res)).toEqual(await json(unknown))
    expect(box.to(email)).toHaveLength(0)
    expect((await linkRows(user.id)).filter((l) => l.purpose === 'password_reset')).toHaveLength(0)
  })

  it('a verified email and a verified phone still get their code', async () => {
    const { email } = await emailUser(box, VARS)
    expect((await requestReset({ email })).status).toBe(202)
    expect(lastEmail(box, email)).toMatch(/reset/i)
    const { phone } = await activeUser(box, { env: VARS })
    expect((await requestReset({ phone })).status).toBe(202)
    expect(box.to(phone).at(-1)?.text).toMatch(/password reset code/)
  })

  it('a pending phone (PATCH /me) gets no reset code', async () => {
    const owner = await activeUser(box, { env: VARS })
    const pending = newPhone()
    expect((await patchMe(owner.access_token, { phone: pending, current_password: PASSWORD }, VARS)).status).toBe(200)
    expect((await requestReset({ phone: pending })).status).toBe(202)
    expect(box.to(pending).map((m) => m.text)).toEqual([expect.stringMatching(/phone confirmation code/)])
  })
})

describe('/confirm-reset checks the code before anything else', () => {
  it('a wrong code with a password equal to the holder’s email is 400 invalid_code, not a policy answer', async () => {
    const { email } = await emailUser(box, VARS)
    expect((await requestReset({ email })).status).toBe(202)
    const code = box.lastCode(email)
    const body = await expectError(await confirmReset({ email, code: wrongCode(code), new_password: email }), 400, 'invalid_code')
    expect(JSON.stringify(body)).not.toContain(email)
    // The same answer for an address nobody holds.
    const stranger = newEmail()
    await expectError(await confirmReset({ email: stranger, code: wrongCode(code), new_password: stranger }), 400, 'invalid_code')
  })

  it('a wrong code with a password equal to the holder’s phone is 400 invalid_code', async () => {
    const { phone } = await activeUser(box, { env: VARS })
    expect((await requestReset({ phone })).status).toBe(202)
    const code = box.lastCode(phone)
    await expectError(await confirmReset({ phone, code: wrongCode(code), new_password: phone }), 400, 'invalid_code')
  })

  it('a right code with a refused password is a policy error and does not burn the code', async () => {
    const { email } = await emailUser(box, VARS)
    expect((await requestReset({ email })).status).toBe(202)
    const code = box.lastCode(email)
    const refused = await expectError(await confirmReset({ email, code, new_password: email }), 400, 'validation_error')
    expect(refused.fields).toHaveProperty('new_password')
    expect((await confirmReset({ email, code, new_password: NEW_PASSWORD })).status).toBe(200)
    await expectError(await confirmReset({ email, code, new_password: NEW_PASSWORD }), 400, 'invalid_code')
    expect((await post('/api/v1/auth/login', { email, password: NEW_PASSWORD })).status).toBe(200)
  })
})

describe('mail to an unverified address carries only our words', () => {
  const NAME = 'IT desk: re-login at evil.example'

  it('the registration code mail has no name in it', async () => {
    const email = newEmail()
    expect((await post('/api/v1/auth/register', { email, name: NAME, password: PASSWORD })).status).toBe(201)
    expect(lastEmail(box, email)).not.toContain(NAME)
    expect(lastEmail(box, email)).not.toContain('IT desk')
  })

  it('the email change and verification mails to the new address have no name in them', async () => {
    const owner = await activeUser(box, { env: VARS })
    expect((await patchMe(owner.access_token, { name: NAME }, VARS)).status).toBe(200)
    const email = newEmail()
    expect((await patchMe(owner.access_token, { email, current_password: PASSWORD }, VARS)).status).toBe(200)
    const again = await call('POST', '/api/v1/auth/email/verify-request', { token: owner.access_token, env: VARS, ip: newIp() })
    expect(again.status).toBe(202)
    expect(box.to(email)).toHaveLength(2)
    for (const m of box.to(email)) expect(m.text).not.toContain('IT desk')
  })

  it('mail to a verified address still greets by name', async () => {
    const { email } = await emailUser(box, VARS, { name: 'Leila' })
    expect((await requestReset({ email })).status).toBe(202)
    expect(lastEmail(box, email)).toContain('Hello Leila,')
  })
})
