import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { allAuditRows } from '../helpers/audit'
import { login, PASSWORD } from '../helpers/factories'
import { claimsOf, enrolTotp, expectMfaRequired, mfaVerify, totpCode } from '../helpers/mfa'
import { activeUser, newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { assertionFor, enrol, verifyAssertion } from '../helpers/passkeys'
import { getMe } from '../helpers/sessions'

// SPEC §14 (issue 19): a passkey as the second factor of a password or code sign-in. Holding a
// passkey turns MFA on (method `passkey`); the client asks POST /auth/passkey/options with the
// same identifier and sends the assertion to POST /auth/mfa/verify { mfa_token, passkey }.

const box = useOutbox()
const API = '/api/v1'
const FAST = { OTP_RESEND_COOLDOWN_SECONDS: '0' }

/** An active user (phone + password) holding one passkey, MFA off. */
async function passkeyHolder(vars?: Record<string, string>) {
  const user = await activeUser(box, { env: vars })
  const enrolled = await enrol(user.access_token, { env: vars })
  return { ...user, ...enrolled }
}

/** A passkey holder with MFA on (TOTP confirmed): the passkey is one more second factor. */
async function passkeyUser(vars?: Record<string, string>) {
  const user = await passkeyHolder(vars)
  const { secret } = await enrolTotp(user.access_token, vars)
  return { ...user, secret }
}

const BOTH = ['totp', 'recovery_code', 'passkey']

const mfaMethods = async (userId: string) =>
  (await env.DB.prepare('SELECT mfa_methods AS m FROM users WHERE id = ?').bind(userId).first<{ m: number }>())?.m
const attemptsOf = async (userId: string) =>
  (
    await env.DB.prepare('SELECT attempts FROM mfa_tokens WHERE user_id = ? ORDER BY created_at DESC').bind(userId).first<{
      attempts: number
    }>()
  )?.attempts
const sessionsOf = async (userId: string) =>
  (await env.DB.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ?').bind(userId).first<{ n: number }>())?.n

async function events(type: string, userId: string) {
  return (await allAuditRows())
    .filter((r) => r.type === type && r.subject_id === userId)
    .map((r) => ({ ...r, detail: JSON.parse(String(r.detail ?? 'null')) }))
}

const passwordLogin = (phone: string) => login({ phone, password: PASSWORD })

describe('a passkey holder signing in with a password', () => {
  it('gets 403 mfa_required with methods [totp, recovery_code, passkey], then signs in with an assertion: amr pwd+hwk+mfa', async () => {
    const user = await passkeyUser()
    expect(await mfaMethods(user.user.id)).toBe(3)
    const before = await sessionsOf(user.user.id)
    const mfaToken = await expectMfaRequired(await passwordLogin(user.phone), BOTH)
    expect(await sessionsOf(user.user.id)).toBe(before)

    // The client asks for request options with the same identifier: they list this user's passkey.
    const passkey = await assertionFor(user.authenticator, { phone: user.phone })
    const res = await mfaVerify({ mfa_token: mfaToken, passkey })
    expect(res.status, await res.clone().text()).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await json(res)
    expect(body.user.id).toBe(user.user.id)
    expect(claimsOf(body.access_token).amr).toEqual(['pwd', 'hwk', 'mfa'])
    expect((await getMe(body.access_token)).status).toBe(200)
    expect(await sessionsOf(user.user.id)).toBe((before ?? 0) + 1)

    const row = await env.DB.prepare('SELECT counter, last_used_at FROM passkeys WHERE id = ?')
      .bind(user.passkey.id)
      .first<{ counter: number; last_used_at: number | null }>()
    expect(row?.counter).toBe(user.authenticator.counter)
    expect(row?.last_used_at).not.toBeNull()
    const [ok] = await events('login_succeeded', user.user.id).then((e) => e.slice(-1))
    expect(ok?.detail).toMatchObject({ method: 'password', second_factor: 'passkey' })
    // The mfa token is spent.
    const again = await assertionFor(user.authenticator, { phone: user.phone })
    await expectError(await mfaVerify({ mfa_token: mfaToken, passkey: again }), 401, 'invalid_token')
  })

  it('accepts an assertion without user verification (user presence only) as the second factor', async () => {
    const user = await passkeyUser()
    const mfaToken = await expectMfaRequired(await passwordLogin(user.phone), BOTH)
    const passkey = await assertionFor(user.authenticator, { phone: user.phone }, { ceremony: { uv: false } })
    const res = await mfaVerify({ mfa_token: mfaToken, passkey })
    expect(res.status, await res.clone().text()).toBe(200)
    expect(claimsOf((await json(res)).access_token).amr).toEqual(['pwd', 'hwk', 'mfa'])
    // The same kind of assertion is no sign-in on its own.
    const alone = await assertionFor(user.authenticator, { phone: user.phone }, { ceremony: { uv: false } })
    await expectError(await verifyAssertion(alone), 401, 'invalid_credentials')
  })

  it('refuses an assertion without user presence, from another origin, or with a forged signature', async () => {
    const user = await passkeyUser()
    const mfaToken = await expectMfaRequired(await passwordLogin(user.phone), BOTH)
    const noUp = await assertionFor(user.authenticator, { phone: user.phone }, { ceremony: { up: false } })
    await expectError(await mfaVerify({ mfa_token: mfaToken, passkey: noUp }), 401, 'invalid_credentials')
    const elsewhere = await assertionFor(
      user.authenticator,
      { phone: user.phone },
      { ceremony: { origin: 'https://evil.example' } },
    )
    await expectError(await mfaVerify({ mfa_token: mfaToken, passkey: elsewhere }), 401, 'invalid_credentials')
    // biome-ignore lint/suspicious/noExplicitAny: test data
    const forged: any = await assertionFor(user.authenticator, { phone: user.phone })
    forged.response.signature = `${forged.response.signature.slice(0, -4)}AAAA`
    await expectError(await mfaVerify({ mfa_token: mfaToken, passkey: forged }), 401, 'invalid_credentials')
    expect(await attemptsOf(user.user.id)).toBe(3)
    const reasons = (await events('mfa_failed', user.user.id)).map((e) => e.detail.reason)
    expect(reasons.slice(0, 2)).toEqual(['user_presence_required', 'origin_not_allowed'])
    const passkey = await assertionFor(user.authenticator, { phone: user.phone })
    expect((await mfaVerify({ mfa_token: mfaToken, passkey })).status).toBe(200)
  })

  it('refuses a replayed assertion (its challenge is single use), spending an attempt, even with a counter kept at 0', async () => {
    const user = await passkeyUser()
    const first = await expectMfaRequired(await passwordLogin(user.phone), BOTH)
    // An authenticator that counts nothing (counter 0): only the challenge stops a replay.
    const passkey = await assertionFor(user.authenticator, { phone: user.phone }, { ceremony: { counter: 0 } })
    expect((await mfaVerify({ mfa_token: first, passkey })).status).toBe(200)

    const second = await expectMfaRequired(await passwordLogin(user.phone), BOTH)
    const body = await expectError(await mfaVerify({ mfa_token: second, passkey }), 401, 'invalid_credentials')
    expect(body.detail).toMatch(/challenge/)
    expect(await attemptsOf(user.user.id)).toBe(1)
    expect((await events('mfa_failed', user.user.id)).at(-1)?.detail).toMatchObject({
      method: 'passkey',
      reason: 'challenge_unknown',
    })
    // No clone alarm for a replay.
    expect(await events('passkey_counter_mismatch', user.user.id)).toEqual([])
  })

  it('refuses an assertion a passkey sign-in used already', async () => {
    const user = await passkeyUser()
    const passkey = await assertionFor(user.authenticator, { phone: user.phone })
    expect((await verifyAssertion(passkey)).status).toBe(200)
    const mfaToken = await expectMfaRequired(await passwordLogin(user.phone), BOTH)
    await expectError(await mfaVerify({ mfa_token: mfaToken, passkey }), 401, 'invalid_credentials')
    expect((await events('mfa_failed', user.user.id)).at(-1)?.detail).toMatchObject({ reason: 'challenge_unknown' })
  })

  it('refuses an assertion whose counter did not move forward, and audits passkey_counter_mismatch', async () => {
    const user = await passkeyUser()
    const signedIn = await verifyAssertion(await assertionFor(user.authenticator, { phone: user.phone }))
    expect(signedIn.status).toBe(200) // the passkey sign-in moved the counter to 1
    const mfaToken = await expectMfaRequired(await passwordLogin(user.phone), BOTH)
    const passkey = await assertionFor(user.authenticator, { phone: user.phone }, { ceremony: { counter: 1 } })
    await expectError(await mfaVerify({ mfa_token: mfaToken, passkey }), 401, 'invalid_credentials')
    expect((await events('passkey_counter_mismatch', user.user.id)).at(-1)?.detail).toMatchObject({ stored: 1, presented: 1 })
    // Its challenge is used up: the same assertion is now a replay.
    await expectError(await mfaVerify({ mfa_token: mfaToken, passkey }), 401, 'invalid_credentials')
    expect(await attemptsOf(user.user.id)).toBe(2)
  })

  it("refuses another user's passkey, counting an attempt, and kills the token after 5", async () => {
    const user = await passkeyUser()
    const other = await passkeyUser()
    const mfaToken = await expectMfaRequired(await passwordLogin(user.phone), BOTH)
    for (let i = 1; i <= 5; i++) {
      const theirs = await assertionFor(other.authenticator, { phone: other.phone })
      await expectError(await mfaVerify({ mfa_token: mfaToken, passkey: theirs }), 401, 'invalid_credentials')
      expect(await attemptsOf(user.user.id)).toBe(i)
    }
    expect((await events('mfa_failed', user.user.id)).at(-1)?.detail).toMatchObject({
      method: 'passkey',
      reason: 'unknown_credential',
      attempt: 5,
    })
    const mine = await assertionFor(user.authenticator, { phone: user.phone })
    await expectError(await mfaVerify({ mfa_token: mfaToken, passkey: mine }), 429, 'too_many_attempts')
    // The other user's passkey still signs its owner in (its counter was not touched by the refusals).
    const next = await expectMfaRequired(await passwordLogin(other.phone), BOTH)
    const theirs = await assertionFor(other.authenticator, { phone: other.phone })
    expect((await mfaVerify({ mfa_token: next, passkey: theirs })).status).toBe(200)
  })
})

describe('a user with TOTP and a passkey', () => {
  it('lists both methods and signs in with either', async () => {
    const user = await passkeyUser()
    const { secret } = user
    expect(await mfaMethods(user.user.id)).toBe(3)
    const methods = ['totp', 'recovery_code', 'passkey']
    const byTotp = await expectMfaRequired(await passwordLogin(user.phone), methods)
    const totp = await mfaVerify({ mfa_token: byTotp, totp: totpCode(secret, 1) })
    expect(totp.status).toBe(200)
    expect(claimsOf((await json(totp)).access_token).amr).toEqual(['pwd', 'otp', 'mfa'])

    const byPasskey = await expectMfaRequired(await passwordLogin(user.phone), methods)
    const passkey = await assertionFor(user.authenticator, { phone: user.phone })
    const res = await mfaVerify({ mfa_token: byPasskey, passkey })
    expect(res.status).toBe(200)
    expect(claimsOf((await json(res)).access_token).amr).toEqual(['pwd', 'hwk', 'mfa'])
  })

  it('keeps MFA on (TOTP) when the last passkey goes', async () => {
    const user = await passkeyUser()
    expect((await call('DELETE', `${API}/me/passkeys/${user.passkey.id}`, { token: user.access_token })).status).toBe(204)
    expect(await mfaMethods(user.user.id)).toBe(1)
    await expectMfaRequired(await passwordLogin(user.phone))
  })
})

describe('a code (SMS) sign-in of a passkey holder', () => {
  it('answers 403 mfa_required with the passkey among the methods; the assertion signs in with amr otp+sms+hwk+mfa', async () => {
    const user = await passkeyUser(FAST)
    const sent = await call('POST', `${API}/auth/login`, { json: { phone: user.phone, use_otp: true }, env: FAST, ip: newIp() })
    expect(sent.status).toBe(202)
    const code = box.lastCode(user.phone)
    const verified = await call('POST', `${API}/auth/verify`, { json: { phone: user.phone, code }, env: FAST })
    const mfaToken = await expectMfaRequired(verified, BOTH)
    const passkey = await assertionFor(user.authenticator, { phone: user.phone }, { env: FAST })
    const res = await mfaVerify({ mfa_token: mfaToken, passkey }, FAST)
    expect(res.status, await res.clone().text()).toBe(200)
    expect(claimsOf((await json(res)).access_token).amr).toEqual(['otp', 'sms', 'hwk', 'mfa'])
  })
})

describe('the passkey MFA method follows the passkeys held', () => {
  it('is listed while a passkey is left and goes with the last; MFA (TOTP) stays on', async () => {
    const user = await passkeyUser()
    const second = await enrol(user.access_token)
    const remove = (id: string) => call('DELETE', `${API}/me/passkeys/${id}`, { token: user.access_token })
    expect((await remove(user.passkey.id)).status).toBe(204)
    expect(await mfaMethods(user.user.id)).toBe(3)
    await expectMfaRequired(await passwordLogin(user.phone), BOTH)
    expect((await remove(second.passkey.id)).status).toBe(204)
    expect(await mfaMethods(user.user.id)).toBe(1)
    await expectMfaRequired(await passwordLogin(user.phone), ['totp', 'recovery_code'])
  })

  it('holding a passkey alone puts no second step on password or code sign-ins (MFA is TOTP-confirmed)', async () => {
    const user = await passkeyHolder(FAST)
    expect(await mfaMethods(user.user.id)).toBe(2)
    const res = await passwordLogin(user.phone)
    expect(res.status, await res.clone().text()).toBe(200)
    expect(claimsOf((await json(res)).access_token).amr).toEqual(['pwd'])
    expect(
      (await call('POST', `${API}/auth/login`, { json: { phone: user.phone, use_otp: true }, env: FAST, ip: newIp() })).status,
    ).toBe(202)
    const code = await call('POST', `${API}/auth/verify`, {
      json: { phone: user.phone, code: box.lastCode(user.phone) },
      env: FAST,
    })
    expect(code.status).toBe(200)
  })

  it("deleting another user's passkey (404) leaves both users' methods alone", async () => {
    const user = await passkeyHolder()
    const other = await activeUser(box)
    const res = await call('DELETE', `${API}/me/passkeys/${user.passkey.id}`, { token: other.access_token })
    await expectError(res, 404, 'not_found')
    expect(await mfaMethods(user.user.id)).toBe(2)
    expect(await mfaMethods(other.user.id)).toBe(0)
  })
})
