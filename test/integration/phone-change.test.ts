import { describe, expect, it } from 'vitest'
import { confirmPhone, contactRow, patchMe } from '../helpers/account'
import { call, expectError, json } from '../helpers/app'
import { emailUser } from '../helpers/email'
import { newPhone, PASSWORD } from '../helpers/factories'
import { activeUser, newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { createSuperAdmin } from '../helpers/staff'

// Issue 17 / SPEC §6.2 (seed 001's otp_phone / verify_otp_phone): a signed-in user adds or changes
// a phone; it stays pending until the `phone_change` code texted to it confirms it.

const box = useOutbox()
const VARS = { OTP_RESEND_COOLDOWN_SECONDS: '0' }
const login = (body: object) => call('POST', '/api/v1/auth/login', { json: body, env: VARS, ip: newIp() })

describe('adding a phone to an account that registered by email', () => {
  it('keeps it pending until its code, then signs in by it', async () => {
    const owner = await emailUser(box, VARS)
    const phone = newPhone()
    const asked = await patchMe(owner.access_token, { phone, current_password: PASSWORD }, VARS)
    expect(await json(asked)).toMatchObject({ phone: null, pending_phone: phone, email: owner.email })
    expect(box.to(phone).at(-1)?.text).toMatch(/phone confirmation code is \d{6}\./)
    await expectError(await login({ phone, password: PASSWORD }), 401, 'invalid_credentials')

    const confirmed = await confirmPhone(owner.access_token, box.lastCode(phone), VARS)
    expect(await json(confirmed)).toMatchObject({ phone, phone_verified: true, pending_phone: null, email: owner.email })
    expect((await login({ phone, password: PASSWORD })).status).toBe(200)
    expect((await login({ email: owner.email, password: PASSWORD })).status).toBe(200)
  })

  it('also asks the code again with POST /me/phone/verify-request (the newest code only)', async () => {
    const owner = await emailUser(box, VARS)
    const phone = newPhone()
    await patchMe(owner.access_token, { phone, current_password: PASSWORD }, VARS)
    const first = box.lastCode(phone)
    const again = await call('POST', '/api/v1/me/phone/verify-request', { token: owner.access_token, env: VARS, ip: newIp() })
    expect(again.status).toBe(202)
    const second = box.lastCode(phone)
    if (first !== second) await expectError(await confirmPhone(owner.access_token, first, VARS), 400, 'invalid_code')
    expect((await confirmPhone(owner.access_token, second, VARS)).status).toBe(200)
  })
})

describe('a code for another purpose', () => {
  it('does not confirm a phone with a login code texted to it', async () => {
    // An account whose phone an admin set is unverified: /me/phone/verify confirms it with a
    // phone_change code, and a login code (which goes to it: SPEC §5) must not do instead.
    const admin = await createSuperAdmin()
    const owner = await emailUser(box, VARS)
    const phone = newPhone()
    const set = await call('PATCH', `/api/v1/users/${owner.user.id}`, { json: { phone }, token: admin.access_token, env: VARS })
    expect(await json(set)).toMatchObject({ phone, phone_verified: false })
    const signedIn = await login({ email: owner.email, password: PASSWORD })
    const token = (await json(signedIn)).access_token as string
    expect((await login({ phone, use_otp: true })).status).toBe(202)
    const loginCode = box.lastCode(phone)
    await expectError(await confirmPhone(token, loginCode, VARS), 400, 'invalid_code')
    expect(await contactRow(owner.user.id)).toMatchObject({ phone, phone_verified: 0 })
    // Its own code does.
    expect((await call('POST', '/api/v1/me/phone/verify-request', { token, env: VARS, ip: newIp() })).status).toBe(202)
    expect(await json(await confirmPhone(token, box.lastCode(phone), VARS))).toMatchObject({ phone, phone_verified: true })
  })

  it("does not confirm another account's pending phone with this account's code", async () => {
    const [a, b] = [await activeUser(box, { env: VARS }), await activeUser(box, { env: VARS })]
    const [pa, pb] = [newPhone(), newPhone()]
    await patchMe(a.access_token, { phone: pa, current_password: PASSWORD }, VARS)
    await patchMe(b.access_token, { phone: pb, current_password: PASSWORD }, VARS)
    await expectError(await confirmPhone(b.access_token, box.lastCode(pa), VARS), 400, 'invalid_code')
    expect(await contactRow(b.user.id)).toMatchObject({ phone: b.phone, pending_phone: pb })
  })
})
