import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { login, PASSWORD } from '../helpers/factories'
import { retryAfter } from '../helpers/limits'
import { activeUser, newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { createSuperAdmin } from '../helpers/staff'

// Issue 14, attack 5: nobody can lock the owner out (SPEC §6.1). Failures are counted per
// identifier and per identifier and client IP bucket; a bucket the account signed in from in the
// last 30 days passes a lock made elsewhere; concurrent right passwords are never refused.

const LOCK = { LOGIN_LOCKOUT_THRESHOLD: '5', LOGIN_LOCKOUT_MAX_MINUTES: '60' }
const WRONG = 'Wrong-Pass-123'

const box = useOutbox()

/** An active account that signed in with its password from `ip` (its known bucket). */
async function ownerAt(ip: string) {
  const user = await activeUser(box, { env: LOCK })
  expect((await login({ phone: user.phone, password: PASSWORD }, { env: LOCK, ip })).status).toBe(200)
  return user
}

/** Five wrong passwords, each from a fresh address: the identifier is locked, no bucket is. */
async function distributedLock(body: Record<string, unknown>) {
  for (let i = 0; i < 5; i++)
    await expectError(await login({ ...body, password: WRONG }, { env: LOCK, ip: newIp() }), 401, 'invalid_credentials')
}

async function expectLocked(res: Response) {
  const body = await expectError(res, 429, 'rate_limited')
  expect(retryAfter(res)).toBeGreaterThan(0)
  return body
}

/** Password attempts that were evaluated (hashed) and failed, for an account. */
async function evaluatedFailures(userId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM audit_events WHERE type = 'login_failed' AND subject_id = ?")
    .bind(userId)
    .first<{ n: number }>()
  return row?.n ?? 0
}

describe('distributed lockout (issue 14, attack 5)', () => {
  it('five wrong passwords from five addresses lock the phone; the owner still signs in from a bucket it used; a stranger is refused', async () => {
    const home = newIp()
    const owner = await ownerAt(home)
    await distributedLock({ phone: owner.phone })

    await expectLocked(await login({ phone: owner.phone, password: WRONG }, { env: LOCK, ip: newIp() }))
    // The right password from an address that never signed in: still refused while locked.
    const stranger = await expectLocked(await login({ phone: owner.phone, password: PASSWORD }, { env: LOCK, ip: newIp() }))
    expect(stranger.detail).toMatch(/Too many failed logins/)

    const res = await login({ phone: owner.phone, password: PASSWORD }, { env: LOCK, ip: home })
    expect(res.status).toBe(200)
    expect((await json(res)).user.id).toBe(owner.user.id)
  })

  it('one more wrong guess per lock period from the attacker does not keep the owner out', async () => {
    const home = newIp()
    const owner = await ownerAt(home)
    await distributedLock({ phone: owner.phone })
    // "An hour later": the lock ran out, the attacker sends one more wrong guess and it locks again.
    await env.DB.prepare('UPDATE login_failures SET locked_until = ? WHERE identifier = ?')
      .bind(Date.now() - 1000, `sms:${owner.phone}`)
      .run()
    await expectError(
      await login({ phone: owner.phone, password: WRONG }, { env: LOCK, ip: newIp() }),
      401,
      'invalid_credentials',
    )
    await expectLocked(await login({ phone: owner.phone, password: PASSWORD }, { env: LOCK, ip: newIp() }))

    expect((await login({ phone: owner.phone, password: PASSWORD }, { env: LOCK, ip: home })).status).toBe(200)
  })

  it("locks the attacker's own bucket by its own failures, with no hash, even after the owner cleared the identifier", async () => {
    const owner = await ownerAt(newIp())
    const attacker = newIp()
    for (let i = 0; i < 5; i++) {
      await expectError(
        await login({ phone: owner.phone, password: WRONG }, { env: LOCK, ip: attacker }),
        401,
        'invalid_credentials',
      )
    }
    await expectLocked(await login({ phone: owner.phone, password: WRONG }, { env: LOCK, ip: attacker }))
    // The owner signs in from elsewhere (an SMS code, here the verify address): the identifier is clear again.
    expect((await login({ phone: owner.phone, password: PASSWORD }, { env: LOCK, ip: '203.0.113.7' })).status).toBe(200)
    await expectLocked(await login({ phone: owner.phone, password: PASSWORD }, { env: LOCK, ip: attacker }))
    await expectLocked(await login({ phone: owner.phone, password: WRONG }, { env: LOCK, ip: attacker }))
    expect(await evaluatedFailures(owner.user.id)).toBe(5)
  })

  it('counts an IPv6 attacker by its /64: rotating addresses inside it does not buy more guesses', async () => {
    const owner = await ownerAt(newIp())
    for (let i = 1; i <= 5; i++) {
      const res = await login({ phone: owner.phone, password: WRONG }, { env: LOCK, ip: `2001:db8:77:1::${i}` })
      await expectError(res, 401, 'invalid_credentials')
    }
    expect((await login({ phone: owner.phone, password: PASSWORD }, { env: LOCK, ip: '203.0.113.7' })).status).toBe(200)
    await expectLocked(await login({ phone: owner.phone, password: WRONG }, { env: LOCK, ip: '2001:db8:77:1:ffff::9' }))
    expect(await evaluatedFailures(owner.user.id)).toBe(5)
  })

  it('lets an IPv6 owner in from another address of the /64 it signed in from', async () => {
    const owner = await ownerAt('2001:db8:42:7::10')
    await distributedLock({ phone: owner.phone })
    await expectLocked(await login({ phone: owner.phone, password: PASSWORD }, { env: LOCK, ip: '2001:db8:42:8::10' }))
    expect((await login({ phone: owner.phone, password: PASSWORD }, { env: LOCK, ip: '2001:db8:42:7:abcd::1' })).status).toBe(200)
  })

  it('still knows a bucket whose session was logged out', async () => {
    const home = newIp()
    const owner = await ownerAt(home)
    const session = await json(await login({ phone: owner.phone, password: PASSWORD }, { env: LOCK, ip: home }))
    expect((await call('POST', '/api/v1/auth/logout', { token: session.access_token, env: LOCK, ip: home })).status).toBe(204)
    await distributedLock({ phone: owner.phone })
    expect((await login({ phone: owner.phone, password: PASSWORD }, { env: LOCK, ip: home })).status).toBe(200)
  })

  it('forgets a bucket whose last sign-in is older than 30 days', async () => {
    const home = newIp()
    const owner = await ownerAt(home)
    await env.DB.prepare('UPDATE sessions SET created_at = ? WHERE user_id = ?')
      .bind(Date.now() - 31 * 86_400_000, owner.user.id)
      .run()
    await distributedLock({ phone: owner.phone })
    await expectLocked(await login({ phone: owner.phone, password: PASSWORD }, { env: LOCK, ip: home }))
  })

  it('a username-only super admin locked from five addresses signs in from its usual address', async () => {
    const root = await createSuperAdmin() // signed in from the default test address
    await distributedLock({ username: root.username })
    await expectLocked(await login({ username: root.username, password: PASSWORD }, { env: LOCK, ip: newIp() }))
    const res = await login({ username: root.username, password: PASSWORD }, { env: LOCK, ip: '203.0.113.7' })
    expect(res.status).toBe(200)
    expect((await json(res)).user.role).toBe('super_admin')
  })

  it('a known bucket does not pass a lock for the wrong password, and its failures lock it too', async () => {
    const home = newIp()
    const owner = await ownerAt(home)
    await distributedLock({ phone: owner.phone })
    for (let i = 0; i < 5; i++) {
      await expectError(await login({ phone: owner.phone, password: WRONG }, { env: LOCK, ip: home }), 401, 'invalid_credentials')
    }
    await expectLocked(await login({ phone: owner.phone, password: PASSWORD }, { env: LOCK, ip: home }))
    expect(await evaluatedFailures(owner.user.id)).toBe(10)
  })
})

describe('the password grant of POST /auth/token', () => {
  const grant = (username: string, password: string, ip: string) =>
    call('POST', '/api/v1/auth/token', {
      body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      env: LOCK,
      ip,
    })

  it('shares the lockout: locked from five addresses, refused to a stranger, open to the owner at home', async () => {
    const home = newIp()
    const owner = await ownerAt(home)
    for (let i = 0; i < 5; i++) expect((await grant(owner.phone, WRONG, newIp())).status).toBe(400)
    const stranger = await grant(owner.phone, PASSWORD, newIp())
    expect(stranger.status).toBe(429)
    expect(retryAfter(stranger)).toBeGreaterThan(0)
    expect((await grant(owner.phone, PASSWORD, home)).status).toBe(200)
  })
})

describe('attempts still being checked', () => {
  /** Marks `n` attempts of the phone as being checked, `agoMs` ago (as if in another isolate). */
  async function inFlight(phone: string, n: number, agoMs: number) {
    await env.DB.prepare(
      `INSERT INTO login_failures (identifier, failures, last_failure_at, locked_until, in_flight, in_flight_at)
       VALUES (?, 0, 0, 0, ?, ?)`,
    )
      .bind(`sms:${phone}`, n, Date.now() - agoMs)
      .run()
  }

  it('forgets the slots of attempts that died while being checked, after 15 s', async () => {
    const user = await activeUser(box, { env: LOCK })
    await inFlight(user.phone, 5, 16_000)
    expect((await login({ phone: user.phone, password: PASSWORD }, { env: LOCK, ip: newIp() })).status).toBe(200)
  })

  it('waits a bounded time (under 3 s) for attempts checked elsewhere, then answers 429 with Retry-After 1, unhashed', async () => {
    const user = await activeUser(box, { env: LOCK })
    await inFlight(user.phone, 5, 0)
    const res = await login({ phone: user.phone, password: WRONG }, { env: LOCK, ip: newIp() })
    await expectError(res, 429, 'rate_limited')
    expect(retryAfter(res)).toBe(1)
    expect(await evaluatedFailures(user.user.id)).toBe(0)
  })
})

describe('concurrent attempts (SPEC §6.1)', () => {
  it('answers 200 to 8 parallel logins with the right password (threshold 5), from one address or many', async () => {
    const user = await activeUser(box, { env: LOCK })
    const ip = newIp()
    const one = await Promise.all(
      Array.from({ length: 8 }, () => login({ phone: user.phone, password: PASSWORD }, { env: LOCK, ip })),
    )
    expect(one.map((r) => r.status)).toEqual(Array(8).fill(200))
    const many = await Promise.all(
      Array.from({ length: 8 }, () => login({ phone: user.phone, password: PASSWORD }, { env: LOCK, ip: newIp() })),
    )
    expect(many.map((r) => r.status)).toEqual(Array(8).fill(200))
    expect(
      await env.DB.prepare('SELECT count(*) AS n FROM login_failures WHERE identifier LIKE ?')
        .bind(`%sms:${user.phone}`)
        .first('n'),
    ).toBe(0)
  })

  it('evaluates at most 5 of 20 parallel wrong passwords from one bucket; the rest meet the lock unhashed', async () => {
    const user = await activeUser(box, { env: LOCK })
    const ip = newIp()
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => login({ phone: user.phone, password: WRONG }, { env: LOCK, ip })),
    )
    const codes = await Promise.all(responses.map(async (r) => `${r.status} ${(await json(r)).error}`))
    expect(codes.filter((c) => c === '401 invalid_credentials')).toHaveLength(5)
    expect(codes.filter((c) => c === '429 rate_limited')).toHaveLength(15)
    expect(await evaluatedFailures(user.user.id)).toBe(5)
  })

  it('evaluates at most 5 of 20 parallel wrong passwords from a known bucket while the identifier is locked', async () => {
    const home = newIp()
    const owner = await ownerAt(home)
    await distributedLock({ phone: owner.phone })
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => login({ phone: owner.phone, password: WRONG }, { env: LOCK, ip: home })),
    )
    expect(responses.filter((r) => r.status === 401)).toHaveLength(5)
    expect(responses.filter((r) => r.status === 429)).toHaveLength(15)
    expect(await evaluatedFailures(owner.user.id)).toBe(10)
  })
})
