import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { hashPassword, legacyRuns, scryptRuns, verifyPassword } from '../../src/crypto/password'
import { createDb } from '../../src/storage/db/client'
import { sessionsRepo } from '../../src/storage/repos/sessions'
import { call, expectError, json } from '../helpers/app'
import { login, newPhone, PASSWORD } from '../helpers/factories'
import { LEGACY, passwordHashOf, setPasswordHash } from '../helpers/legacy-hashes'
import { activeUser, newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { countTrips, listCalls } from '../helpers/round-trips'

// SPEC §13: users imported with another service's password hashes sign in with their old
// passwords, and the first successful login re-hashes to the configured scrypt in the batch that
// opens the session (so does an scrypt hash of weaker parameters).

const box = useOutbox({ quietErrors: true })

const WRONG = 'Wrong-Pass-2026'
const CURRENT = /^\$scrypt\$ln=10,r=8,p=1\$/

/** An active account whose stored password hash is `hash` (of PASSWORD). */
async function accountWith(hash: string, opts: { env?: Record<string, string> } = {}) {
  const user = await activeUser(box, opts)
  await setPasswordHash(user.user.id, hash)
  return { id: user.user.id as string, phone: user.phone, token: user.access_token as string }
}

/** Runs `fn` and says how many legacy hashes and scrypt derivations it cost. */
async function hashesOf<T>(fn: () => Promise<T>): Promise<{ legacy: number; scrypt: number; result: T }> {
  const [legacy, scrypt] = [legacyRuns.count, scryptRuns.count]
  const result = await fn()
  return { legacy: legacyRuns.count - legacy, scrypt: scryptRuns.count - scrypt, result }
}

describe.each([
  ['bcrypt $2b$ cost 10', LEGACY.bcrypt2b10],
  ['bcrypt $2b$ cost 12', LEGACY.bcrypt2b12],
  ['bcrypt $2a$', LEGACY.bcrypt2a10],
  ['bcrypt $2y$', LEGACY.bcrypt2y10],
  ['passlib pbkdf2_sha256', LEGACY.pbkdf2],
  ['argon2id (small)', LEGACY.argon2Small],
  ['argon2id at passlib’s defaults (100 MiB)', LEGACY.argon2Passlib],
])('a user imported with a %s hash', (_, hash) => {
  it('signs in with the old password, is re-hashed to scrypt, and signs in again on scrypt alone', async () => {
    const user = await accountWith(hash)
    const first = await hashesOf(() => login({ phone: user.phone, password: PASSWORD }))
    expect(first.result.status).toBe(200)
    expect((await json(first.result)).user.id).toBe(user.id)
    // The old hash checked once; the new one made once, before the answer (it is in the batch).
    expect({ legacy: first.legacy, scrypt: first.scrypt }).toEqual({ legacy: 1, scrypt: 1 })
    const stored = String(await passwordHashOf(user.id))
    expect(stored).toMatch(CURRENT)
    expect(await verifyPassword(PASSWORD, stored)).toBe(true)

    const second = await hashesOf(() => login({ phone: user.phone, password: PASSWORD }))
    expect(second.result.status).toBe(200)
    expect({ legacy: second.legacy, scrypt: second.scrypt }).toEqual({ legacy: 0, scrypt: 1 })
    expect(await passwordHashOf(user.id)).toBe(stored)
  })

  it('refuses a wrong password with the same 401 as an unknown phone, and keeps the hash', async () => {
    const user = await accountWith(hash)
    const wrong = await hashesOf(() => login({ phone: user.phone, password: WRONG }))
    const body = await expectError(wrong.result, 401, 'invalid_credentials')
    expect({ legacy: wrong.legacy, scrypt: wrong.scrypt }).toEqual({ legacy: 1, scrypt: 0 })
    const unknown = await expectError(await login({ phone: newPhone(), password: PASSWORD }), 401, 'invalid_credentials')
    expect(body.detail).toBe(unknown.detail)
    expect(await passwordHashOf(user.id)).toBe(hash)
  })
})

describe('password login with an outdated hash', () => {
  it('costs one scrypt for an unknown phone, as before: the dummy hash, no legacy hash', async () => {
    const unknown = await hashesOf(() => login({ phone: newPhone(), password: PASSWORD }))
    await expectError(unknown.result, 401, 'invalid_credentials')
    expect({ legacy: unknown.legacy, scrypt: unknown.scrypt }).toEqual({ legacy: 0, scrypt: 1 })
  })

  it('treats a hash over the caps as a wrong password: the same 401, one dummy scrypt, a log line', async () => {
    const user = await accountWith(LEGACY.argon2Huge)
    const refused = await hashesOf(() => login({ phone: user.phone, password: PASSWORD }))
    await expectError(refused.result, 401, 'invalid_credentials')
    expect({ legacy: refused.legacy, scrypt: refused.scrypt }).toEqual({ legacy: 0, scrypt: 1 })
    const logged = box.errorLines().map((l) => JSON.parse(l))
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'stored password hash refused', format: 'argon2id' }))
    expect(await passwordHashOf(user.id)).toBe(LEGACY.argon2Huge)
  })

  it('counts wrong passwords on a legacy hash towards the lockout like any other', async () => {
    const LOCK = { LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_LOCKOUT_MAX_MINUTES: '60' }
    const user = await accountWith(LEGACY.bcrypt2b10, { env: LOCK })
    const ip = newIp()
    for (let i = 0; i < 3; i++) {
      await expectError(await login({ phone: user.phone, password: WRONG }, { env: LOCK, ip }), 401, 'invalid_credentials')
    }
    const locked = await hashesOf(() => login({ phone: user.phone, password: PASSWORD }, { env: LOCK, ip }))
    await expectError(locked.result, 429, 'rate_limited')
    expect({ legacy: locked.legacy, scrypt: locked.scrypt }).toEqual({ legacy: 0, scrypt: 0 })
    expect(await passwordHashOf(user.id)).toBe(LEGACY.bcrypt2b10)
  })

  it.each([
    ['a legacy hash', LEGACY.pbkdf2],
    ['an scrypt hash of weaker parameters', '$weak'],
  ])('re-hashes %s with two D1 calls before the answer and one after, as any password login', async (_, hash) => {
    const stored = hash === '$weak' ? await hashPassword(PASSWORD, { logN: 9, r: 8, p: 1 }) : hash
    const user = await accountWith(stored)
    const count = await countTrips(() => login({ phone: user.phone, password: PASSWORD }))
    expect(count.response.status, listCalls(count)).toBe(200)
    expect(count.before, listCalls(count)).toEqual({ d1: 2, kvRead: 0, kvWrite: 0 })
    // After the answer: only the lockout rows' clearing, as for every password login.
    expect(count.after, listCalls(count)).toEqual({ d1: 1, kvRead: 0, kvWrite: 0 })
    const rehashed = String(await passwordHashOf(user.id))
    expect(rehashed).toMatch(CURRENT)
    expect(await verifyPassword(PASSWORD, rehashed)).toBe(true)
  })

  it('keeps a password changed between the check and the session: the re-hash is conditional', async () => {
    const user = await accountWith(LEGACY.pbkdf2)
    const changed = await hashPassword('Carthage-Vent7-2027', { logN: 10, r: 8, p: 1 })
    // The login's PBKDF2 check; a change of password lands right after it, before the session opens.
    const deriveBits = crypto.subtle.deriveBits.bind(crypto.subtle)
    const spy = vi.spyOn(crypto.subtle, 'deriveBits').mockImplementationOnce(async (...args) => {
      const bits = await deriveBits(...args)
      await setPasswordHash(user.id, changed)
      return bits
    })
    try {
      expect((await login({ phone: user.phone, password: PASSWORD })).status).toBe(200)
      expect(spy).toHaveBeenCalledOnce()
    } finally {
      spy.mockRestore()
    }
    expect(await passwordHashOf(user.id)).toBe(changed)
    await expectError(await login({ phone: user.phone, password: PASSWORD }), 401, 'invalid_credentials')
    expect((await login({ phone: user.phone, password: 'Carthage-Vent7-2027' })).status).toBe(200)
  })
})

