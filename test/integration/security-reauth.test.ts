import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError } from '../helpers/app'
import { PASSWORD } from '../helpers/factories'
import { retryAfter } from '../helpers/limits'
import { activeUser, newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'

// Issue 14: change-password and DELETE /me took unlimited wrong passwords (online guessing with a
// stolen token, unlimited hashing). SPEC §6.1: the password they re-enter is counted like a login.

const LOCK = { LOGIN_LOCKOUT_THRESHOLD: '5', LOGIN_LOCKOUT_MAX_MINUTES: '60' }
const WRONG = 'Wrong-Pass-123'
// activeUser verifies its code from the default test address: the owner's known bucket.
const HOME = '203.0.113.7'

const box = useOutbox()

type Reenter = (token: string, password: string, ip: string) => Promise<Response>

const changePassword: Reenter = (token, password, ip) =>
  call('POST', '/api/v1/auth/change-password', {
    token,
    ip,
    env: LOCK,
    json: { old_password: password, new_password: 'Carthage-Vent7-2027' },
  })
const deleteMe: Reenter = (token, password, ip) => call('DELETE', '/api/v1/me', { token, ip, env: LOCK, json: { password } })

/** Stored password hashes of a user: unchanged while the attacker guesses. */
const hashOf = (id: string) => env.DB.prepare('SELECT password_hash AS h FROM users WHERE id = ?').bind(id).first('h')

describe.each([
  ['change-password', changePassword, 200],
  ['DELETE /me', deleteMe, 204],
] as const)('re-entered password of %s', (_name, reenter, success) => {
  it('answers 429 with Retry-After to the 6th wrong password from a stolen token; the owner still succeeds from a known bucket', async () => {
    const owner = await activeUser(box, { env: LOCK })
    const attacker = newIp()
    const before = await hashOf(owner.user.id)
    for (let i = 0; i < 5; i++) {
      await expectError(await reenter(owner.access_token, WRONG, attacker), 401, 'invalid_credentials')
    }
    const sixth = await reenter(owner.access_token, WRONG, attacker)
    await expectError(sixth, 429, 'rate_limited')
    expect(retryAfter(sixth)).toBeGreaterThan(50)
    // Even the right password is refused to the attacker's bucket now, and to an unknown one.
    await expectError(await reenter(owner.access_token, PASSWORD, attacker), 429, 'rate_limited')
    await expectError(await reenter(owner.access_token, PASSWORD, newIp()), 429, 'rate_limited')
    expect(await hashOf(owner.user.id)).toBe(before)

    expect((await reenter(owner.access_token, PASSWORD, HOME)).status).toBe(success)
  })

  it('five wrong re-entries from five addresses lock strangers out but not the owner at home', async () => {
    const owner = await activeUser(box, { env: LOCK })
    for (let i = 0; i < 5; i++) {
      await expectError(await reenter(owner.access_token, WRONG, newIp()), 401, 'invalid_credentials')
    }
    await expectError(await reenter(owner.access_token, WRONG, newIp()), 429, 'rate_limited')
    expect((await reenter(owner.access_token, PASSWORD, HOME)).status).toBe(success)
  })
})

it('evaluates at most 5 of 20 parallel wrong change-password attempts', async () => {
  const owner = await activeUser(box, { env: LOCK })
  const ip = newIp()
  const responses = await Promise.all(Array.from({ length: 20 }, () => changePassword(owner.access_token, WRONG, ip)))
  expect(responses.filter((r) => r.status === 401)).toHaveLength(5)
  expect(responses.filter((r) => r.status === 429)).toHaveLength(15)
})
