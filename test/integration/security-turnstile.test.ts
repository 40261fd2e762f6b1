import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { newEmail, newPhone, PASSWORD, signUp } from '../helpers/factories'
import { useFakeFetch } from '../helpers/fake-fetch'
import { activeUser, newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'

// SPEC §5 bot defence: with TURNSTILE_SECRET_KEY set, the endpoints that send a code or a link
// need a turnstile_token that siteverify accepts, checked before anything else; a password login
// may carry one to pass a per-identifier lockout. Here siteverify is a local fake.

const BASE = 'https://turnstile.test'
const ON = { TURNSTILE_SECRET_KEY: 'ts-secret', TURNSTILE_API_BASE: BASE, OTP_RESEND_COOLDOWN_SECONDS: '0' }
const GOOD = 'good-token'

const box = useOutbox()
// Refuses every token unless a test queued an acceptance (`acceptNext`).
const siteverify = useFakeFetch(BASE, () => Response.json({ success: false }))

const post = (path: string, body: Record<string, unknown>, opts: { ip?: string; token?: string; vars?: object } = {}) =>
  call('POST', `/api/v1${path}`, {
    json: body,
    env: { ...ON, ...(opts.vars as Record<string, string>) },
    ip: opts.ip ?? newIp(),
    ...(opts.token ? { token: opts.token } : {}),
  })

/** Rows any limit counted for a client address (per-IP request and send counters). */
async function countedFor(ip: string): Promise<number> {
  const row = env.DB.prepare('SELECT count(*) AS n FROM rate_limits WHERE key LIKE ? OR key LIKE ?').bind(`%:${ip}`, `%:${ip}:%`)
  return (await row.first<number>('n')) ?? 0
}

/** Makes the fake accept the next siteverify call. */
const acceptNext = () => siteverify.reply(() => Response.json({ success: true }))

describe('send endpoints with TURNSTILE_SECRET_KEY set', () => {
  const sends: [string, (phone: string) => Record<string, unknown>, number][] = [
    ['/auth/register', (phone) => ({ phone, password: PASSWORD }), 201],
    ['/auth/login', (phone) => ({ phone, use_otp: true }), 202],
    ['/auth/reset-password', (phone) => ({ phone }), 202],
  ]

  it.each(sends)('%s without a token: 400 turnstile_failed, no code, nothing counted, no siteverify call', async (path, body) => {
    const user = await activeUser(box)
    const phone = path === '/auth/register' ? newPhone() : user.phone
    box.clear()
    const ip = newIp()
    await expectError(await post(path, body(phone), { ip }), 400, 'turnstile_failed')
    expect(box.to(phone)).toHaveLength(0)
    expect(await countedFor(ip)).toBe(0)
    expect(siteverify.requests).toHaveLength(0)
  })

  it.each(sends)('%s with a refused token: 400 turnstile_failed, nothing sent or counted', async (path, body) => {
    const user = await activeUser(box)
    const phone = path === '/auth/register' ? newPhone() : user.phone
    box.clear()
    const ip = newIp()
    await expectError(await post(path, { ...body(phone), turnstile_token: 'forged' }, { ip }), 400, 'turnstile_failed')
    expect(box.to(phone)).toHaveLength(0)
    expect(await countedFor(ip)).toBe(0)
    expect(siteverify.requests.map((r) => r.body)).toEqual([`secret=ts-secret&response=forged&remoteip=${ip}`])
  })

  it.each(sends)('%s with an accepted token: the normal answer, and the code is sent', async (path, body, status) => {
    const user = await activeUser(box)
    const phone = path === '/auth/register' ? newPhone() : user.phone
    box.clear()
    acceptNext()
    const ip = newIp()
    const res = await post(path, { ...body(phone), turnstile_token: GOOD }, { ip })
    expect(res.status).toBe(status)
    expect(box.to(phone)).toHaveLength(1)
    const [req] = siteverify.requests
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe(`${BASE}/turnstile/v0/siteverify`)
    expect(req?.headers.get('content-type')).toBe('application/x-www-form-urlencoded')
    expect(Object.fromEntries(req?.form ?? [])).toEqual({ secret: 'ts-secret', response: GOOD, remoteip: ip })
  })

  it('guards POST /auth/email/verify-request the same way', async () => {
    const email = newEmail()
    const user = await signUp(box, { email }) // registered while the defence was off
    box.clear()
    const path = '/auth/email/verify-request'
    await expectError(await post(path, {}, { token: user.access_token }), 400, 'turnstile_failed')
    expect(box.to(email)).toHaveLength(0)
    acceptNext()
    expect((await post(path, { turnstile_token: GOOD }, { token: user.access_token })).status).toBe(202)
    expect(box.to(email)).toHaveLength(1)
  })

  it('guards POST /me/phone/verify-request the same way, before authentication', async () => {
    const user = await signUp(box, { email: newEmail() }) // registered while the defence was off
    const phone = newPhone()
    await call('PATCH', '/api/v1/me', { token: user.access_token, json: { phone, current_password: PASSWORD }, ip: newIp() })
    box.clear()
    const path = '/me/phone/verify-request'
    await expectError(await post(path, {}), 400, 'turnstile_failed') // no access token either: the bot check comes first
    await expectError(await post(path, {}, { token: user.access_token }), 400, 'turnstile_failed')
    expect(box.to(phone)).toHaveLength(0)
    acceptNext()
    expect((await post(path, { turnstile_token: GOOD }, { token: user.access_token })).status).toBe(202)
    expect(box.to(phone)).toHaveLength(1)
  })

  it('checks the token before validation and before the per-IP limit', async () => {
    const vars = { AUTH_REQUESTS_PER_IP_PER_MINUTE: '1' }
    const ip = newIp()
    for (let i = 0; i < 3; i++) {
      await expectError(await post('/auth/reset-password', { phone: 'not a phone' }, { ip, vars }), 400, 'turnstile_failed')
    }
    expect(await countedFor(ip)).toBe(0)
  })

  it('does not ask a password login for a token', async () => {
    const user = await activeUser(box)
    const res = await post('/auth/login', { phone: user.phone, password: PASSWORD })
    expect(res.status).toBe(200)
    expect(siteverify.requests).toHaveLength(0)
  })
})

describe('Turnstile off (the default)', () => {
  it('requires no token and calls nobody', async () => {
    const phone = newPhone()
    const res = await call('POST', '/api/v1/auth/register', { json: { phone, password: PASSWORD }, ip: newIp() })
    expect(res.status).toBe(201)
    expect(box.to(phone)).toHaveLength(1)
    expect(siteverify.requests).toHaveLength(0)
  })

  it('ignores a token on a locked identifier: it passes nothing', async () => {
    const lock = { LOGIN_LOCKOUT_THRESHOLD: '2' }
    const user = await activeUser(box, { env: lock })
    for (let i = 0; i < 2; i++) {
      const res = await call('POST', '/api/v1/auth/login', {
        json: { phone: user.phone, password: 'Wrong-Pass-123' },
        env: lock,
        ip: newIp(),
      })
      await expectError(res, 401, 'invalid_credentials')
    }
    const res = await call('POST', '/api/v1/auth/login', {
      json: { phone: user.phone, password: PASSWORD, turnstile_token: GOOD },
      env: lock,
      ip: newIp(),
    })
    await expectError(res, 429, 'rate_limited')
    expect(siteverify.requests).toHaveLength(0)
  })
})

describe('a password login carrying a token (SPEC §5)', () => {
  const LOCK = { LOGIN_LOCKOUT_THRESHOLD: '3' }
  const login = (body: Record<string, unknown>, ip = newIp()) => post('/auth/login', body, { ip, vars: LOCK })

  async function lockedOwner() {
    const user = await activeUser(box, { env: LOCK })
    for (let i = 0; i < 3; i++)
      await expectError(await login({ phone: user.phone, password: 'Wrong-Pass-123' }), 401, 'invalid_credentials')
    return user
  }

  it('passes a per-identifier lock from an unknown address with an accepted token', async () => {
    const user = await lockedOwner()
    await expectError(await login({ phone: user.phone, password: PASSWORD }), 429, 'rate_limited')
    acceptNext()
    const res = await login({ phone: user.phone, password: PASSWORD, turnstile_token: GOOD })
    expect(res.status).toBe(200)
    expect((await json(res)).user.id).toBe(user.user.id)
  })

  it('does not pass it with a refused token', async () => {
    const user = await lockedOwner()
    await expectError(await login({ phone: user.phone, password: PASSWORD, turnstile_token: 'forged' }), 429, 'rate_limited')
    expect(siteverify.requests).toHaveLength(1)
  })

  it("never passes the client's own bucket lock", async () => {
    const user = await activeUser(box, { env: LOCK })
    const ip = newIp()
    for (let i = 0; i < 3; i++) {
      await expectError(await login({ phone: user.phone, password: 'Wrong-Pass-123' }, ip), 401, 'invalid_credentials')
    }
    acceptNext()
    await expectError(await login({ phone: user.phone, password: PASSWORD, turnstile_token: GOOD }, ip), 429, 'rate_limited')
  })

  it('never passes the per-IP request limit', async () => {
    const user = await activeUser(box, { env: LOCK })
    const limited = { ...LOCK, AUTH_REQUESTS_PER_IP_PER_MINUTE: '1' }
    const ip = newIp()
    const first = await post('/auth/login', { phone: user.phone, password: 'Wrong-Pass-123' }, { ip, vars: limited })
    await expectError(first, 401, 'invalid_credentials')
    acceptNext()
    const res = await post('/auth/login', { phone: user.phone, password: PASSWORD, turnstile_token: GOOD }, { ip, vars: limited })
    await expectError(res, 429, 'rate_limited')
    expect(siteverify.requests).toHaveLength(0)
  })

  it('costs no siteverify call while the identifier is not locked', async () => {
    const user = await activeUser(box, { env: LOCK })
    expect((await login({ phone: user.phone, password: PASSWORD, turnstile_token: GOOD })).status).toBe(200)
    expect(siteverify.requests).toHaveLength(0)
  })
})

describe('the OpenAPI document', () => {
  it('offers turnstile_token on the send endpoints and lists turnstile_failed among the error codes', async () => {
    const doc = await json(await call('GET', '/api/v1/openapi.json'))
    const schemas = doc.components.schemas
    for (const name of ['RegisterBody', 'LoginBody', 'ResetPasswordBody']) {
      expect(schemas[name].properties.turnstile_token.description, name).toMatch(/turnstile_failed/)
      expect(schemas[name].required ?? []).not.toContain('turnstile_token')
    }
    expect(schemas.Error.properties.error.enum).toContain('turnstile_failed')
  })
})
