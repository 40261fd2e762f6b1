import { env } from 'cloudflare:workers'
import { decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'
import { buildDeps, type Deps } from '../../src/deps'
import { revokeUserSessions } from '../../src/services/sessions'
import type { UserMark } from '../../src/storage/kv/auth-state'
import { call, envWith, expectError, json } from '../helpers/app'
import { PASSWORD } from '../helpers/factories'
import { serverJwks } from '../helpers/jwt'
import { activeUser, requestReset } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { expectSessionAlive, expectSessionDead, getMe, logInWith, refresh, sidOf, sleep, type Tokens } from '../helpers/sessions'
import { createStaff, createSuperAdmin } from '../helpers/staff'

const box = useOutbox()

// No grace: a token presented again after its rotation is reuse, not a client race.
const NO_GRACE = { REFRESH_REUSE_GRACE_SECONDS: '0' }
const NEW_PASSWORD = 'Carthage-Vent7-2027'

/** Refreshes and expects success; returns the new pair. */
async function rotate(refreshToken: string, vars?: Record<string, string>): Promise<Tokens> {
  const res = await refresh(refreshToken, vars)
  expect(res.status, await res.clone().text()).toBe(200)
  return json(res)
}

describe('POST /api/v1/auth/refresh', () => {
  it('rotates: a token response with a new refresh token, not cached, for the same session', async () => {
    const user = await activeUser(box)
    const res = await refresh(user.refresh_token)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await json(res)
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 900 })
    expect(body.user.id).toBe(user.user.id)
    expect(typeof body.access_token).toBe('string')
    expect(typeof body.refresh_token).toBe('string')
    expect(body.refresh_token).not.toBe(user.refresh_token)
    expect(body.access_token).not.toBe(user.access_token)
    expect(sidOf(body.access_token)).toBe(sidOf(user.access_token))

    const next = await rotate(body.refresh_token)
    expect(next.refresh_token).not.toBe(body.refresh_token)
    expect(sidOf(next.access_token)).toBe(sidOf(user.access_token))
    expect((await getMe(next.access_token)).status).toBe(200)
  })

  it('lets exactly one of two concurrent refreshes with one token win; the other gets 409 refresh_conflict', async () => {
    const user = await activeUser(box)
    const results = await Promise.all([refresh(user.refresh_token), refresh(user.refresh_token)])
    const winners = results.filter((r) => r.status === 200)
    const losers = results.filter((r) => r.status !== 200)
    expect(winners).toHaveLength(1)
    expect(losers).toHaveLength(1)
    await expectError(losers[0] as Response, 409, 'refresh_conflict')

    const won: Tokens = await json(winners[0] as Response)
    await expectSessionAlive(won)
  })

  it('answers the old token again within the grace window with 409 refresh_conflict and keeps the session', async () => {
    const user = await activeUser(box)
    const rotated = await rotate(user.refresh_token)
    await expectError(await refresh(user.refresh_token), 409, 'refresh_conflict')
    await expectSessionAlive(rotated)
  })

  it('revokes the whole session when a rotated-away token comes back after the grace window', async () => {
    const user = await activeUser(box, { env: NO_GRACE })
    const rotated = await rotate(user.refresh_token, NO_GRACE)
    await sleep(5)

    await expectError(await refresh(user.refresh_token, NO_GRACE), 401, 'refresh_token_reused')
    // The newest refresh token dies with the session, and so do its access tokens.
    await expectError(await refresh(rotated.refresh_token, NO_GRACE), 401, 'invalid_token')
    await expectError(await getMe(rotated.access_token, NO_GRACE), 401, 'invalid_token')
    await expectError(await getMe(user.access_token, NO_GRACE), 401, 'invalid_token')
  })

  it('detects reuse of a token rotated away two generations ago', async () => {
    const a = await activeUser(box, { env: NO_GRACE })
    const b = await rotate(a.refresh_token, NO_GRACE)
    const c = await rotate(b.refresh_token, NO_GRACE)
    await sleep(5)

    await expectError(await refresh(a.refresh_token, NO_GRACE), 401, 'refresh_token_reused')
    await expectSessionDead(c, NO_GRACE)
  })

  it('refuses an unknown refresh token with 401 invalid_token', async () => {
    await expectError(await refresh('not-a-token-we-issued'), 401, 'invalid_token')
    await expectError(await refresh('A'.repeat(43)), 401, 'invalid_token')
  })

  it('refuses a body without refresh_token with 400 validation_error', async () => {
    const body = await expectError(await call('POST', '/api/v1/auth/refresh', { json: {} }), 400, 'validation_error')
    expect(body.fields).toHaveProperty('refresh_token')
  })

  it('refuses a session past its absolute lifetime with 401 invalid_token', async () => {
    const user = await activeUser(box)
    await env.DB.prepare('UPDATE sessions SET expires_at = ? WHERE id = ?')
      .bind(Date.now() - 1000, sidOf(user.access_token))
      .run()
    await expectError(await refresh(user.refresh_token), 401, 'invalid_token')
  })
})

