import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { scryptRuns } from '../../src/crypto/password'
import { confirmEmail, confirmPhone, patchMe } from '../helpers/account'
import { call, expectError, json } from '../helpers/app'
import { newEmail, newPhone, PASSWORD } from '../helpers/factories'
import { type FakeFetch, fakeFetch } from '../helpers/fake-fetch'
import { activeUser, newIp } from '../helpers/otp'
import { type Outbox, outbox } from '../helpers/outbox'

// The account-change holes of the issue 14 security review (branch `review`, review-*.test.ts),
// each replayed as the reviewer's attack sequence and asserted to end safely.

const ATTACKER_PASSWORD = 'Attacker-Pass9-2026'
const LIMITS = { LOGIN_LOCKOUT_THRESHOLD: '5', LOGIN_LOCKOUT_MAX_MINUTES: '60', AUTH_REQUESTS_PER_IP_PER_MINUTE: '30' }

let box: Outbox
beforeEach(() => {
  box = outbox()
})
afterEach(() => box.restore())

/** Moves the codes sent to `destination` 61 s into the past: its resend cooldown is over. */
const pastCooldown = (destination: string) =>
  env.DB.prepare('UPDATE otp_challenges SET created_at = created_at - 61000 WHERE destination = ?').bind(destination).run()

/** Expires the `register` codes sent to `destination` (a pending registration nobody finished). */
const expireRegistration = (destination: string) =>
  env.DB.prepare("UPDATE otp_challenges SET expires_at = ? WHERE destination = ? AND purpose = 'register'")
    .bind(Date.now() - 1000, destination)
    .run()

