import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { newId } from '../../src/crypto/random'
import { buildDeps } from '../../src/deps'
import type { CodeSignInInput } from '../../src/storage/repos/code-sign-in'
import { call, expectError, json } from '../helpers/app'
import { activeUser, challengesOf, newIp, otpKey, verify, wrongCode } from '../helpers/otp'
import { type Outbox, outbox } from '../helpers/outbox'

// The OTP sign-in batch (storage/repos/code-sign-in.ts): the per-IP counter, the holder lookup,
// the guess, and for a right one the session, the login stamp, the devices and the audit row,
// in one D1 transaction. The guess is taken only under the limit and while the account the code
// was sent to still holds the address; the session exists only if this batch consumed the code.

let box: Outbox
beforeEach(() => {
  box = outbox()
})
afterEach(() => box.restore())

const FAST = { OTP_RESEND_COOLDOWN_SECONDS: '0' }
const deps = () => buildDeps(env, () => {})

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

async function signIn(
  at: { userId: string; phone: string; challengeId: string },
  opts: { right?: boolean; limitMax?: number; limitKey?: string } = {},
) {
  const now = Date.now()
  const sessionId = newId(now)
  const auditId = newId(now)
  const input: CodeSignInInput = {
    limit: { key: opts.limitKey ?? `req:verify:test-${newId()}`, windowMs: 60_000, max: opts.limitMax ?? 100 },
    channel: 'sms',
    address: at.phone,
    userId: at.userId,
    challenge: {
      id: at.challengeId,
      destination: `sms:${at.phone}`,
      failKey: `otp-fail:test-${newId()}`,
      maxFailuresPerDay: 1000,
    },
    right: opts.right ?? true,
    now,
    session: {
      id: sessionId,
      userId: at.userId,
      refreshHash: `h-${sessionId}`,
      createdAt: now - 1,
      lastUsedAt: now - 1,
      expiresAt: now + 60_000,
      userAgent: 'gate-test/1.0',
      ip: '198.51.100.1',
    },
    audit: {
      id: auditId,
      at: now - 2,
      type: 'login_succeeded',
      actorId: at.userId,
      subjectId: at.userId,
      ip: '198.51.100.2',
      userAgent: 'audit-agent/1.0',
      detail: { via: 'gate' },
    },
  }
  const result = await deps().codeSignIn.run(input)
  return {
    result,
    sessions: await rows('SELECT * FROM sessions WHERE id = ?', sessionId),
    audits: await rows('SELECT at, type, actor_id, subject_id, ip, user_agent, detail FROM audit_events WHERE id = ?', auditId),
    challenge: (await env.DB.prepare('SELECT attempts, failures, closed_at, consumed_by FROM otp_challenges WHERE id = ?')
      .bind(at.challengeId)
      .first()) as { attempts: number; failures: number; closed_at: number | null; consumed_by: string | null },
    sessionId,
    now,
  }
}

