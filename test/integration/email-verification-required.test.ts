import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { lastEmail, linkIn } from '../helpers/email'
import { login, newEmail, newPhone, PASSWORD, register } from '../helpers/factories'
import { expectOAuthError, expectTokens, token } from '../helpers/oauth'
import { newIp, verify } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { countTrips } from '../helpers/round-trips'

// SPEC §13 EMAIL_VERIFICATION=required: an email its holder has not verified signs nobody in and
// receives no codes or links (but the verification ones), and a registration by phone that gives
// an email sends that email a verification code and link too.

const box = useOutbox({ quietErrors: true })

// No resend cooldown: the registration's mail would hold back the next code to the email for a minute.
const REQUIRED = { EMAIL_VERIFICATION: 'required', OTP_RESEND_COOLDOWN_SECONDS: '0' }
type Vars = Record<string, string>

/** Registers a phone and an email and verifies the phone's code: an active account whose email is unverified. */
async function phoneAndEmail(vars: Vars = REQUIRED) {
  const phone = newPhone()
  const email = newEmail()
  expect((await register({ phone, email, name: 'Ahmed' }, { env: vars })).status).toBe(201)
  const res = await verify(phone, box.lastCode(phone), vars)
  expect(res.status, await res.clone().text()).toBe(200)
  return { phone, email, ...(await json(res)) } as { phone: string; email: string; access_token: string; user: { id: string } }
}

/** An answer with its request id blanked, to compare two answers. */
async function answerOf(res: Response) {
  return { status: res.status, body: { ...(await json(res)), request_id: '' } }
}

describe('EMAIL_VERIFICATION=required: registration', () => {
  it('emails a verification code and link to the email of a registration by phone', async () => {
    const phone = newPhone()
    const email = newEmail()
    expect((await register({ phone, email, name: 'Ahmed' }, { env: REQUIRED })).status).toBe(201)
    expect(box.to(phone)).toHaveLength(1) // the registration's own code, by text
    const mails = box.to(email)
    expect(mails).toHaveLength(1)
    const text = mails[0]?.text ?? ''
    expect(text).toMatch(/\b\d{6}\b/)
    linkIn(text, 'verify')
    // The address is not proved: the mail carries only the service's words, not the name.
    expect(text).not.toContain('Ahmed')
  })

  it("registers all the same when the email's send limits hold its mail back (a warning, no error)", async () => {
    const vars = { EMAIL_VERIFICATION: 'required' } // the default 60 s cooldown
    const phone = newPhone()
    const email = newEmail()
    // A code asked for the email a moment ago (for nobody: the address is unknown) starts its cooldown.
    expect((await login({ email, use_otp: true }, { env: vars })).status).toBe(202)
    expect((await register({ phone, email }, { env: vars })).status).toBe(201)
    expect(box.to(phone)).toHaveLength(1)
    expect(box.to(email)).toHaveLength(0)
    const logged = box.errorLines().map((l) => JSON.parse(l))
    expect(logged).toEqual([expect.objectContaining({ level: 'warn', reason: 'otp_cooldown' })])
    expect((await verify(phone, box.lastCode(phone), vars)).status).toBe(200)
  })

  it('sends the email nothing under EMAIL_VERIFICATION=optional (the default)', async () => {
    const phone = newPhone()
    const email = newEmail()
    expect((await register({ phone, email })).status).toBe(201)
    expect(box.to(phone)).toHaveLength(1)
    expect(box.to(email)).toHaveLength(0)
  })

  it('sends an email-only registration its one register code', async () => {
    const email = newEmail()
    expect((await register({ email }, { env: REQUIRED })).status).toBe(201)
    expect(box.to(email)).toHaveLength(1)
    expect(lastEmail(box, email)).not.toMatch(/auth\/email\/verify\?token=/)
  })

  it('lets the link verify the email of the pending account, which still needs its phone code', async () => {
    const phone = newPhone()
    const email = newEmail()
    expect((await register({ phone, email }, { env: REQUIRED })).status).toBe(201)
    const link = linkIn(lastEmail(box, email), 'verify')
    const confirmed = await call('POST', '/api/v1/auth/email/verify', { json: { token: link.token }, env: REQUIRED, ip: newIp() })
    expect(confirmed.status).toBe(200)
    expect((await json(confirmed)).user).toMatchObject({ email, email_verified: true, status: 'pending' })
    // The email signs nothing in while the account is pending.
    await expectError(await login({ email, password: PASSWORD }, { env: REQUIRED }), 403, 'unverified_account')
    expect((await verify(phone, box.lastCode(phone), REQUIRED)).status).toBe(200)
    expect((await login({ email, password: PASSWORD }, { env: REQUIRED })).status).toBe(200)
  })
})

