import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError } from '../helpers/app'
import { login, newPhone, register } from '../helpers/factories'
import { useFakeFetch } from '../helpers/fake-fetch'
import { activeUser, newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'

// Findings #9 and #7 of the attacker's review of issue 14 (branch `review`), replayed as they
// were reported and now ending safely.

const box = useOutbox()

describe('#9: a pending phone answers its wrong guesses like an unknown one (SPEC §5)', () => {
  const NO_COOLDOWN = { OTP_RESEND_COOLDOWN_SECONDS: '0' }

  /** A use_otp login, then 4 wrong guesses, each from a fresh address: the statuses, and the last answer's code. */
  async function answers(phone: string): Promise<{ statuses: number[]; last: string }> {
    const statuses = [(await login({ phone, use_otp: true }, { env: NO_COOLDOWN })).status]
    let last = ''
    for (let i = 0; i < 4; i++) {
      const res = await call('POST', '/api/v1/auth/verify', { json: { phone, code: '000000' }, ip: newIp(), env: NO_COOLDOWN })
      statuses.push(res.status)
      last = (await res.json<{ error: string }>()).error
    }
    return { statuses, last }
  }

  const expire = (phone: string) =>
    env.DB.prepare('UPDATE otp_challenges SET expires_at = ?, created_at = created_at - 600000 WHERE destination = ?')
      .bind(Date.now() - 1, `sms:${phone}`)
      .run()

  it('a pending phone whose register code expired: 202,400,400,400,429 too_many_attempts, as an unknown phone', async () => {
    const pending = newPhone()
    expect((await register({ phone: pending })).status).toBe(201)
    await expire(pending) // 10 minutes pass for its register code
    const unknown = await answers(newPhone())
    const known = await answers(pending)
    expect(unknown).toEqual({ statuses: [202, 400, 400, 400, 429], last: 'too_many_attempts' })
    expect(known).toEqual(unknown)
    // The guesses were counted on the unsent login code (attempts spent), none on the dead register code.
    const { results } = await env.DB.prepare(
      'SELECT purpose, attempts FROM otp_challenges WHERE destination = ? ORDER BY created_at',
    )
      .bind(`sms:${pending}`)
      .all<{ purpose: string; attempts: number }>()
    expect(results).toEqual([
      { purpose: 'register', attempts: 0 },
      { purpose: 'login', attempts: 3 },
    ])
  })

  it('a pending phone whose register code lives: its guesses still count there, the login code untouched', async () => {
    const pending = newPhone()
    expect((await register({ phone: pending })).status).toBe(201)
    const code = box.lastCode(pending)
    expect(await answers(pending)).toEqual({ statuses: [202, 400, 400, 400, 429], last: 'too_many_attempts' })
    const { results } = await env.DB.prepare(
      'SELECT purpose, attempts FROM otp_challenges WHERE destination = ? ORDER BY created_at',
    )
      .bind(`sms:${pending}`)
      .all<{ purpose: string; attempts: number }>()
    expect(results).toEqual([
      { purpose: 'register', attempts: 3 },
      { purpose: 'login', attempts: 0 },
    ])
    // The register code, out of attempts, no longer activates the account.
    await expectError(
      await call('POST', '/api/v1/auth/verify', { json: { phone: pending, code }, ip: newIp(), env: NO_COOLDOWN }),
      429,
      'too_many_attempts',
    )
  })
})

describe('#7: full in-flight slots do not lock the owner out (SPEC §6.1)', () => {
  const LOCK = { LOGIN_LOCKOUT_THRESHOLD: '5', LOGIN_LOCKOUT_MAX_MINUTES: '60' }
  const HOME = '203.0.113.7' // activeUser verified its code from here: the owner's known bucket
  const BASE = 'https://turnstile.test'
  const TURNSTILE = { ...LOCK, TURNSTILE_SECRET_KEY: 'ts-secret', TURNSTILE_API_BASE: BASE }
  const siteverify = useFakeFetch(BASE, () => Response.json({ success: false }))

  /** What 5 attempts abandoned mid-hash leave behind: every slot of the identifier held, no failure, no lock. */
  const abandonSlots = (identifier: string) =>
    env.DB.prepare(
      `INSERT INTO login_failures (identifier, failures, last_failure_at, locked_until, in_flight, in_flight_at)
       VALUES (?, 0, 0, 0, 5, ?)
       ON CONFLICT(identifier) DO UPDATE SET failures = 0, locked_until = 0, in_flight = 5, in_flight_at = excluded.in_flight_at`,
    )
      .bind(identifier, Date.now())
      .run()
  const rowOf = (identifier: string) =>
    env.DB.prepare('SELECT failures, locked_until AS lockedUntil FROM login_failures WHERE identifier = ?')
      .bind(identifier)
      .first<{ failures: number; lockedUntil: number }>()

  it('the owner’s right password from their usual address signs in at once; a stranger’s is still refused', async () => {
    const owner = await activeUser(box, { env: LOCK })
    const identifier = `sms:${owner.phone}`
    await abandonSlots(identifier)
    const home = await login({ phone: owner.phone, password: 'Tunis-Sol4r-2026' }, { ip: HOME, env: LOCK })
    expect(home.status).toBe(200)
    // Elsewhere, without a Turnstile token, the full slots still refuse (after waiting for them).
    await expectError(await login({ phone: owner.phone, password: 'Tunis-Sol4r-2026' }, { env: LOCK }), 429, 'rate_limited')
    expect(await rowOf(identifier)).toMatchObject({ failures: 0, lockedUntil: 0 })
  }, 30_000)

  it('a valid Turnstile token passes full slots from a new address', async () => {
    const owner = await activeUser(box, { env: LOCK })
    await abandonSlots(`sms:${owner.phone}`)
    siteverify.reply(() => Response.json({ success: true }))
    const res = await login({ phone: owner.phone, password: 'Tunis-Sol4r-2026', turnstile_token: 'good' }, { env: TURNSTILE })
    expect(res.status).toBe(200)
  })

  it('concurrent wrong passwords from the owner’s bucket past full slots never count more than the threshold', async () => {
    const owner = await activeUser(box, { env: LOCK })
    const identifier = `sms:${owner.phone}`
    await abandonSlots(identifier)
    const tries = await Promise.all(
      Array.from({ length: 10 }, () => login({ phone: owner.phone, password: 'Wrong-Pass9-2026' }, { ip: HOME, env: LOCK })),
    )
    const statuses = tries.map((r) => r.status)
    // The pair row (the owner's bucket) bounds them: at most 5 are checked, the rest refused.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5)
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true)
    const row = await rowOf(identifier)
    expect(row?.failures).toBeLessThanOrEqual(5)
  }, 30_000)
})
