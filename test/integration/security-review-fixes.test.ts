import { env as testEnv } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { scryptRuns } from '../../src/crypto/password'
import { confirmPhone, patchMe } from '../helpers/account'
import { call, expectError, json } from '../helpers/app'
import { newEmail, newPhone, PASSWORD, signUp } from '../helpers/factories'
import { activeUser, newIp, verify, wrongCode } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'

// Holes an attacker's review of issue 14 found after it landed, each replayed as it was reported
// and now ending safely.

const box = useOutbox()

// No resend cooldown: the flows below send twice to one address within a minute.
const env = { OTP_RESEND_COOLDOWN_SECONDS: '0' }

describe('an email nobody proved gets no login code (account pre-hijacking)', () => {
  it('sends nothing to the unproven email of another account, so the victim cannot land in it', async () => {
    const victimEmail = newEmail()
    // The attacker: own phone (verified), the victim's email (never proved), own password.
    const attacker = await signUp(box, { email: victimEmail, password: 'Attacker-Pass9-2026', env })
    expect(attacker.user.email_verified).toBe(false)

    const asked = await call('POST', '/api/v1/auth/login', { json: { email: victimEmail, use_otp: true }, ip: newIp(), env })
    expect(asked.status).toBe(202) // the same answer as for any address
    expect(box.to(victimEmail)).toHaveLength(0)
    await expectError(
      await call('POST', '/api/v1/auth/verify', { json: { email: victimEmail, code: '000000' }, ip: newIp(), env }),
      400,
      'invalid_code',
    )
    // The victim registers their own address: the unproven claim gives way.
    const mine = await call('POST', '/api/v1/auth/register', {
      json: { email: victimEmail, password: PASSWORD },
      ip: newIp(),
      env,
    })
    expect(mine.status).toBe(201)
  })

  it('still sends a login code to an email its account proved', async () => {
    const email = newEmail()
    const user = await signUp(box, { email, env })
    const asked = await call('POST', '/api/v1/auth/email/verify-request', { token: user.access_token, ip: newIp(), env })
    expect(asked.status).toBe(202)
    const code = box.lastCode(email)
    const verified = await call('POST', '/api/v1/auth/email/verify', {
      token: user.access_token,
      json: { code },
      ip: newIp(),
      env,
    })
    expect(verified.status).toBe(200)
    box.clear()
    expect((await call('POST', '/api/v1/auth/login', { json: { email, use_otp: true }, ip: newIp(), env })).status).toBe(202)
    const signedIn = await call('POST', '/api/v1/auth/verify', { json: { email, code: box.lastCode(email) }, ip: newIp(), env })
    expect(signedIn.status).toBe(200)
    expect((await json(signedIn)).user.id).toBe(user.user.id)
  })
})

describe('/register over a live pending account is no uncounted password oracle', () => {
  // The production lockout (the test config raises the threshold out of the way).
  const LOCK = { LOGIN_LOCKOUT_THRESHOLD: '5', LOGIN_LOCKOUT_MAX_MINUTES: '60' }
  const registerAs = (phone: string, password: string, ip = newIp()) =>
    call('POST', '/api/v1/auth/register', { json: { phone, password }, ip, env: LOCK })

  it('counts wrong passwords like logins: the 6th from one address is 429 with no hash, and so is the right one', async () => {
    const phone = newPhone()
    expect((await registerAs(phone, PASSWORD)).status).toBe(201) // the victim's registration
    // 61 s pass: the victim's resend cooldown is over, the code lives on.
    await testEnv.DB.prepare('UPDATE otp_challenges SET created_at = created_at - 61000 WHERE destination = ?')
      .bind(`sms:${phone}`)
      .run()
    const ip = newIp()
    for (let i = 0; i < 5; i++) await expectError(await registerAs(phone, `Guess-Number${i}x`, ip), 409, 'phone_taken')
    const before = scryptRuns.count
    const locked = await expectError(await registerAs(phone, 'Guess-Number5x', ip), 429, 'rate_limited')
    expect(locked.detail).toBeTruthy()
    await expectError(await registerAs(phone, PASSWORD, ip), 429, 'rate_limited') // the right one is not told apart
    expect(scryptRuns.count - before).toBe(0)
    expect(box.to(phone)).toHaveLength(1) // the victim's own code only
    // Counted per client IP bucket: the registrant, from their own address, is not locked out.
    expect((await registerAs(phone, PASSWORD)).status).toBe(201)
    expect(box.to(phone)).toHaveLength(2)
  })
})

