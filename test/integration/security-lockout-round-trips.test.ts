import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { call } from '../helpers/app'
import { PASSWORD } from '../helpers/factories'
import { activeUser, newIp } from '../helpers/otp'
import { type Outbox, outbox } from '../helpers/outbox'
import { countTrips, listCalls } from '../helpers/round-trips'

// The lockout adds no D1 round trip before the answer of a normal password login (SPEC §6.1,
// issue 14): one batch before hashing, one to open the session; the counts are written after the
// answer. Only a locked identifier costs one more (the known-bucket look-up).

const LOCK = { LOGIN_LOCKOUT_THRESHOLD: '5' }

let box: Outbox
beforeEach(() => {
  box = outbox()
})
afterEach(() => box.restore())

const login = (phone: string, password: string, ip: string) =>
  call('POST', '/api/v1/auth/login', { json: { phone, password }, env: LOCK, ip })

/** Logs in over HTTP and counts the D1 calls made before the answer (and that it made no KV call then). */
async function loginCounting(phone: string, password: string, ip: string) {
  const count = await countTrips(() => login(phone, password, ip))
  expect(count.requests).toBe(1)
  expect({ kvRead: count.before.kvRead, kvWrite: count.before.kvWrite }, listCalls(count)).toEqual({ kvRead: 0, kvWrite: 0 })
  return { outcome: count.response.status, beforeAnswer: count.before.d1 }
}

describe('D1 round trips of a password login', () => {
  it('a right password: 2 (the first batch, then the session)', async () => {
    const user = await activeUser(box, { env: LOCK })
    expect(await loginCounting(user.phone, PASSWORD, newIp())).toEqual({ outcome: 200, beforeAnswer: 2 })
  })

  it('a wrong password: 1 (the failure is written after the answer)', async () => {
    const user = await activeUser(box, { env: LOCK })
    expect(await loginCounting(user.phone, 'Wrong-Pass-123', newIp())).toEqual({ outcome: 401, beforeAnswer: 1 })
  })

  it('a locked identifier: 2 and no hash for a stranger; 3 for the owner at a known bucket', async () => {
    const home = newIp()
    const user = await activeUser(box, { env: LOCK })
    expect((await login(user.phone, PASSWORD, home)).status).toBe(200)
    for (let i = 0; i < 5; i++) await login(user.phone, 'Wrong-Pass-123', newIp())
    expect(await loginCounting(user.phone, PASSWORD, newIp())).toEqual({ outcome: 429, beforeAnswer: 2 })
    expect(await loginCounting(user.phone, PASSWORD, home)).toEqual({ outcome: 200, beforeAnswer: 3 })
  })
})

describe('D1 round trips of a re-entered password (change-password)', () => {
  /** Changes the password and lists, per phase, the D1 calls that touched the lockout's rows. */
  async function changePassword(token: string, password: string) {
    const count = await countTrips(() =>
      call('POST', '/api/v1/auth/change-password', {
        token,
        env: LOCK,
        ip: newIp(),
        json: { old_password: password, new_password: 'Carthage-Vent7-2027' },
      }),
    )
    const lockout = (phase: string) =>
      count.calls.filter((c) => c.phase === phase && c.kind === 'd1' && c.what.includes('login_failures')).length
    return { outcome: count.response.status, before: lockout('before'), after: lockout('after') }
  }

  it('a wrong one: the lockout costs one batch before the 401, and the failure is written after', async () => {
    const user = await activeUser(box, { env: LOCK })
    expect(await changePassword(user.access_token, 'Wrong-Pass-123')).toEqual({ outcome: 401, before: 1, after: 1 })
  })

  it('a right one: the lockout costs one batch before the answer, and clearing it comes after', async () => {
    const user = await activeUser(box, { env: LOCK })
    expect(await changePassword(user.access_token, PASSWORD)).toEqual({ outcome: 200, before: 1, after: 1 })
  })
})
