import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash'
import { call, expectError, json } from '../helpers/app'
import { activeUser, challengesOf, newIp, otpKey, registerPending, sessionIdOf, verify, wrongCode } from '../helpers/otp'
import { type Outbox, outbox } from '../helpers/outbox'

// Verify of a code in one D1 batch (storage/repos/code-sign-in.ts), through HTTP: the per-IP
// counter, the holder lookup, the guess, and for a right one the session, the login stamp, the
// devices and the audit row, in one D1 transaction. The guess is taken only under the limit and
// while the account the code was sent to still holds the address; the session exists only if
// this request consumed the code.

let box: Outbox
beforeEach(() => {
  box = outbox()
})
afterEach(() => box.restore())

const FAST = { OTP_RESEND_COOLDOWN_SECONDS: '0' }

/** An active user holding a fresh, unused login code; its challenge id. */
async function withLoginCode() {
  const user = await activeUser(box, { env: FAST })
  const sent = await call('POST', '/api/v1/auth/login', { json: { phone: user.phone, use_otp: true }, env: FAST, ip: newIp() })
  expect(sent.status).toBe(202)
  const challenge = (await challengesOf(user.phone)).at(-1)
  if (challenge?.purpose !== 'login') throw new Error('no login challenge')
  return { user, userId: user.user.id as string, challengeId: challenge.id, code: box.lastCode(user.phone) }
}

const rows = async (sql: string, id: string) => (await env.DB.prepare(sql).bind(id).all()).results
const challengeRow = (id: string) =>
  env.DB.prepare('SELECT attempts, failures, closed_at, consumed_by FROM otp_challenges WHERE id = ?').bind(id).first()
const sessionsOf = (userId: string) => rows('SELECT id FROM sessions WHERE user_id = ?', userId)
const signInsOf = (userId: string) =>
  rows("SELECT id FROM audit_events WHERE subject_id = ? AND type = 'login_succeeded'", userId)

/** POST /auth/verify from a client with its own address and user agent. */
const verifyFrom = (phone: string, code: string, opts: { ip?: string; env?: Record<string, string> } = {}) =>
  call('POST', '/api/v1/auth/verify', {
    json: { phone, code },
    env: opts.env ?? FAST,
    ip: opts.ip ?? newIp(),
    headers: { 'user-agent': 'gate-test/1.0' },
  })

