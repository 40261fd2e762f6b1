import { describe, expect, it } from 'vitest'
import { PAGE_CSP } from '../../src/pages/layout'
import { type CallOptions, call, json } from '../helpers/app'
import { newPhone, PASSWORD } from '../helpers/factories'
import { activeUser, newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'

const box = useOutbox({ quietErrors: true })

/** The deny-all policy of API answers: they are data, never a document to render. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'"
const form = (fields: Record<string, string>): CallOptions => ({
  body: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
})

interface Case {
  name: string
  kind: 'api' | 'page'
  status: number
  run: (env?: Record<string, string>) => Promise<Response>
}

/** One response of each kind the service gives: success, each error path, 404, pages, GET /. */
const CASES: Case[] = [
  { name: 'GET /', kind: 'api', status: 200, run: (env) => call('GET', '/', { env }) },
  { name: 'GET /health', kind: 'api', status: 200, run: (env) => call('GET', '/health', { env }) },
  { name: 'GET /.well-known/jwks.json', kind: 'api', status: 200, run: (env) => call('GET', '/.well-known/jwks.json', { env }) },
  { name: 'GET /api/v1/openapi.json', kind: 'api', status: 200, run: (env) => call('GET', '/api/v1/openapi.json', { env }) },
  { name: '404 under /api/v1', kind: 'api', status: 404, run: (env) => call('GET', '/api/v1/nope', { env }) },
  { name: '404 outside /api/v1', kind: 'api', status: 404, run: (env) => call('GET', '/nope', { env }) },
  {
    name: '401 invalid_credentials',
    kind: 'api',
    status: 401,
    run: (env) => call('POST', '/api/v1/auth/login', { json: { phone: newPhone(), password: 'Wrong-Pass-123' }, env }),
  },
  { name: '401 unauthorized (no token)', kind: 'api', status: 401, run: (env) => call('GET', '/api/v1/me', { env }) },
  {
    name: '400 validation_error',
    kind: 'api',
    status: 400,
    run: (env) => call('POST', '/api/v1/auth/register', { json: { nonsense: 1 }, env }),
  },
  {
    name: '400 invalid_json',
    kind: 'api',
    status: 400,
    run: (env) =>
      call('POST', '/api/v1/auth/register', { body: '{"phone":', headers: { 'content-type': 'application/json' }, env }),
  },
  {
    name: '413 payload_too_large',
    kind: 'api',
    status: 413,
    run: (env) =>
      call('POST', '/api/v1/auth/register', {
        body: JSON.stringify({ name: 'x'.repeat(70 * 1024) }),
        headers: { 'content-type': 'application/json' },
        env,
      }),
  },
  {
    name: '415 unsupported_media_type',
    kind: 'api',
    status: 415,
    run: (env) => call('POST', '/api/v1/auth/register', { body: 'phone=1', headers: { 'content-type': 'text/plain' }, env }),
  },
  {
    name: '400 RFC 6749 error of /auth/token',
    kind: 'api',
    status: 400,
    run: (env) => call('POST', '/api/v1/auth/token', { ...form({ grant_type: 'magic' }), env }),
  },
  {
    name: '429 rate_limited',
    kind: 'api',
    status: 429,
    run: async (env) => {
      const opts = {
        json: { phone: newPhone(), password: 'Wrong-Pass-123' },
        env: { ...env, AUTH_REQUESTS_PER_IP_PER_MINUTE: '1' },
      }
      const ip = newIp()
      await call('POST', '/api/v1/auth/login', { ...opts, ip })
      return call('POST', '/api/v1/auth/login', { ...opts, ip })
    },
  },
  {
    name: '500 internal_error (misconfigured)',
    kind: 'api',
    status: 500,
    run: (env) => call('GET', '/health', { env: { ...env, OTP_LENGTH: 'many' } }),
  },
  { name: 'GET /api/v1/docs page', kind: 'page', status: 200, run: (env) => call('GET', '/api/v1/docs', { env }) },
  { name: 'GET /api/v1/redoc page', kind: 'page', status: 200, run: (env) => call('GET', '/api/v1/redoc', { env }) },
  {
    name: 'email verification page (invalid link)',
    kind: 'page',
    status: 400,
    run: (env) => call('GET', '/api/v1/auth/email/verify?token=nope', { env }),
  },
  {
    name: 'reset page (invalid link)',
    kind: 'page',
    status: 400,
    run: (env) => call('GET', `/api/v1/auth/email/reset?token=${'a'.repeat(40)}`, { env }),
  },
]

describe('security headers on every response', () => {
  it.each(CASES)('$name', async ({ kind, status, run }) => {
    const res = await run()
    expect(res.status).toBe(status)
    const h = res.headers
    expect(h.get('x-content-type-options')).toBe('nosniff')
    expect(h.get('x-frame-options')).toBe('DENY')
    expect(h.get('referrer-policy')).toBe('no-referrer')
    expect(h.get('x-request-id')).toMatch(/^[A-Za-z0-9._:-]{8,128}$/)
    expect(h.has('strict-transport-security')).toBe(false)
    const csp = h.get('content-security-policy') ?? ''
    if (kind === 'api') {
      expect(h.get('content-type')).toMatch(/^application\/(problem\+)?json/)
      expect(csp).toBe(API_CSP)
    } else {
      expect(h.get('content-type')).toMatch(/^text\/html/)
      // Pages keep their own policy; the API's deny-all one does not overwrite it.
      expect(csp).not.toBe(API_CSP)
      expect(csp).toContain("default-src 'none'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).toMatch(/style-src /)
    }
    if (status >= 400 && h.get('content-type')?.startsWith('application/problem+json')) {
      expect((await json(res)).request_id).toBe(h.get('x-request-id'))
    }
  })

  it('gives the email pages the pages’ CSP, exactly', async () => {
    const res = await call('GET', '/api/v1/auth/email/verify?token=nope')
    expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP)
  })

  it('echoes a well-formed incoming X-Request-Id and replaces a malformed one', async () => {
    const mine = 'client-trace-0123456789'
    const echoed = await call('GET', '/api/v1/nope', { headers: { 'x-request-id': mine } })
    expect(echoed.headers.get('x-request-id')).toBe(mine)
    expect((await json(echoed)).request_id).toBe(mine)

    const replaced = await call('GET', '/api/v1/nope', { headers: { 'x-request-id': 'bad id <script>' } })
    const id = replaced.headers.get('x-request-id')
    expect(id).not.toBe('bad id <script>')
    expect(id).toMatch(/^[A-Za-z0-9._:-]{8,128}$/)
    expect((await json(replaced)).request_id).toBe(id)
  })

  it('gives each request its own id', async () => {
    const ids = await Promise.all([1, 2, 3].map(() => call('GET', '/').then((r) => r.headers.get('x-request-id'))))
    expect(new Set(ids).size).toBe(3)
  })
})

describe('HSTS', () => {
  const PRODUCTION = { ENVIRONMENT: 'production' }

  it.each(CASES)('is sent in production: $name', async ({ run, status }) => {
    const res = await run(PRODUCTION)
    expect(res.status).toBe(status)
    const hsts = res.headers.get('strict-transport-security') ?? ''
    expect(hsts).toMatch(/^max-age=(\d+)/)
    expect(Number(/max-age=(\d+)/.exec(hsts)?.[1])).toBeGreaterThanOrEqual(31_536_000)
    expect(hsts).toContain('includeSubDomains')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('is not sent in development (the default)', async () => {
    const res = await call('GET', '/', { env: { ENVIRONMENT: 'development' } })
    expect(res.headers.has('strict-transport-security')).toBe(false)
  })
})

describe('Cache-Control: no-store on token responses', () => {
  const VARS = { OTP_RESEND_COOLDOWN_SECONDS: '0' }

  function expectNoStore(res: Response) {
    expect(res.headers.get('cache-control')).toMatch(/\bno-store\b/)
  }

  it('on /login, /refresh and /token answers that carry tokens', async () => {
    const user = await activeUser(box, { env: VARS })
    const login = await call('POST', '/api/v1/auth/login', { json: { phone: user.phone, password: PASSWORD }, env: VARS })
    expect(login.status).toBe(200)
    expectNoStore(login)
    const tokens = await json(login)

    const refresh = await call('POST', '/api/v1/auth/refresh', { json: { refresh_token: tokens.refresh_token }, env: VARS })
    expect(refresh.status).toBe(200)
    expectNoStore(refresh)

    const token = await call('POST', '/api/v1/auth/token', {
      ...form({ grant_type: 'password', username: user.phone, password: PASSWORD }),
      env: VARS,
    })
    expect(token.status).toBe(200)
    expectNoStore(token)
    expect(token.headers.get('pragma')).toBe('no-cache')
    const body = await json(token)
    expect(body.access_token).toEqual(expect.any(String))

    const refreshed = await call('POST', '/api/v1/auth/token', {
      ...form({ grant_type: 'refresh_token', refresh_token: body.refresh_token }),
      env: VARS,
    })
    expect(refreshed.status).toBe(200)
    expectNoStore(refreshed)
  })

  it('on the /verify answer of a registration', async () => {
    const phone = newPhone()
    const reg = await call('POST', '/api/v1/auth/register', { json: { phone, password: PASSWORD }, ip: newIp() })
    expect(reg.status).toBe(201)
    const res = await call('POST', '/api/v1/auth/verify', { json: { phone, code: box.lastCode(phone) } })
    expect(res.status).toBe(200)
    expect((await json(res)).access_token).toEqual(expect.any(String))
    expectNoStore(res)
  })

  it('on every error, RFC 6749 ones included', async () => {
    expectNoStore(await call('GET', '/api/v1/me'))
    expectNoStore(await call('POST', '/api/v1/auth/token', form({ grant_type: 'password', username: 'x', password: 'y' })))
  })
})

describe('CORS from CORS_ORIGINS', () => {
  const CORS = { CORS_ORIGINS: 'https://app.example, https://admin.example' }
  const APP = 'https://app.example'

  const preflight = (origin: string, env: Record<string, string> = CORS) =>
    call('OPTIONS', '/api/v1/auth/login', {
      env,
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    })

  it('answers a preflight from a listed origin: that origin, Authorization allowed', async () => {
    const res = await preflight(APP)
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe(APP)
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/)
    expect(allowed).toContain('authorization')
    expect(allowed).toContain('content-type')
    expect(res.headers.get('access-control-allow-methods')).toMatch(/\bPOST\b/)
    expect(res.headers.get('vary') ?? '').toMatch(/origin/i)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-request-id')).toBeTruthy()
    // Never a wildcard: a listed origin is echoed, nothing else.
    expect(res.headers.get('access-control-allow-origin')).not.toBe('*')
  })

  it('allows each listed origin', async () => {
    const res = await preflight('https://admin.example')
    expect(res.headers.get('access-control-allow-origin')).toBe('https://admin.example')
  })

  it('gives no Access-Control-Allow-Origin to an unlisted origin', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.evil.test', 'http://app.example', 'null']) {
      const res = await preflight(origin)
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
      const get = await call('GET', '/health', { env: CORS, headers: { origin } })
      expect(get.headers.get('access-control-allow-origin')).toBeNull()
    }
  })

  it('allows no origin at all by default', async () => {
    const res = await preflight(APP, {})
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('exposes X-Request-Id and Retry-After to the listed origin, on answers and on errors', async () => {
    for (const res of [
      await call('GET', '/health', { env: CORS, headers: { origin: APP } }),
      await call('GET', '/api/v1/me', { env: CORS, headers: { origin: APP } }),
    ]) {
      expect(res.headers.get('access-control-allow-origin')).toBe(APP)
      const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/)
      expect(exposed).toContain('x-request-id')
      expect(exposed).toContain('retry-after')
    }
  })
})