describe('the sessions repository’s re-hash', () => {
  const session = (userId: string) => ({
    id: `s-${crypto.randomUUID()}`,
    userId,
    refreshHash: crypto.randomUUID(),
    createdAt: Date.now(),
    lastUsedAt: Date.now(),
    expiresAt: Date.now() + 60_000,
  })

  it('replaces the hash that was verified, in the batch that opens the session', async () => {
    const user = await accountWith(LEGACY.bcrypt2b04)
    const opened = await sessionsRepo(createDb(env.DB), 'default').open(session(user.id), undefined, {
      expected: LEGACY.bcrypt2b04,
      next: '$scrypt$new',
    })
    expect(opened.user?.passwordHash).toBe('$scrypt$new')
    expect(await passwordHashOf(user.id)).toBe('$scrypt$new')
  })

  it('leaves a hash that changed since, and still opens the session', async () => {
    const user = await accountWith('$scrypt$changed-meanwhile')
    const row = session(user.id)
    const opened = await sessionsRepo(createDb(env.DB), 'default').open(row, undefined, {
      expected: LEGACY.bcrypt2b04,
      next: '$scrypt$new',
    })
    expect(opened.user?.id).toBe(user.id)
    expect(await passwordHashOf(user.id)).toBe('$scrypt$changed-meanwhile')
    expect(await env.DB.prepare('SELECT id FROM sessions WHERE id = ?').bind(row.id).first('id')).toBe(row.id)
  })
})