const verifyLinkOf = (mail: { text?: string } | undefined) =>
  /https?:\/\/\S+\/api\/v1\/auth\/email\/verify\?token=([A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1]

const clickLink = (token: string | undefined) =>
  call('POST', '/api/v1/auth/email/verify', {
    body: `token=${token}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    ip: newIp(),
  })

describe('review 3: an email change over a live pending registration', () => {
  it('PATCH /me refuses the victim’s live pending email (409 email_taken) and mails nothing; the victim’s sign-up survives', async () => {
    const victimEmail = newEmail()
    expect(
      (await call('POST', '/api/v1/auth/register', { json: { email: victimEmail, password: PASSWORD }, ip: newIp() })).status,
    ).toBe(201)
    const registerCode = box.lastCode(victimEmail)
    await pastCooldown(`email:${victimEmail}`)
    const attacker = await activeUser(box)
    box.clear()
    await expectError(
      await patchMe(attacker.access_token, { email: victimEmail, current_password: PASSWORD }),
      409,
      'email_taken',
    )
    expect(box.to(victimEmail)).toHaveLength(0)
    const me = await json(await call('GET', '/api/v1/me', { token: attacker.access_token }))
    expect(me.email).not.toBe(victimEmail)
    // The victim's own code still activates the victim's own account.
    const verified = await call('POST', '/api/v1/auth/verify', { json: { email: victimEmail, code: registerCode }, ip: newIp() })
    expect(verified.status).toBe(200)
    expect((await json(verified)).user.email).toBe(victimEmail)
  })

  it('a registration made after the change: its link and code answer 409 without being used, until that registration’s code expires', async () => {
    const attacker = await activeUser(box)
    const victimEmail = newEmail()
    box.clear()
    expect((await patchMe(attacker.access_token, { email: victimEmail, current_password: PASSWORD })).status).toBe(200)
    const link = verifyLinkOf(box.to(victimEmail).at(-1))
    const changeCode = box.lastCode(victimEmail)
    expect(link).toBeTruthy()
    await pastCooldown(`email:${victimEmail}`)
    // The victim signs up meanwhile, then clicks the attacker's "Verify my email" mail.
    expect(
      (await call('POST', '/api/v1/auth/register', { json: { email: victimEmail, password: PASSWORD }, ip: newIp() })).status,
    ).toBe(201)
    const registerCode = box.lastCode(victimEmail)
    await expectError(await clickLink(link), 409, 'email_taken')
    await expectError(await clickLink(link), 409, 'email_taken') // not used up by the refusal
    await expectError(await confirmEmail(attacker.access_token, changeCode), 409, 'email_taken')
    const me = await json(await call('GET', '/api/v1/me', { token: attacker.access_token }))
    expect(me.email).not.toBe(victimEmail)
    const verified = await call('POST', '/api/v1/auth/verify', { json: { email: victimEmail, code: registerCode }, ip: newIp() })
    expect(verified.status).toBe(200)
  })

  it('a pending registration whose code expired reserves nothing: the change’s unused code then confirms the email', async () => {
    const attacker = await activeUser(box)
    const email = newEmail()
    expect((await patchMe(attacker.access_token, { email, current_password: PASSWORD })).status).toBe(200)
    const changeCode = box.lastCode(email)
    await pastCooldown(`email:${email}`)
    expect((await call('POST', '/api/v1/auth/register', { json: { email, password: PASSWORD }, ip: newIp() })).status).toBe(201)
    await expectError(await confirmEmail(attacker.access_token, changeCode), 409, 'email_taken')
    await expireRegistration(`email:${email}`)
    const confirmed = await confirmEmail(attacker.access_token, changeCode)
    expect(confirmed.status).toBe(200)
    expect(await json(confirmed)).toMatchObject({ email, email_verified: true })
  })
})

describe('review 4: hashing with a token is limited per IP before the password is checked', () => {
  it('40 change-passwords from one IP in a minute: 30 answered, then 429 rate_limited at no hash', async () => {
    const me = await activeUser(box, { env: LIMITS })
    const ip = newIp()
    let current = PASSWORD
    const before = scryptRuns.count
    for (let i = 0; i < 40; i++) {
      const next = current === PASSWORD ? ATTACKER_PASSWORD : PASSWORD
      const res = await call('POST', '/api/v1/auth/change-password', {
        token: me.access_token,
        ip,
        env: LIMITS,
        json: { old_password: current, new_password: next },
      })
      if (i < 30) {
        expect(res.status).toBe(200)
        current = next
      } else {
        await expectError(res, 429, 'rate_limited')
        expect(res.headers.get('retry-after')).toBeTruthy()
      }
    }
    expect(scryptRuns.count - before).toBe(60) // 30 × (check the old, hash the new); the 10 refused cost nothing
  }, 30_000)

  it('PATCH /me refused by the send cooldown costs no hash', async () => {
    const me = await activeUser(box, { env: LIMITS })
    const ip = newIp()
    const email = newEmail()
    const patch = () =>
      call('PATCH', '/api/v1/me', { token: me.access_token, ip, env: LIMITS, json: { email, current_password: PASSWORD } })
    expect((await patch()).status).toBe(200)
    const before = scryptRuns.count
    for (let i = 0; i < 20; i++) await expectError(await patch(), 429, 'otp_cooldown')
    expect(scryptRuns.count - before).toBe(0)
  }, 30_000)

  it('DELETE /me: 30 wrong passwords from one IP are checked, then 429 rate_limited at no hash', async () => {
    const vars = { ...LIMITS, LOGIN_LOCKOUT_THRESHOLD: '1000' }
    const me = await activeUser(box, { env: vars })
    const ip = newIp()
    const before = scryptRuns.count
    for (let i = 0; i < 35; i++) {
      const res = await call('DELETE', '/api/v1/me', {
        token: me.access_token,
        ip,
        env: vars,
        json: { password: 'Wrong-Pass9-2026' },
      })
      if (i < 30) await expectError(res, 401, 'invalid_credentials')
      else await expectError(res, 429, 'rate_limited')
    }
    expect(scryptRuns.count - before).toBe(30)
    // The owner, from elsewhere, still deletes the account.
    expect(
      (await call('DELETE', '/api/v1/me', { token: me.access_token, ip: newIp(), env: vars, json: { password: PASSWORD } }))
        .status,
    ).toBe(204)
  }, 30_000)

  it('PATCH /me with a wrong password: the reservation is released (the owner’s next change is not held by a cooldown)', async () => {
    const me = await activeUser(box)
    const phone = newPhone()
    box.clear()
    await expectError(await patchMe(me.access_token, { phone, current_password: 'Wrong-Pass9-2026' }), 401, 'invalid_credentials')
    expect(box.to(phone)).toHaveLength(0)
    expect((await patchMe(me.access_token, { phone, current_password: PASSWORD })).status).toBe(200)
    expect(box.lastCode(phone)).toMatch(/^\d+$/)
  })
})

describe('review 10: a pending registration of the new phone', () => {
  it('a live one: 409 phone_taken without using the owner’s code; once its code expires the same code moves the phone', async () => {
    const owner = await activeUser(box)
    const newNumber = newPhone()
    expect((await patchMe(owner.access_token, { phone: newNumber, current_password: PASSWORD })).status).toBe(200)
    const code = box.lastCode(newNumber)
    await pastCooldown(`sms:${newNumber}`)
    expect(
      (await call('POST', '/api/v1/auth/register', { json: { phone: newNumber, password: ATTACKER_PASSWORD }, ip: newIp() }))
        .status,
    ).toBe(201)
    const attackerCode = box.lastCode(newNumber)
    await expectError(await confirmPhone(owner.access_token, code), 409, 'phone_taken')
    await expectError(await confirmPhone(owner.access_token, code), 409, 'phone_taken') // not burned
    await expireRegistration(`sms:${newNumber}`)
    const moved = await confirmPhone(owner.access_token, code)
    expect(moved.status).toBe(200)
    expect(await json(moved)).toMatchObject({ phone: newNumber, phone_verified: true })
    // The stale registration is gone: its code and its password lead nowhere.
    await expectError(
      await call('POST', '/api/v1/auth/verify', { json: { phone: newNumber, code: attackerCode }, ip: newIp() }),
      400,
      'invalid_code',
    )
    const login = await call('POST', '/api/v1/auth/login', { json: { phone: newNumber, password: PASSWORD }, ip: newIp() })
    expect((await json(login)).user.id).toBe(owner.user.id)
  })

  it('PATCH /me: a live pending registration is 409 phone_taken, an expired one reserves nothing', async () => {
    const owner = await activeUser(box)
    const held = newPhone()
    expect((await call('POST', '/api/v1/auth/register', { json: { phone: held, password: PASSWORD }, ip: newIp() })).status).toBe(
      201,
    )
    await pastCooldown(`sms:${held}`)
    await expectError(await patchMe(owner.access_token, { phone: held, current_password: PASSWORD }), 409, 'phone_taken')
    await expireRegistration(`sms:${held}`)
    expect((await patchMe(owner.access_token, { phone: held, current_password: PASSWORD })).status).toBe(200)
  })
})

describe('review 11: PATCH /me does not answer whether a phone is registered without bound', () => {
  it('40 probes from one IP: at most 30 answered, the rest 429 rate_limited', async () => {
    const victim = await activeUser(box, { env: LIMITS })
    const attacker = await activeUser(box, { env: LIMITS })
    await pastCooldown(`sms:${victim.phone}`)
    const ip = newIp()
    const statuses: string[] = []
    for (let i = 0; i < 40; i++) {
      const res = await call('PATCH', '/api/v1/me', {
        token: attacker.access_token,
        ip,
        env: LIMITS,
        json: { phone: victim.phone, current_password: PASSWORD },
      })
      statuses.push(`${res.status} ${(await json(res)).error}`)
    }
    expect(statuses.slice(0, 30).every((s) => s === '409 phone_taken')).toBe(true)
    expect(statuses.slice(30).every((s) => s === '429 rate_limited')).toBe(true)
  }, 60_000)

  it('only the password’s holder is told: without it (or with a wrong one) a registered number is not 409', async () => {
    const victim = await activeUser(box)
    const attacker = await activeUser(box)
    await pastCooldown(`sms:${victim.phone}`)
    box.clear()
    await expectError(await patchMe(attacker.access_token, { phone: victim.phone }), 403, 'reauthentication_required')
    await expectError(
      await patchMe(attacker.access_token, { phone: victim.phone, current_password: 'Wrong-Pass9-2026' }),
      401,
      'invalid_credentials',
    )
    // No text reached the victim's number, and no cooldown was left on it: the owner of the password is told.
    expect(box.to(victim.phone)).toHaveLength(0)
    await expectError(
      await patchMe(attacker.access_token, { phone: victim.phone, current_password: PASSWORD }),
      409,
      'phone_taken',
    )
  })
})

describe('review 12: PATCH /me runs the Turnstile check before sending a code or a link', () => {
  const BASE = 'https://turnstile.test'
  const ON = { TURNSTILE_SECRET_KEY: 'ts-secret', TURNSTILE_API_BASE: BASE }
  let siteverify: FakeFetch
  beforeEach(() => {
    siteverify = fakeFetch(BASE, () => Response.json({ success: false })).install()
  })
  afterEach(() => siteverify.restore())

  const patch = (token: string, body: object) => call('PATCH', '/api/v1/me', { token, env: ON, ip: newIp(), json: body })

  it('a new email or phone without a token, or with a refused one: 400 turnstile_failed, nothing sent', async () => {
    const me = await activeUser(box)
    const email = newEmail()
    const phone = newPhone()
    box.clear()
    await expectError(await patch(me.access_token, { email, current_password: PASSWORD }), 400, 'turnstile_failed')
    await expectError(await patch(me.access_token, { phone, current_password: PASSWORD }), 400, 'turnstile_failed')
    await expectError(
      await patch(me.access_token, { email, current_password: PASSWORD, turnstile_token: 'bad' }),
      400,
      'turnstile_failed',
    )
    expect(box.to(email)).toHaveLength(0)
    expect(box.to(phone)).toHaveLength(0)
    // Checked before authentication too: no token, no account needed to be refused.
    await expectError(await patch('not-a-token', { email }), 400, 'turnstile_failed')
  })

  it('a good token lets the change through; a name change needs none', async () => {
    const me = await activeUser(box)
    const email = newEmail()
    siteverify.reply(() => Response.json({ success: true }))
    const res = await patch(me.access_token, { email, current_password: PASSWORD, turnstile_token: 'good' })
    expect(res.status).toBe(200)
    expect(box.to(email)).toHaveLength(1)
    expect((await patch(me.access_token, { name: 'Aziz' })).status).toBe(200)
  })
})
