import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { newEmail, PASSWORD, signUp } from '../helpers/factories'
import { newIp } from '../helpers/otp'
import { type Outbox, outbox } from '../helpers/outbox'

// Holes an attacker's review of issue 14 found after it landed, each replayed as it was reported
// and now ending safely.

let box: Outbox
beforeEach(() => {
  box = outbox()
})
afterEach(() => box.restore())

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
