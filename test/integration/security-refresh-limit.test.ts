import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { counter, retryAfter } from '../helpers/limits'
import { activeUser, newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { countTrips, listCalls } from '../helpers/round-trips'

const box = useOutbox()

const LIMIT = { AUTH_REQUESTS_PER_IP_PER_MINUTE: '2' }
const refreshFrom = (ip: string, refreshToken: string, vars: Record<string, string> = LIMIT) =>
  call('POST', '/api/v1/auth/refresh', { json: { refresh_token: refreshToken }, env: vars, ip })

describe('POST /auth/refresh is limited per IP (issue 14)', () => {
  it('answers 429 rate_limited with Retry-After over AUTH_REQUESTS_PER_IP_PER_MINUTE, and counts in the refresh group', async () => {
    const user = await activeUser(box)
    const ip = newIp()
    let token = user.refresh_token
    for (let i = 0; i < 2; i++) {
      const res = await refreshFrom(ip, token)
      expect(res.status).toBe(200)
      token = (await json(res)).refresh_token
    }
    const refused = await refreshFrom(ip, token)
    expect(retryAfter(refused)).toBeGreaterThan(0)
    await expectError(refused, 429, 'rate_limited')
    expect(await counter(`req:refresh:${ip}`)).toBe(3)
  })

  it('does not rotate or consume the refresh token of a refused request: it still works from another address', async () => {
    const user = await activeUser(box)
    const ip = newIp()
    // Two refreshes with garbage tokens spend the address's allowance.
    for (let i = 0; i < 2; i++) await expectError(await refreshFrom(ip, `garbage-${i}-${'x'.repeat(40)}`), 401, 'invalid_token')
    await expectError(await refreshFrom(ip, user.refresh_token), 429, 'rate_limited')

    // Not rotated: no conflict, no reuse detection, the same session goes on.
    const res = await refreshFrom(newIp(), user.refresh_token)
    expect(res.status).toBe(200)
    expect((await json(res)).user.id).toBe(user.user.id)
  })

  it('refuses a flood of concurrent refreshes of one token past the limit, and lets exactly one rotate', async () => {
    const user = await activeUser(box)
    const ip = newIp()
    const results = await Promise.all(Array.from({ length: 6 }, () => refreshFrom(ip, user.refresh_token)))
    const statuses = results.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 429)).toHaveLength(4)
    expect(statuses.filter((s) => s === 409)).toHaveLength(1)
  })

  it('stays one D1 round trip, the limit included', async () => {
    const user = await activeUser(box)
    // From a fresh isolate, as the old per-call counting env was: nothing warm to lean on.
    const count = await countTrips(
      () => call('POST', '/api/v1/auth/refresh', { json: { refresh_token: user.refresh_token }, ip: newIp() }),
      { isolate: 'refresh-limit' },
    )
    expect(count.response.status).toBe(200)
    // Every D1 call of the request, its background work included.
    expect(count.before.d1 + count.after.d1, listCalls(count)).toBe(1)
  })
})