describe('verify of a login code in one D1 batch', () => {
  it('consumes a right code, opens the session, stamps the login and records the event', async () => {
    const { user, userId, challengeId, code } = await withLoginCode()
    const ip = newIp()
    const before = Date.now()
    const res = await verifyFrom(user.phone, code, { ip })
    expect(res.status).toBe(200)
    const body = await json(res)
    const sessionId = sessionIdOf(body.access_token)
    // Every column where it belongs (the gated inserts list them by position).
    const [session] = await rows('SELECT * FROM sessions WHERE id = ?', sessionId)
    expect(session).toMatchObject({
      id: sessionId,
      user_id: userId,
      refresh_hash: await sha256Hex(body.refresh_token),
      user_agent: 'gate-test/1.0',
      ip,
      revoked_at: null,
    })
    const createdAt = (session as { created_at: number }).created_at
    expect(createdAt).toBeGreaterThanOrEqual(before)
    expect(session).toMatchObject({ last_used_at: createdAt, expires_at: createdAt + 30 * 86_400_000 })
    expect(await rows('SELECT last_login FROM users WHERE id = ?', userId)).toEqual([{ last_login: createdAt }])
    const audits = await rows(
      "SELECT type, actor_id, subject_id, ip, user_agent, detail FROM audit_events WHERE subject_id = ? AND type = 'login_succeeded' ORDER BY id DESC LIMIT 1",
      userId,
    )
    expect(audits).toEqual([
      {
        type: 'login_succeeded',
        actor_id: userId,
        subject_id: userId,
        ip,
        user_agent: 'gate-test/1.0',
        detail: JSON.stringify({ method: 'otp', purpose: 'login', channel: 'sms', created: false }),
      },
    ])
    expect(await challengeRow(challengeId)).toMatchObject({ attempts: 1, failures: 0, consumed_by: sessionId })
    expect((await challengeRow(challengeId))?.closed_at).toEqual(expect.any(Number))
  })

  it('writes nothing for a code already used (a replay)', async () => {
    const { user, userId, code } = await withLoginCode()
    expect((await verifyFrom(user.phone, code)).status).toBe(200)
    const [sessions, audits] = [await sessionsOf(userId), await signInsOf(userId)]
    await expectError(await verifyFrom(user.phone, code), 400, 'invalid_code')
    expect(await sessionsOf(userId)).toEqual(sessions)
    expect(await signInsOf(userId)).toEqual(audits)
  })

  it('spends an attempt and counts a failure for a wrong guess, and opens nothing', async () => {
    const { user, userId, challengeId, code } = await withLoginCode()
    const [sessions, audits] = [await sessionsOf(userId), await signInsOf(userId)]
    await expectError(await verifyFrom(user.phone, wrongCode(code)), 400, 'invalid_code')
    expect(await challengeRow(challengeId)).toMatchObject({ attempts: 1, failures: 1, closed_at: null, consumed_by: null })
    expect(await sessionsOf(userId)).toEqual(sessions)
    expect(await signInsOf(userId)).toEqual(audits)
  })

  it('takes no guess, right or wrong, over the per-IP limit: the code stays usable', async () => {
    const { user, challengeId, code } = await withLoginCode()
    const over = { ip: newIp(), env: { ...FAST, AUTH_REQUESTS_PER_IP_PER_MINUTE: '1' } }
    await expectError(await verifyFrom(user.phone, wrongCode(code), over), 400, 'invalid_code')
    await expectError(await verifyFrom(user.phone, wrongCode(code), over), 429, 'rate_limited')
    await expectError(await verifyFrom(user.phone, code, over), 429, 'rate_limited')
    expect(await challengeRow(challengeId)).toMatchObject({ attempts: 1, failures: 1, closed_at: null })
    expect((await verifyFrom(user.phone, code)).status).toBe(200)
  })

  it('neither consumes nor opens for an account suspended since the code was sent', async () => {
    const { user, userId, challengeId, code } = await withLoginCode()
    const sessions = await sessionsOf(userId)
    await env.DB.prepare("UPDATE users SET status = 'suspended' WHERE id = ?").bind(userId).run()
    await expectError(await verifyFrom(user.phone, code), 403, 'account_disabled')
    expect((await challengeRow(challengeId))?.closed_at).toBeNull()
    expect(await sessionsOf(userId)).toEqual(sessions)
  })

  it('takes no right guess for an account that no longer holds the address; a wrong one counts as for anyone', async () => {
    const { user, userId, code } = await withLoginCode()
    await env.DB.prepare('UPDATE users SET phone = NULL WHERE id = ?').bind(userId).run()
    await expectError(await verifyFrom(user.phone, code), 400, 'invalid_code')
    expect((await challengesOf(user.phone)).at(-1)).toMatchObject({ attempts: 0, failures: 0, closed_at: null })
    // SPEC §5: wrong guesses are counted whoever holds the destination (an unknown one included).
    await expectError(await verifyFrom(user.phone, wrongCode(code)), 400, 'invalid_code')
    expect((await challengesOf(user.phone)).at(-1)).toMatchObject({ attempts: 1, failures: 1, closed_at: null })
  })

  it('opens exactly one session for ten concurrent verifies of one right code', async () => {
    const { user, userId, code } = await withLoginCode()
    const sessions = await sessionsOf(userId)
    const all = await Promise.all(Array.from({ length: 10 }, () => verifyFrom(user.phone, code)))
    expect(all.filter((r) => r.status === 200).length).toBe(1)
    expect(all.filter((r) => r.status === 400).length).toBe(9)
    expect(await sessionsOf(userId)).toHaveLength(sessions.length + 1)
  })
})