describe('POST /api/v1/auth/logout', () => {
  it('answers 204 and kills the access and refresh token of that session only', async () => {
    const user = await activeUser(box)
    const other = await logInWith(user.phone)

    const res = await call('POST', '/api/v1/auth/logout', { token: user.access_token })
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')

    await expectSessionDead(user)
    await expectSessionAlive(other)
  })

  it('needs an access token: 401 unauthorized without one', async () => {
    await expectError(await call('POST', '/api/v1/auth/logout'), 401, 'unauthorized')
  })
})

describe('GET /api/v1/me/sessions', () => {
  it('lists the live sessions with their fields, exactly one of them current', async () => {
    const user = await activeUser(box)
    const second = await logInWith(user.phone, {
      headers: { 'user-agent': 'SolarApp/2.1 (Android 14)', 'x-forwarded-for': '192.0.2.99' },
      ip: '198.51.100.77',
    })

    const res = await call('GET', '/api/v1/me/sessions', { token: second.access_token })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.next_cursor).toBeNull()
    expect(body.items).toHaveLength(2)
    for (const item of body.items) {
      expect(Object.keys(item).sort()).toEqual([
        'created_at',
        'current',
        'ended_at',
        'expires_at',
        'id',
        'ip',
        'last_used_at',
        'user_agent',
      ])
      expect(item.ended_at).toBeNull()
      for (const at of ['created_at', 'last_used_at', 'expires_at']) expect(new Date(item[at]).toISOString()).toBe(item[at])
      // Absolute lifetime: REFRESH_TOKEN_EXPIRE_DAYS (30) from creation.
      expect(Date.parse(item.expires_at) - Date.parse(item.created_at)).toBe(30 * 86_400_000)
    }
    const current = body.items.filter((s: { current: boolean }) => s.current)
    expect(current).toHaveLength(1)
    expect(current[0]).toMatchObject({
      id: sidOf(second.access_token),
      user_agent: 'SolarApp/2.1 (Android 14)',
      ip: '198.51.100.77',
    })
    expect(body.items.map((s: { id: string }) => s.id).sort()).toEqual(
      [sidOf(user.access_token), sidOf(second.access_token)].sort(),
    )
  })

  it('pages with limit and cursor, newest first, without gaps or repeats; a bad limit or cursor is 400', async () => {
    const user = await activeUser(box)
    const others = [await logInWith(user.phone), await logInWith(user.phone)]
    const all = [user, ...others].map((s) => sidOf(s.access_token))
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ''}`
      const body = await json(await call('GET', `/api/v1/me/sessions${query}`, { token: user.access_token }))
      expect(body.items.length).toBeLessThanOrEqual(2)
      seen.push(...body.items.map((s: { id: string }) => s.id))
      cursor = body.next_cursor
    } while (cursor)
    // The pages join up into the whole list, in its order (newest first: ids are time-ordered).
    const whole = await json(await call('GET', '/api/v1/me/sessions', { token: user.access_token }))
    expect(seen).toEqual(whole.items.map((s: { id: string }) => s.id))
    expect([...seen].sort()).toEqual([...all].sort())
    expect(seen.at(-1)).toBe(sidOf(user.access_token))
    for (const query of ['?limit=0', '?limit=101', '?cursor=garbage']) {
      await expectError(await call('GET', `/api/v1/me/sessions${query}`, { token: user.access_token }), 400, 'validation_error')
    }
  })

  it('takes the ip from CF-Connecting-IP, never from X-Forwarded-For', async () => {
    const user = await activeUser(box)
    const spoofed = await logInWith(user.phone, { headers: { 'x-forwarded-for': '192.0.2.66' }, ip: '198.51.100.88' })
    const body = await json(await call('GET', '/api/v1/me/sessions', { token: spoofed.access_token }))
    const mine = body.items.find((s: { id: string }) => s.id === sidOf(spoofed.access_token))
    expect(mine.ip).toBe('198.51.100.88')
    expect(JSON.stringify(body)).not.toContain('192.0.2.66')
  })

  it('advances last_used_at when the session is refreshed', async () => {
    const user = await activeUser(box)
    const before = await json(await call('GET', '/api/v1/me/sessions', { token: user.access_token }))
    const sid = sidOf(user.access_token)
    const usedBefore = before.items.find((s: { id: string }) => s.id === sid).last_used_at
    await sleep(20)

    const rotated = await rotate(user.refresh_token)
    const after = await json(await call('GET', '/api/v1/me/sessions', { token: rotated.access_token }))
    const usedAfter = after.items.find((s: { id: string }) => s.id === sid).last_used_at
    expect(Date.parse(usedAfter)).toBeGreaterThan(Date.parse(usedBefore))
  })
})

describe('DELETE /api/v1/me/sessions/{id}', () => {
  it('ends another session of mine: its tokens stop working, the current one lives', async () => {
    const user = await activeUser(box)
    const other = await logInWith(user.phone)

    const res = await call('DELETE', `/api/v1/me/sessions/${sidOf(other.access_token)}`, { token: user.access_token })
    expect(res.status).toBe(204)

    await expectSessionDead(other)
    await expectSessionAlive(user)
  })

  it('answers 404 not_found for an unknown session id', async () => {
    const user = await activeUser(box)
    const res = await call('DELETE', `/api/v1/me/sessions/${crypto.randomUUID()}`, { token: user.access_token })
    await expectError(res, 404, 'not_found')
  })

  it("answers 404 for another user's session id and leaves that session working", async () => {
    const me = await activeUser(box)
    const stranger = await activeUser(box)
    const res = await call('DELETE', `/api/v1/me/sessions/${sidOf(stranger.access_token)}`, { token: me.access_token })
    await expectError(res, 404, 'not_found')
    await expectSessionAlive(stranger)
  })
})

describe('DELETE /api/v1/me/sessions', () => {
  it('ends every session but the current one', async () => {
    const user = await activeUser(box)
    const second = await logInWith(user.phone)
    const third = await logInWith(user.phone)

    const res = await call('DELETE', '/api/v1/me/sessions', { token: user.access_token })
    expect(res.status).toBe(204)

    await expectSessionDead(second)
    await expectSessionDead(third)
    const current = await expectSessionAlive(user)
    const list = await json(await call('GET', '/api/v1/me/sessions', { token: current.access_token }))
    expect(list.items.map((s: { id: string }) => s.id)).toEqual([sidOf(user.access_token)])
  })
})

describe('a mark that keeps a session, racing a suspension', () => {
  it('spares nothing when the kept session was revoked before its mark landed', async () => {
    const admin = await createStaff(await createSuperAdmin(), 'admin')
    const user = await activeUser(box)
    const sid = sidOf(user.access_token)
    // "End my other sessions" checked the current session live; a suspension lands before its
    // mark: every session revoked in D1 and the user marked, then replaced by the keeping mark.
    const base = buildDeps(envWith(), () => {})
    const marks: UserMark[] = []
    const racing: Deps = {
      ...base,
      authState: {
        ...base.authState,
        async markUser(userId, mark) {
          if (marks.length === 0) {
            const res = await call('PATCH', `/api/v1/users/${userId}/suspend`, { token: admin.access_token })
            expect(res.status).toBe(200)
          }
          marks.push(mark)
          await base.authState.markUser(userId, mark)
        },
      },
    }
    await revokeUserSessions(racing, { userId: user.user.id, keep: sid })
    expect(marks.map((m) => m.keep)).toEqual([sid, null])
    expect(await env.KV.get(`rv:u:${user.user.id}`, 'json')).toMatchObject({ keep: null })
    // Another isolate, which has never seen this token, refuses it too.
    await expectError(await getMe(user.access_token, { APP_NAME: 'edge-auth (isolate b)' }), 401, 'invalid_token')
  })

  it('keeps the current session when nothing raced', async () => {
    const user = await activeUser(box)
    const other = await logInWith(user.phone)
    const base = buildDeps(envWith(), () => {})
    await revokeUserSessions(base, { userId: user.user.id, keep: sidOf(user.access_token) })
    expect(await env.KV.get(`rv:u:${user.user.id}`, 'json')).toMatchObject({ keep: sidOf(user.access_token) })
    await expectSessionDead(other)
    await expectSessionAlive(user, { APP_NAME: 'edge-auth (isolate b)' })
  })
})

describe('password changes and revocation', () => {
  it('keeps the current session on change-password and kills the others', async () => {
    const user = await activeUser(box)
    const other = await logInWith(user.phone)

    const res = await call('POST', '/api/v1/auth/change-password', {
      token: user.access_token,
      json: { old_password: PASSWORD, new_password: NEW_PASSWORD },
    })
    expect(res.status).toBe(200)

    await expectSessionDead(other)
    await expectSessionAlive(user)
  })

  it('kills every session on confirm-reset, the one that asked included', async () => {
    // Signing up just sent a register code; the reset code follows inside the default cooldown.
    const vars = { OTP_RESEND_COOLDOWN_SECONDS: '0' }
    const user = await activeUser(box, { env: vars })
    const other = await logInWith(user.phone)
    expect((await requestReset(user.phone, vars)).status).toBe(202)
    const code = box.lastCode(user.phone)

    const res = await call('POST', '/api/v1/auth/confirm-reset', {
      json: { phone: user.phone, code, new_password: NEW_PASSWORD },
      env: vars,
    })
    expect(res.status).toBe(200)

    // Checked in the isolate that revoked (the same env): at once.
    await expectSessionDead(user, vars)
    await expectSessionDead(other, vars)
    await expectSessionAlive(await logInWith(user.phone, { password: NEW_PASSWORD }))
  })
})

// Through the admin routes (SPEC §6.4): the status changes and every session of the user ends.
describe('deactivation and suspension', () => {
  for (const [action, status] of [
    ['deactivate', 'deactivated'],
    ['suspend', 'suspended'],
  ] as const) {
    it(`rejects the existing access tokens of a ${status} user and refuses their password login with 403`, async () => {
      const admin = await createStaff(await createSuperAdmin(), 'admin')
      const user = await activeUser(box)
      const other = await logInWith(user.phone)
      expect((await getMe(user.access_token)).status).toBe(200)

      const res = await call('PATCH', `/api/v1/users/${user.user.id}/${action}`, { token: admin.access_token })
      expect(res.status).toBe(200)
      expect(await json(res)).toMatchObject({ id: user.user.id, status })

      await expectSessionDead(user)
      await expectSessionDead(other)
      const login = await call('POST', '/api/v1/auth/login', { json: { phone: user.phone, password: PASSWORD } })
      await expectError(login, 403, 'account_disabled')
    })
  }
})

describe('signing key rotation', () => {
  // The first key (test-1) removed: only test-2 remains, and it now signs.
  const ONLY_SECOND = { JWT_PRIVATE_KEYS: JSON.stringify(serverJwks().slice(1)) }

  it('refuses a token signed by a removed key with 401 invalid_token', async () => {
    const user = await activeUser(box)
    expect(decodeProtectedHeader(user.access_token).kid).toBe('test-1')
    expect((await getMe(user.access_token)).status).toBe(200)
    await expectError(await getMe(user.access_token, ONLY_SECOND), 401, 'invalid_token')
  })

  it('accepts a token signed by the remaining key', async () => {
    const user = await activeUser(box)
    const fresh = await logInWith(user.phone, { env: ONLY_SECOND })
    expect(decodeProtectedHeader(fresh.access_token).kid).toBe('test-2')
    const res = await getMe(fresh.access_token, ONLY_SECOND)
    expect(res.status).toBe(200)
    expect((await json(res)).id).toBe(user.user.id)
  })

  it('publishes only the remaining key in the JWKS', async () => {
    const res = await call('GET', '/.well-known/jwks.json', { env: ONLY_SECOND })
    expect(res.status).toBe(200)
    const { keys } = await json(res)
    expect(keys.map((k: { kid: string }) => k.kid)).toEqual(['test-2'])
    for (const key of keys) expect(key).not.toHaveProperty('d')
  })
})