describe('the OTP sign-in batch', () => {
  it('consumes a right code, opens the session, stamps the login and records the event', async () => {
    const { user, userId, challengeId } = await withLoginCode()
    const got = await signIn({ userId, phone: user.phone, challengeId })
    expect(got.result).toMatchObject({ taken: true, limit: { count: 1 } })
    expect(got.result.holder?.id).toBe(userId)
    expect(got.result.opened?.user).toMatchObject({ id: userId, lastLogin: got.now - 1 })
    expect(got.result.opened?.devices).toEqual([])
    // Every column where it belongs (the gated inserts list them by position).
    expect(got.sessions).toEqual([
      {
        id: got.sessionId,
        user_id: userId,
        refresh_hash: `h-${got.sessionId}`,
        created_at: got.now - 1,
        last_used_at: got.now - 1,
        expires_at: got.now + 60_000,
        user_agent: 'gate-test/1.0',
        ip: '198.51.100.1',
        revoked_at: null,
      },
    ])
    expect(got.audits).toEqual([
      {
        at: got.now - 2,
        type: 'login_succeeded',
        actor_id: userId,
        subject_id: userId,
        ip: '198.51.100.2',
        user_agent: 'audit-agent/1.0',
        detail: JSON.stringify({ via: 'gate' }),
      },
    ])
    expect(got.challenge).toMatchObject({ attempts: 1, failures: 0, closed_at: got.now, consumed_by: got.sessionId })
  })

  it('writes nothing for a code already used (a replay)', async () => {
    const { user, userId, challengeId } = await withLoginCode()
    expect((await signIn({ userId, phone: user.phone, challengeId })).result.opened).toBeDefined()
    const second = await signIn({ userId, phone: user.phone, challengeId })
    expect(second.result).toMatchObject({ taken: false, opened: undefined })
    expect(second.sessions).toHaveLength(0)
    expect(second.audits).toHaveLength(0)
  })

  it('spends an attempt and counts a failure for a wrong guess, and opens nothing', async () => {
    const { user, userId, challengeId } = await withLoginCode()
    const got = await signIn({ userId, phone: user.phone, challengeId }, { right: false })
    expect(got.result).toMatchObject({ taken: true, opened: undefined })
    expect(got.challenge).toMatchObject({ attempts: 1, failures: 1, closed_at: null, consumed_by: null })
    expect(got.sessions).toHaveLength(0)
    expect(got.audits).toHaveLength(0)
  })

  it('takes no guess, right or wrong, over the per-IP limit: the code stays usable', async () => {
    const { user, userId, challengeId } = await withLoginCode()
    const limitKey = `req:verify:test-${newId()}`
    const over = { limitKey, limitMax: 1 }
    expect((await signIn({ userId, phone: user.phone, challengeId }, { ...over, right: false })).result.taken).toBe(true)
    const wrong = await signIn({ userId, phone: user.phone, challengeId }, { ...over, right: false })
    const right = await signIn({ userId, phone: user.phone, challengeId }, over)
    expect(wrong.result).toMatchObject({ taken: false, limit: { count: 2 } })
    expect(right.result).toMatchObject({ taken: false, opened: undefined, limit: { count: 3 } })
    expect(right.challenge).toMatchObject({ attempts: 1, failures: 1, closed_at: null })
    expect((await signIn({ userId, phone: user.phone, challengeId })).result.opened).toBeDefined()
  })

  it('neither consumes nor opens for an account suspended since the code was sent', async () => {
    const { user, userId, challengeId } = await withLoginCode()
    await env.DB.prepare("UPDATE users SET status = 'suspended' WHERE id = ?").bind(userId).run()
    const got = await signIn({ userId, phone: user.phone, challengeId })
    expect(got.result).toMatchObject({ taken: false, opened: undefined })
    expect(got.result.holder?.status).toBe('suspended')
    expect(got.challenge.closed_at).toBeNull()
    expect(got.sessions).toHaveLength(0)
  })

  it('takes no right guess for an account that no longer holds the address; a wrong one counts as for anyone', async () => {
    const { user, userId, challengeId } = await withLoginCode()
    await env.DB.prepare('UPDATE users SET phone = NULL WHERE id = ?').bind(userId).run()
    const right = await signIn({ userId, phone: user.phone, challengeId }, { right: true })
    expect(right.result).toMatchObject({ taken: false, opened: undefined, holder: undefined })
    expect((await challengesOf(user.phone)).at(-1)).toMatchObject({ attempts: 0, failures: 0, closed_at: null })
    // SPEC §5: wrong guesses are counted whoever holds the destination (an unknown one included).
    const wrong = await signIn({ userId, phone: user.phone, challengeId }, { right: false })
    expect(wrong.result).toMatchObject({ taken: true, opened: undefined, holder: undefined })
    expect((await challengesOf(user.phone)).at(-1)).toMatchObject({ attempts: 1, failures: 1, closed_at: null })
  })

  it('opens exactly one session for ten concurrent batches of one right code', async () => {
    const { user, userId, challengeId } = await withLoginCode()
    const all = await Promise.all(Array.from({ length: 10 }, () => signIn({ userId, phone: user.phone, challengeId })))
    expect(all.filter((g) => g.result.opened).length).toBe(1)
    expect(all.filter((g) => g.result.taken).length).toBe(1)
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
})
