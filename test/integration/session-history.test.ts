import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { activeUser, newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { logInWith, sidOf } from '../helpers/sessions'

// Seed 003's session resource (SPEC §6.2): one session by id, and the history of ended ones.

const box = useOutbox()
const DAY_MS = 86_400_000

const getSession = (token: string, id: string) => call('GET', `/api/v1/me/sessions/${id}`, { token })
const listSessions = (token: string, query = '') => call('GET', `/api/v1/me/sessions${query}`, { token })
const logout = (token: string) => call('POST', '/api/v1/auth/logout', { token })

/** Moves a session's end (its revocation, or its expiry) into the past, as if it happened `agoMs` ago. */
async function endedAgo(sessionId: string, agoMs: number, how: 'revoked' | 'expired'): Promise<void> {
  const at = Date.now() - agoMs
  const sql =
    how === 'revoked'
      ? 'UPDATE sessions SET revoked_at = ?1, created_at = ?1 - 1000, last_used_at = ?1 - 1000 WHERE id = ?2'
      : 'UPDATE sessions SET expires_at = ?1, created_at = ?1 - 1000, last_used_at = ?1 - 1000 WHERE id = ?2'
  await env.DB.prepare(sql).bind(at, sessionId).run()
}

const sessionRow = (id: string) =>
  env.DB.prepare('SELECT id, revoked_at, expires_at FROM sessions WHERE id = ?')
    .bind(id)
    .first<{ id: string; revoked_at: number | null; expires_at: number }>()

/** Another session of the same account, from a fresh address (the per-IP limits stay out of the way). */
const signInAgain = (phone: string) => logInWith(phone, { ip: newIp() })

/** An active user with a second session, and the first session's tokens. */
async function userWithTwoSessions() {
  const first = await activeUser(box)
  const second = await signInAgain(first.phone)
  return { first, second }
}

describe('GET /api/v1/me/sessions/{id}', () => {
  it('answers one live session of the caller, current or not, with ended_at null', async () => {
    const { first, second } = await userWithTwoSessions()
    const res = await getSession(second.access_token, sidOf(first.access_token))
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({ id: sidOf(first.access_token), current: false, ended_at: null })
    expect(Object.keys(body).sort()).toEqual([
      'created_at',
      'current',
      'ended_at',
      'expires_at',
      'id',
      'ip',
      'last_used_at',
      'user_agent',
    ])
    const own = await json(await getSession(second.access_token, sidOf(second.access_token)))
    expect(own).toMatchObject({ id: sidOf(second.access_token), current: true, ended_at: null })
  })

  it('answers an ended session too, with the time it ended', async () => {
    const { first, second } = await userWithTwoSessions()
    const before = Date.now()
    expect((await logout(first.access_token)).status).toBe(204)
    const body = await json(await getSession(second.access_token, sidOf(first.access_token)))
    expect(body.current).toBe(false)
    const row = await sessionRow(sidOf(first.access_token))
    expect(body.ended_at).toBe(new Date(row?.revoked_at as number).toISOString())
    expect(Date.parse(body.ended_at)).toBeGreaterThanOrEqual(before)
  })

  it("answers another user's session id with 404, live or ended, exactly like an unknown id", async () => {
    const me = await activeUser(box)
    const other = await userWithTwoSessions()
    const live = sidOf(other.second.access_token)
    expect((await logout(other.first.access_token)).status).toBe(204)
    const ended = sidOf(other.first.access_token)
    const unknown = await expectError(await getSession(me.access_token, '01900000-0000-7000-8000-000000000000'), 404, 'not_found')
    for (const id of [live, ended]) {
      const body = await expectError(await getSession(me.access_token, id), 404, 'not_found')
      expect({ ...body, request_id: '' }).toEqual({ ...unknown, request_id: '' })
    }
  })

  it('answers an expired session with its expiry as ended_at', async () => {
    const { first, second } = await userWithTwoSessions()
    const sid = sidOf(first.access_token)
    await endedAgo(sid, DAY_MS, 'expired')
    const row = await sessionRow(sid)
    const body = await json(await getSession(second.access_token, sid))
    expect(body.ended_at).toBe(new Date(row?.expires_at as number).toISOString())
    expect(body.ended_at).toBe(body.expires_at)
  })

  it('keeps the expiry as ended_at when an expired session is revoked later (ending every other session)', async () => {
    const { first, second } = await userWithTwoSessions()
    const sid = sidOf(first.access_token)
    await endedAgo(sid, DAY_MS, 'expired')
    expect((await call('DELETE', '/api/v1/me/sessions', { token: second.access_token })).status).toBe(204)
    const row = await sessionRow(sid)
    expect(row?.revoked_at).not.toBeNull() // revoked now, but it had ended a day before
    const body = await json(await getSession(second.access_token, sid))
    expect(body.ended_at).toBe(body.expires_at)
  })

  it('needs a live session of its own: a logged-out token cannot read its session', async () => {
    const user = await activeUser(box)
    expect((await logout(user.access_token)).status).toBe(204)
    await expectError(await getSession(user.access_token, sidOf(user.access_token)), 401, 'invalid_token')
    await expectError(await call('GET', `/api/v1/me/sessions/${sidOf(user.access_token)}`), 401, 'unauthorized')
  })
})

describe('GET /api/v1/me/sessions?include=ended', () => {
  it('lists live sessions only by default, and the ended ones too with include=ended, newest first', async () => {
    const user = await activeUser(box)
    const b = await signInAgain(user.phone)
    const c = await signInAgain(user.phone)
    expect((await logout(b.access_token)).status).toBe(204)
    const [a, ended, current] = [sidOf(user.access_token), sidOf(b.access_token), sidOf(c.access_token)]

    const live = await json(await listSessions(c.access_token))
    expect(live.items.map((s: { id: string }) => s.id)).toEqual([current, a])
    expect(live.items.every((s: { ended_at: null }) => s.ended_at === null)).toBe(true)

    const all = await json(await listSessions(c.access_token, '?include=ended'))
    expect(all.items.map((s: { id: string }) => s.id)).toEqual([current, ended, a])
    const byId = Object.fromEntries(all.items.map((s: { id: string; ended_at: string | null }) => [s.id, s.ended_at]))
    expect(byId[current]).toBeNull()
    expect(byId[a]).toBeNull()
    expect(typeof byId[ended]).toBe('string')
  })

  it("never lists another user's sessions, live or ended", async () => {
    const me = await activeUser(box)
    const other = await userWithTwoSessions()
    expect((await logout(other.first.access_token)).status).toBe(204)
    const body = await json(await listSessions(me.access_token, '?include=ended&limit=100'))
    expect(body.items.map((s: { id: string }) => s.id)).toEqual([sidOf(me.access_token)])
  })

  it('pages through ended sessions with the cursor', async () => {
    const user = await activeUser(box)
    const others = [await signInAgain(user.phone), await signInAgain(user.phone)]
    for (const s of others) expect((await logout(s.access_token)).status).toBe(204)
    const first = await json(await listSessions(user.access_token, '?include=ended&limit=2'))
    expect(first.items).toHaveLength(2)
    expect(first.next_cursor).toBe(first.items[1].id)
    const next = await json(await listSessions(user.access_token, `?include=ended&limit=2&cursor=${first.next_cursor}`))
    expect(next).toEqual({ items: [expect.objectContaining({ id: sidOf(user.access_token), current: true })], next_cursor: null })
  })

  it('answers another include value with 400 validation_error', async () => {
    const user = await activeUser(box)
    const body = await expectError(await listSessions(user.access_token, '?include=all'), 400, 'validation_error')
    expect(body.fields).toHaveProperty('include')
  })

  it('forgets sessions that ended more than 30 days ago, and drops them from D1 when the sessions are next listed', async () => {
    const { first, second } = await userWithTwoSessions()
    const third = await signInAgain(first.phone)
    const [old, expired, recent] = [sidOf(first.access_token), sidOf(second.access_token), sidOf(third.access_token)]
    await endedAgo(old, 31 * DAY_MS, 'revoked')
    await endedAgo(expired, 31 * DAY_MS, 'expired')
    await endedAgo(recent, 29 * DAY_MS, 'revoked')
    const me = await signInAgain(first.phone)

    const body = await json(await listSessions(me.access_token, '?include=ended'))
    expect(body.items.map((s: { id: string }) => s.id)).toEqual([sidOf(me.access_token), recent])
    await expectError(await getSession(me.access_token, old), 404, 'not_found')
    expect(await sessionRow(old)).toBeNull()
    expect(await sessionRow(expired)).toBeNull()
    expect(await sessionRow(recent)).not.toBeNull()
  })

  it('drops sessions ended more than 30 days ago when one of the sessions ends (logout)', async () => {
    const { first, second } = await userWithTwoSessions()
    const old = sidOf(first.access_token)
    await endedAgo(old, 31 * DAY_MS, 'revoked')
    const other = await activeUser(box)
    const othersOld = sidOf(other.access_token)
    await endedAgo(othersOld, 31 * DAY_MS, 'revoked')

    expect((await logout(second.access_token)).status).toBe(204)
    expect(await sessionRow(old)).toBeNull()
    expect(await sessionRow(sidOf(second.access_token))).not.toBeNull()
    expect(await sessionRow(othersOld)).not.toBeNull() // another user's history is not touched
  })
})
