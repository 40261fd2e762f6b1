import { describe, expect, it } from 'vitest'
import { confirmEmail, patchMe } from '../helpers/account'
import { call, json } from '../helpers/app'
import { emailUser, lastEmail, linkIn } from '../helpers/email'
import { newEmail, newPhone, PASSWORD, register } from '../helpers/factories'
import { activeUser, newIp, verify } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { createSuperAdmin } from '../helpers/staff'

// SPEC §13 WELCOME_EMAIL=true: an account that completes its registration and has a verified
// email gets a welcome email (seed 001's registration.html), once.

const box = useOutbox()

const WELCOME = { WELCOME_EMAIL: 'true', OTP_RESEND_COOLDOWN_SECONDS: '0' }
type Vars = Record<string, string>

/** The welcome emails sent to `email`. */
const welcomes = (email: string) => box.to(email).filter((m) => m.channel === 'email' && /Welcome to edge-auth!/.test(m.text))

/** Registers a phone and an email and verifies the phone: an active account, its email unverified. */
async function phoneAndEmail(vars: Vars) {
  const phone = newPhone()
  const email = newEmail()
  expect((await register({ phone, email, name: 'Ahmed' }, { env: vars })).status).toBe(201)
  const res = await verify(phone, box.lastCode(phone), vars)
  expect(res.status).toBe(200)
  return { phone, email, ...(await json(res)) } as { phone: string; email: string; access_token: string; user: { id: string } }
}

/** Asks for a new code to the pending or unverified email and confirms it. */
async function verifyEmailByCode(accessToken: string, email: string, vars: Vars) {
  const asked = await call('POST', '/api/v1/auth/email/verify-request', { token: accessToken, env: vars, ip: newIp() })
  expect(asked.status).toBe(202)
  const res = await confirmEmail(accessToken, box.lastCode(email), vars)
  expect(res.status, await res.clone().text()).toBe(200)
}