describe('OTP sign-up is not hijacked by a registration of the same phone', () => {
  const SIGNUP = { OTP_SIGNUP: 'true' }

  it('refuses the registration while the sign-up code lives; the person signs up with their own code', async () => {
    const phone = newPhone()
    const asked = await call('POST', '/api/v1/auth/login', { json: { phone, use_otp: true }, ip: newIp(), env: SIGNUP })
    expect(asked.status).toBe(202)
    const signupCode = box.lastCode(phone)
    // 61 s later: the phone's resend cooldown is over, the sign-up code lives on.
    await testEnv.DB.prepare('UPDATE otp_challenges SET created_at = created_at - 61000 WHERE destination = ?')
      .bind(`sms:${phone}`)
      .run()
    const reg = await call('POST', '/api/v1/auth/register', {
      json: { phone, password: 'Attacker-Pass9-2026', name: 'Support Desk' },
      ip: newIp(),
      env: SIGNUP,
    })
    await expectError(reg, 409, 'phone_taken')
    expect(box.to(phone)).toHaveLength(1) // nothing texted for the attacker

    const res = await call('POST', '/api/v1/auth/verify', { json: { phone, code: signupCode }, ip: newIp(), env: SIGNUP })
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ phone, name: null })
    const login = { json: { phone, password: 'Attacker-Pass9-2026' }, ip: newIp(), env: SIGNUP }
    await expectError(await call('POST', '/api/v1/auth/login', login), 401, 'invalid_credentials')
  })
})

describe('found by the final review', () => {
  it('a refused PATCH /me of another account does not kill a pending phone change’s code', async () => {
    const vars = { OTP_RESEND_COOLDOWN_SECONDS: '0' }
    const victim = await activeUser(box, { env: vars })
    const attacker = await activeUser(box, { env: vars })
    const phone = newPhone()
    expect((await patchMe(victim.access_token, { phone, current_password: PASSWORD }, vars)).status).toBe(200)
    const code = box.lastCode(phone)
    // Without the password: refused before anything is sent, and the victim's code lives on.
    await expectError(await patchMe(attacker.access_token, { phone }, vars), 403, 'reauthentication_required')
    const confirmed = await confirmPhone(victim.access_token, code, vars)
    expect(confirmed.status).toBe(200)
    expect((await json(confirmed)).phone).toBe(phone)
  })

  it('an accepted PATCH /me still replaces the address’s older code', async () => {
    const vars = { OTP_RESEND_COOLDOWN_SECONDS: '0' }
    const user = await activeUser(box, { env: vars })
    const phone = newPhone()
    expect((await patchMe(user.access_token, { phone, current_password: PASSWORD }, vars)).status).toBe(200)
    const first = box.lastCode(phone)
    expect((await patchMe(user.access_token, { phone, current_password: PASSWORD }, vars)).status).toBe(200)
    await expectError(await confirmPhone(user.access_token, first, vars), 400, 'invalid_code')
    expect((await confirmPhone(user.access_token, box.lastCode(phone), vars)).status).toBe(200)
  })

  it('with OTP_SIGNUP, a dead sign-up code (out of guesses) no longer blocks a registration', async () => {
    const vars = { OTP_RESEND_COOLDOWN_SECONDS: '0', OTP_SIGNUP: 'true' }
    const phone = newPhone()
    expect((await call('POST', '/api/v1/auth/login', { json: { phone, use_otp: true }, env: vars, ip: newIp() })).status).toBe(
      202,
    )
    const code = box.lastCode(phone)
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await verify(phone, wrongCode(code), vars)).status)
    expect(statuses).toEqual([400, 400, 400, 429])
    const reg = await call('POST', '/api/v1/auth/register', { json: { phone, password: PASSWORD }, env: vars, ip: newIp() })
    expect(reg.status).toBe(201)
  })
})