describe('other places a password is checked', () => {
  afterEach(() => vi.restoreAllMocks())

  /** POST /auth/token with a form-encoded body. */
  const token = (params: Record<string, string>) =>
    call('POST', '/api/v1/auth/token', {
      body: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      ip: newIp(),
    })

  it('the OAuth password grant signs in with a legacy hash and re-hashes it', async () => {
    const user = await accountWith(LEGACY.argon2Small)
    const res = await token({ grant_type: 'password', username: user.phone, password: PASSWORD })
    expect(res.status).toBe(200)
    expect(String(await passwordHashOf(user.id))).toMatch(CURRENT)
  })

  it('change-password accepts the old password on a legacy hash and stores only the new one', async () => {
    const user = await accountWith(LEGACY.bcrypt2y10)
    const changed = await hashesOf(() =>
      call('POST', '/api/v1/auth/change-password', {
        token: user.token,
        json: { old_password: PASSWORD, new_password: 'Carthage-Vent7-2027' },
      }),
    )
    expect(changed.result.status).toBe(200)
    // The old hash checked, the new password hashed: no re-hash of the old one on the side.
    expect({ legacy: changed.legacy, scrypt: changed.scrypt }).toEqual({ legacy: 1, scrypt: 1 })
    const stored = String(await passwordHashOf(user.id))
    expect(await verifyPassword('Carthage-Vent7-2027', stored)).toBe(true)
  })

  it('change-password refuses a wrong old password on a legacy hash', async () => {
    const user = await accountWith(LEGACY.pbkdf2)
    const res = await call('POST', '/api/v1/auth/change-password', {
      token: user.token,
      json: { old_password: WRONG, new_password: 'Carthage-Vent7-2027' },
    })
    await expectError(res, 401, 'invalid_credentials')
    expect(await passwordHashOf(user.id)).toBe(LEGACY.pbkdf2)
  })

  it('DELETE /me accepts the password on a legacy hash', async () => {
    const user = await accountWith(LEGACY.argon2Small)
    const res = await call('DELETE', '/api/v1/me', { token: user.token, json: { password: PASSWORD } })
    expect(res.status).toBe(204)
    expect(await env.DB.prepare('SELECT id FROM users WHERE id = ?').bind(user.id).first('id')).toBeNull()
  })

  it('an email change re-entering the password on a legacy hash re-hashes it after the answer', async () => {
    const user = await accountWith(LEGACY.bcrypt2b04)
    const email = `legacy${Date.now()}@example.tn`
    const res = await call('PATCH', '/api/v1/me', { token: user.token, json: { email, current_password: PASSWORD } })
    expect(res.status, await res.clone().text()).toBeLessThan(300)
    const stored = String(await passwordHashOf(user.id))
    expect(stored).toMatch(CURRENT)
    expect(await verifyPassword(PASSWORD, stored)).toBe(true)
  })
})