describe('WELCOME_EMAIL=true', () => {
  it('welcomes an email-only registration once its code is verified, by name', async () => {
    const { email } = await emailUser(box, WELCOME, { name: 'Ahmed' })
    const sent = welcomes(email)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.text).toMatch(/^Hello Ahmed,\n/)
    expect(sent[0]?.text).not.toMatch(/\b\d{6}\b/) // no code, no link: a welcome
  })

  it('sends no welcome by default (WELCOME_EMAIL=false)', async () => {
    const { email } = await emailUser(box, { OTP_RESEND_COOLDOWN_SECONDS: '0' })
    expect(welcomes(email)).toHaveLength(0)
  })

  it('sends no email to an account registered by phone alone', async () => {
    await activeUser(box, { env: WELCOME })
    expect(box.messages().filter((m) => m.channel === 'email')).toHaveLength(0)
  })

  it('waits for the email of a phone registration to be verified, then welcomes it once', async () => {
    const { email, phone, access_token } = await phoneAndEmail(WELCOME)
    expect(welcomes(email)).toHaveLength(0)
    await verifyEmailByCode(access_token, email, WELCOME)
    expect(welcomes(email)).toHaveLength(1)
    // Signing in again, by email or phone, by password or code, sends no other.
    expect(
      (await call('POST', '/api/v1/auth/login', { json: { email, password: PASSWORD }, env: WELCOME, ip: newIp() })).status,
    ).toBe(200)
    expect((await call('POST', '/api/v1/auth/login', { json: { email, use_otp: true }, env: WELCOME, ip: newIp() })).status).toBe(
      202,
    )
    expect((await verify({ email }, box.lastCode(email), WELCOME)).status).toBe(200)
    expect((await call('POST', '/api/v1/auth/login', { json: { phone, use_otp: true }, env: WELCOME, ip: newIp() })).status).toBe(
      202,
    )
    expect((await verify(phone, box.lastCode(phone), WELCOME)).status).toBe(200)
    expect(welcomes(email)).toHaveLength(1)
  })

  it('under EMAIL_VERIFICATION=required, welcomes when the phone code completes a registration whose email link was used', async () => {
    const vars = { ...WELCOME, EMAIL_VERIFICATION: 'required' }
    const phone = newPhone()
    const email = newEmail()
    expect((await register({ phone, email }, { env: vars })).status).toBe(201)
    const link = linkIn(lastEmail(box, email), 'verify')
    expect(
      (await call('POST', '/api/v1/auth/email/verify', { json: { token: link.token }, env: vars, ip: newIp() })).status,
    ).toBe(200)
    expect(welcomes(email)).toHaveLength(0) // still pending: the registration is not complete
    expect((await verify(phone, box.lastCode(phone), vars)).status).toBe(200)
    expect(welcomes(email)).toHaveLength(1)
  })

  it('welcomes the first email an account adds and confirms later, not a later change of it', async () => {
    const { access_token } = await activeUser(box, { env: WELCOME })
    const first = newEmail()
    expect((await patchMe(access_token, { email: first, current_password: PASSWORD }, WELCOME)).status).toBe(200)
    expect((await confirmEmail(access_token, box.lastCode(first), WELCOME)).status).toBe(200)
    expect(welcomes(first)).toHaveLength(1)

    const second = newEmail()
    expect((await patchMe(access_token, { email: second, current_password: PASSWORD }, WELCOME)).status).toBe(200)
    expect((await confirmEmail(access_token, box.lastCode(second), WELCOME)).status).toBe(200)
    expect(welcomes(second)).toHaveLength(0)
  })

  it('welcomes an account once: an email an admin replaced, verified again, gets none', async () => {
    const { email, access_token, user } = await phoneAndEmail(WELCOME)
    await verifyEmailByCode(access_token, email, WELCOME)
    expect(welcomes(email)).toHaveLength(1)
    const admin = await createSuperAdmin()
    const replaced = newEmail()
    const patched = await call('PATCH', `/api/v1/users/${user.id}`, {
      token: admin.access_token,
      json: { email: replaced },
      env: WELCOME,
    })
    expect(await json(patched)).toMatchObject({ email: replaced, email_verified: false })
    await verifyEmailByCode(access_token, replaced, WELCOME)
    expect(box.messages().filter((m) => /Welcome to edge-auth!/.test(m.text))).toHaveLength(1)
  })

  it('welcomes a pending account with a verified email when an admin activates it', async () => {
    const vars = { ...WELCOME, EMAIL_VERIFICATION: 'required' }
    const phone = newPhone()
    const email = newEmail()
    expect((await register({ phone, email }, { env: vars })).status).toBe(201)
    const link = linkIn(lastEmail(box, email), 'verify')
    const confirmed = await call('POST', '/api/v1/auth/email/verify', { json: { token: link.token }, env: vars, ip: newIp() })
    const { user } = await json(confirmed)
    const admin = await createSuperAdmin()
    const activated = await call('PATCH', `/api/v1/users/${user.id}/activate`, { token: admin.access_token, env: vars })
    expect(activated.status).toBe(200)
    expect(welcomes(email)).toHaveLength(1)
    // Deactivated and activated again: no second welcome.
    expect((await call('PATCH', `/api/v1/users/${user.id}/deactivate`, { token: admin.access_token, env: vars })).status).toBe(
      200,
    )
    expect((await call('PATCH', `/api/v1/users/${user.id}/activate`, { token: admin.access_token, env: vars })).status).toBe(200)
    expect(welcomes(email)).toHaveLength(1)
  })

  it('records the welcome in the audit log', async () => {
    const { user } = await emailUser(box, WELCOME)
    const admin = await createSuperAdmin()
    const res = await call('GET', `/api/v1/audit?user_id=${user.id}&type=welcome_email_sent`, { token: admin.access_token })
    const { items } = await json(res)
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ type: 'welcome_email_sent', subject_id: user.id })
  })
})
