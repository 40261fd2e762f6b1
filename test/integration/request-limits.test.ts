import { env } from 'cloudflare:workers'
import { afterAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { REQUEST_LIMITS } from '../../src/services/limits'
import { call } from '../helpers/app'
import { newEmail, newPhone, PASSWORD, signUp } from '../helpers/factories'
import { newIp } from '../helpers/otp'
import { outbox } from '../helpers/outbox'

// services/limits REQUEST_LIMITS: every endpoint under /auth says which per-IP request group it
// counts and where; a new POST endpoint missing from it fails here, and each group is counted
// once per request, whether the route counts it or the service does.

const box = outbox()
afterAll(() => box.restore())

const API = '/api/v1'
const served = createApp().routes.filter((r) => r.method !== 'ALL')
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

/** The request-limit counters one IP has hit: group → count. */
async function groupsCounted(ip: string): Promise<Record<string, number>> {
  const { results } = await env.DB.prepare('SELECT key, count FROM rate_limits WHERE key LIKE ?')
    .bind(`req:%:${ip}`)
    .all<{ key: string; count: number }>()
  return Object.fromEntries(results.map((r) => [r.key.slice('req:'.length, -(ip.length + 1)), r.count]))
}

/** A request each endpoint counts its limit for (a plausible body: intents count before deciding). */
const requests: Record<keyof typeof REQUEST_LIMITS, { body?: () => unknown; form?: string; query?: string; signedIn?: true }> = {
  'POST /auth/register': { body: () => ({ phone: newPhone(), password: PASSWORD }) },
  'POST /auth/verify': { body: () => ({ phone: newPhone(), code: '123456' }) },
  'POST /auth/login': { body: () => ({ phone: newPhone(), password: PASSWORD }) },
  'POST /auth/token': { form: `grant_type=password&username=${encodeURIComponent(newEmail())}&password=${PASSWORD}` },
  'POST /auth/reset-password': { body: () => ({ phone: newPhone() }) },
  'POST /auth/refresh': { body: () => ({ refresh_token: 'not-a-token' }) },
  'POST /auth/mfa/verify': { body: () => ({ mfa_token: 'not-a-token', totp: '123456' }) },
  'POST /auth/confirm-reset': { body: () => ({ phone: newPhone(), code: '123456', new_password: PASSWORD }) },
  'POST /auth/passkey/options': { body: () => ({ phone: newPhone() }) },
  'POST /auth/passkey/verify': {
    body: () => ({
      credential: {
        id: 'AAAAAAAAAAAAAAAAAAAAAA',
        rawId: 'AAAAAAAAAAAAAAAAAAAAAA',
        type: 'public-key',
        response: { clientDataJSON: 'e30', authenticatorData: 'AAAA', signature: 'AAAA' },
        clientExtensionResults: {},
      },
    }),
  },
  'GET /auth/email/verify': { query: '?token=not-a-token' },
  'POST /auth/email/verify': { body: () => ({ token: 'not-a-token' }) },
  'GET /auth/email/reset': { query: '?token=not-a-token' },
  'POST /auth/email/reset': { body: () => ({ token: 'not-a-token', new_password: PASSWORD }) },
  'POST /auth/change-password': { body: () => ({ old_password: PASSWORD, new_password: `${PASSWORD}!` }) },
  'POST /auth/logout': { body: () => ({}) },
  'POST /auth/email/verify-request': { body: () => ({}) },
  'DELETE /me': { body: () => ({ password: 'Not-The-Pass1' }) },
  'DELETE /me/mfa/totp': { body: () => ({ code: '123456', current_password: 'Not-The-Pass1' }) },
  'PATCH /me': { body: () => ({ email: newEmail(), current_password: PASSWORD }), signedIn: true },
}

async function send(endpoint: keyof typeof REQUEST_LIMITS, ip: string): Promise<Response> {
  const [method = '', path] = endpoint.split(' ')
  const r = requests[endpoint]
  if (r.form !== undefined) return call(method, `${API}${path}`, { body: r.form, headers: FORM, ip })
  // A signed-in endpoint counted by its service: a token from elsewhere, so only the request itself counts here.
  const token = r.signedIn ? (await signUp(box)).access_token : undefined
  return call(method, `${API}${path}${r.query ?? ''}`, { json: r.body?.(), ip, ...(token ? { token } : {}) })
}

describe('the request-limit table', () => {
  it('names every POST endpoint under /auth, and only served endpoints', () => {
    const posts = served.filter((r) => r.method === 'POST' && r.path.startsWith(`${API}/auth/`))
    const endpoints = new Set(served.map((r) => `${r.method} ${r.path.slice(API.length)}`))
    expect(posts.length).toBeGreaterThanOrEqual(10)
    for (const r of posts) expect(Object.keys(REQUEST_LIMITS)).toContain(`POST ${r.path.slice(API.length)}`)
    for (const endpoint of Object.keys(REQUEST_LIMITS)) expect([...endpoints]).toContain(endpoint)
  })

  it.each(Object.entries(REQUEST_LIMITS))('%s counts its group once per request', async (endpoint, limit) => {
    const ip = newIp()
    const res = await send(endpoint as keyof typeof REQUEST_LIMITS, ip)
    expect(res.status).not.toBe(429)
    expect(await groupsCounted(ip)).toEqual(limit.group ? { [limit.group]: 1 } : {})
  })

  it("counts the token endpoint's refresh grant in the login group and, refreshing, in the refresh group", async () => {
    const ip = newIp()
    await call('POST', `${API}/auth/token`, { body: 'grant_type=refresh_token&refresh_token=not-a-token', headers: FORM, ip })
    expect(await groupsCounted(ip)).toEqual({ login: 1, refresh: 1 })
  })
})
