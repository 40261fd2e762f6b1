import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { newId } from '../../src/crypto/random'
import { buildDeps } from '../../src/deps'
import { call } from '../helpers/app'
import { activeUser, challengesOf, newIp } from '../helpers/otp'
import { type Outbox, outbox } from '../helpers/outbox'

// The batch that consumes a right login code and opens its session (sessions.open with a gate):
// the session, the last-login stamp and the audit row exist only if this batch consumed the code
// and the account is still active when it runs.

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
  return { user, challengeId: challenge.id }
}

async function openWithGate(userId: string, phone: string, challengeId: string) {
  const d = deps()
  const now = Date.now()
  const sessionId = newId(now)
  const auditId = newId(now)
  const result = await d.sessions.open(
    {
      id: sessionId,
      userId,
      refreshHash: `h-${sessionId}`,
      createdAt: now,
      lastUsedAt: now + 1,
      expiresAt: now + 60_000,
      userAgent: 'gate-test/1.0',
      ip: '198.51.100.1',
    },
    {
      id: auditId,
      at: now,
      type: 'login_succeeded',
      actorId: userId,
      subjectId: userId,
      ip: null,
      userAgent: null,
      detail: { via: 'gate' },
    },
    {
      challengeId,
      consume: d.otpChallenges.consumeQuery(challengeId, `sms:${phone}`, now, 1000, sessionId),
    },
  )
  const rows = async (sql: string, id: string) => (await env.DB.prepare(sql).bind(id).all()).results
  return {
    result,
    sessions: await rows('SELECT * FROM sessions WHERE id = ?', sessionId),
    audits: await rows('SELECT type, actor_id, subject_id, ip, user_agent, detail FROM audit_events WHERE id = ?', auditId),
    challenge: (await env.DB.prepare('SELECT closed_at, consumed_by FROM otp_challenges WHERE id = ?')
      .bind(challengeId)
      .first()) as { closed_at: number | null; consumed_by: string | null },
    sessionId,
    now,
  }
}

describe('opening a session with the consumption of its code (one D1 batch)', () => {
  it('opens it, stamps the login and records the event when it consumes the code', async () => {
    const { user, challengeId } = await withLoginCode()
    const got = await openWithGate(user.user.id, user.phone, challengeId)
    expect(got.result.opened).toBe(true)
    expect(got.result.consumed).toBe(true)
    expect(got.result.user?.lastLogin).toBeGreaterThan(0)
    // Every column where it belongs (the gated insert lists them by position).
    expect(got.sessions).toEqual([
      {
        id: got.sessionId,
        user_id: user.user.id,
        refresh_hash: `h-${got.sessionId}`,
        created_at: got.now,
        last_used_at: got.now + 1,
        expires_at: got.now + 60_000,
        user_agent: 'gate-test/1.0',
        ip: '198.51.100.1',
        revoked_at: null,
      },
    ])
    expect(got.audits).toEqual([
      {
        type: 'login_succeeded',
        actor_id: user.user.id,
        subject_id: user.user.id,
        ip: null,
        user_agent: null,
        detail: JSON.stringify({ via: 'gate' }),
      },
    ])
    expect(got.challenge.consumed_by).toBe(got.sessionId)
  })

  it('writes nothing when the code was already used', async () => {
    const { user, challengeId } = await withLoginCode()
    expect((await openWithGate(user.user.id, user.phone, challengeId)).result.opened).toBe(true)
    const second = await openWithGate(user.user.id, user.phone, challengeId)
    expect(second.result).toMatchObject({ opened: false, consumed: false, user: undefined })
    expect(second.sessions).toHaveLength(0)
    expect(second.audits).toHaveLength(0)
  })

  it('uses the code but opens nothing for an account suspended in between', async () => {
    const { user, challengeId } = await withLoginCode()
    await env.DB.prepare("UPDATE users SET status = 'suspended' WHERE id = ?").bind(user.user.id).run()
    const got = await openWithGate(user.user.id, user.phone, challengeId)
    expect(got.result).toMatchObject({ opened: false, consumed: true })
    expect(got.sessions).toHaveLength(0)
    expect(got.audits).toHaveLength(0)
    expect(got.challenge.closed_at).not.toBeNull()
  })
})