describe('POST /auth/verify of a login code (the one-batch path)', () => {
  it('stores the account the code was sent to beside its MAC in KV', async () => {
    const { user, userId, challengeId } = await withLoginCode()
    expect(await env.KV.get(otpKey('login', user.phone), 'json')).toMatchObject({ id: challengeId, uid: userId })
  })

  it('signs in with a right code, and refuses it once used', async () => {
    const { user, code } = await withLoginCode()
    const ok = await verify(user.phone, code, FAST)
    expect(ok.status).toBe(200)
    const replay = await verify(user.phone, code, FAST)
    expect(replay.status).toBe(400)
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_code')
  })

  it('over the per-IP limit, answers 429 to the right code without using it: it still signs in from elsewhere', async () => {
    const { user, code } = await withLoginCode()
    const vars = { ...FAST, AUTH_REQUESTS_PER_IP_PER_MINUTE: '2' }
    const ip = newIp()
    const from = (guess: string, at: string) =>
      call('POST', '/api/v1/auth/verify', { json: { phone: user.phone, code: guess }, env: vars, ip: at })
    expect((await from(wrongCode(code), ip)).status).toBe(400)
    expect((await from(wrongCode(code), ip)).status).toBe(400)
    const limited = await from(code, ip)
    expect(limited.status).toBe(429)
    expect(((await limited.json()) as { error: string }).error).toBe('rate_limited')
    expect((await challengesOf(user.phone)).at(-1)).toMatchObject({ attempts: 2, closed_at: null })
    expect((await from(code, newIp())).status).toBe(200)
  })

  it('answers 403 account_disabled to a right code of an account suspended since the code was sent', async () => {
    const { user, userId, code } = await withLoginCode()
    await env.DB.prepare("UPDATE users SET status = 'suspended' WHERE id = ?").bind(userId).run()
    const res = await verify(user.phone, code, FAST)
    expect(res.status).toBe(403)
    expect(((await res.json()) as { error: string }).error).toBe('account_disabled')
  })

  // `call` with other vars runs in another isolate (another env object, so other per-isolate deps).
  const OTHER_ISOLATE = { ...FAST, APP_NAME: 'edge-auth (isolate b)' }

  it('needs no KV read in the isolate that sent the code', async () => {
    const { user, code } = await withLoginCode()
    await env.KV.delete(otpKey('login', user.phone)) // as if KV had not yet propagated the write
    await expectError(await verify(user.phone, code, OTHER_ISOLATE), 400, 'invalid_code')
    expect((await verify(user.phone, code, FAST)).status).toBe(200)
  })

  it('in the sending isolate, honours a newer code another isolate sent since, and refuses the older one', async () => {
    const { user, code: older } = await withLoginCode()
    const resent = await call('POST', '/api/v1/auth/login', {
      json: { phone: user.phone, use_otp: true },
      env: OTHER_ISOLATE,
      ip: newIp(),
    })
    expect(resent.status).toBe(202)
    const newer = box.lastCode(user.phone)
    expect(newer).not.toBe(older)
    // The sending isolate remembers the older code: its closed challenge sends it to KV.
    await expectError(await verify(user.phone, older, FAST), 400, 'invalid_code')
    const [first, second] = (await challengesOf(user.phone)).slice(-2)
    expect(first).toMatchObject({ attempts: 0, closed_at: expect.any(Number) })
    expect(second).toMatchObject({ attempts: 1, failures: 1, closed_at: null }) // the older code was a wrong guess at it
    const ok = await verify(user.phone, newer, FAST)
    expect(ok.status).toBe(200)
    expect((await json(ok)).user.id).toBe(user.user.id)
  })

  it('spends one attempt per wrong guess, then answers too_many_attempts, and the right code no longer works', async () => {
    const { user, code } = await withLoginCode()
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await verify(user.phone, wrongCode(code), FAST)).status)
    expect(statuses).toEqual([400, 400, 400, 429, 429, 429]) // OTP_MAX_ATTEMPTS = 3
    const refused = await verify(user.phone, code, FAST)
    await expectError(refused, 429, 'too_many_attempts')
    // Until a new code may be asked for: the resend cooldown is 0 here, so the least, 1 s.
    expect(refused.headers.get('retry-after')).toBe('1')
  })

  it('in an isolate remembering a register code used elsewhere, a login code sent since signs in', async () => {
    const { phone, code: registerCode } = await registerPending(box, { env: FAST })
    // Verified in another isolate: the sending one still remembers the (now used) register code.
    expect((await verify(phone, registerCode, OTHER_ISOLATE)).status).toBe(200)
    const sent = await call('POST', '/api/v1/auth/login', { json: { phone, use_otp: true }, env: OTHER_ISOLATE, ip: newIp() })
    expect(sent.status).toBe(202)
    const ok = await verify(phone, box.lastCode(phone), FAST)
    expect(ok.status).toBe(200)
    expect((await json(ok)).user.phone).toBe(phone)
  })
})