describe('EMAIL_VERIFICATION=required: an unverified email signs nobody in', () => {
  it('refuses a password login by the unverified email with 403 email_not_verified, the phone still signs in', async () => {
    const { phone, email } = await phoneAndEmail()
    const body = await expectError(await login({ email, password: PASSWORD }, { env: REQUIRED }), 403, 'email_not_verified')
    expect(body.detail).toMatch(/[Vv]erify/)
    expect((await login({ phone, password: PASSWORD }, { env: REQUIRED })).status).toBe(200)
    // The same account under the default (optional) signs in with its email.
    expect((await login({ email, password: PASSWORD })).status).toBe(200)
  })

  it('tells nothing without the right password: a wrong one answers like an unknown email', async () => {
    const { email } = await phoneAndEmail()
    const wrong = await answerOf(await login({ email, password: 'Wrong-Passw0rd' }, { env: REQUIRED }))
    const unknown = await answerOf(await login({ email: newEmail(), password: PASSWORD }, { env: REQUIRED }))
    expect(wrong.status).toBe(401)
    expect(wrong).toEqual(unknown)
  })

  it('refuses the OAuth password grant with the unverified email as username, with or without grant_type', async () => {
    const { phone, email } = await phoneAndEmail()
    await expectOAuthError(
      await token({ grant_type: 'password', username: email, password: PASSWORD }, REQUIRED),
      400,
      'invalid_grant',
    )
    await expectOAuthError(await token({ username: email, password: PASSWORD }, REQUIRED), 400, 'invalid_grant')
    await expectTokens(await token({ grant_type: 'password', username: phone, password: PASSWORD }, REQUIRED))
  })

  it('sends no login code to the unverified email and answers like an unknown email; the verification code signs nothing in', async () => {
    const { email } = await phoneAndEmail()
    const verificationCode = box.lastCode(email) // emailed at registration
    box.clear()
    const stranger = newEmail()
    const sent = await answerOf(await login({ email, use_otp: true }, { env: REQUIRED }))
    const unknown = await answerOf(await login({ email: stranger, use_otp: true }, { env: REQUIRED }))
    expect(sent.status).toBe(202)
    expect(sent).toEqual(unknown)
    expect(box.to(email)).toHaveLength(0)
    // The code of the verification mail is for verifying the email, not for signing in with it.
    const withCode = await answerOf(await verify({ email }, verificationCode, REQUIRED))
    const guessed = await answerOf(await verify({ email: stranger }, verificationCode, REQUIRED))
    expect(withCode).toEqual({ status: 400, body: expect.objectContaining({ error: 'invalid_code' }) })
    expect(withCode).toEqual(guessed)
  })

  it('sends no reset code or link to the unverified email and answers like an unknown email', async () => {
    const { email } = await phoneAndEmail()
    const verificationCode = box.lastCode(email)
    box.clear()
    const reset = (who: string) =>
      call('POST', '/api/v1/auth/reset-password', { json: { email: who }, env: REQUIRED, ip: newIp() })
    const mine = await answerOf(await reset(email))
    const unknown = await answerOf(await reset(newEmail()))
    expect(mine.status).toBe(202)
    expect(mine).toEqual(unknown)
    expect(box.to(email)).toHaveLength(0)
    const confirm = await call('POST', '/api/v1/auth/confirm-reset', {
      json: { email, code: verificationCode, new_password: 'Carthage-Vent7-2027' },
      env: REQUIRED,
      ip: newIp(),
    })
    await expectError(confirm, 400, 'invalid_code')
    expect((await login({ email, password: 'Carthage-Vent7-2027' })).status).toBe(401)
  })

  it('decides from the row the login reads: a refused sign-in makes one D1 call, no KV call', async () => {
    const { email } = await phoneAndEmail()
    const count = await countTrips(() => login({ email, password: PASSWORD }, { env: REQUIRED }))
    expect(count.response.status).toBe(403)
    expect(count.before).toEqual({ d1: 1, kvRead: 0, kvWrite: 0 })
  })
})

describe('EMAIL_VERIFICATION=required: once the email is verified', () => {
  it('signs in with the email verified by the link of the registration mail: password, token grant, login code', async () => {
    const { email, user } = await phoneAndEmail()
    const link = linkIn(lastEmail(box, email), 'verify')
    expect(
      (await call('POST', '/api/v1/auth/email/verify', { json: { token: link.token }, env: REQUIRED, ip: newIp() })).status,
    ).toBe(200)

    const res = await login({ email, password: PASSWORD }, { env: REQUIRED })
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ id: user.id, email_verified: true })
    await expectTokens(await token({ username: email, password: PASSWORD }, REQUIRED))
    box.clear()
    expect((await login({ email, use_otp: true }, { env: REQUIRED })).status).toBe(202)
    expect((await verify({ email }, box.lastCode(email), REQUIRED)).status).toBe(200)
  })

  it('verifies it with the code of the registration mail too, once signed in by phone', async () => {
    const { email, access_token } = await phoneAndEmail()
    const code = box.lastCode(email)
    const res = await call('POST', '/api/v1/auth/email/verify', {
      token: access_token,
      json: { code },
      env: REQUIRED,
      ip: newIp(),
    })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ email, email_verified: true })
    expect((await login({ email, password: PASSWORD }, { env: REQUIRED })).status).toBe(200)
  })
})

describe('the OpenAPI document', () => {
  it('lists email_not_verified among the error codes', async () => {
    const { components } = await json(await call('GET', '/api/v1/openapi.json'))
    expect(components.schemas.Error.properties.error.enum).toContain('email_not_verified')
  })
})
