import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import worker from '../../src'
import { call, envWith, expectError, json } from '../helpers/app'
import { newPhone, PASSWORD, register } from '../helpers/factories'
import { activeUser } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { createSuperAdmin } from '../helpers/staff'

const box = useOutbox()

const REGISTER = '/api/v1/auth/register'
/** `+2169xxxxxxx` as a person types it nationally: `9x xxx xxx`. */
const national = (e164: string) => {
  const n = e164.slice(4)
  return `${n.slice(0, 2)} ${n.slice(2, 5)} ${n.slice(5)}`
}

describe('unknown routes', () => {
  it('answers 404 not_found under /api/v1', async () => {
    await expectError(await call('GET', '/api/v1/nope'), 404, 'not_found')
  })

  it('answers 404 not_found outside /api/v1', async () => {
    await expectError(await call('GET', '/nope'), 404, 'not_found')
  })
})

describe('a known path with a method it does not serve', () => {
  it('answers 405 method_not_allowed with Allow listing the methods it serves', async () => {
    for (const [method, path, allow] of [
      ['PUT', '/health', 'GET, HEAD'],
      ['GET', '/api/v1/auth/register', 'POST'],
      ['DELETE', '/api/v1/auth/login', 'POST'],
      ['POST', '/api/v1/.well-known/jwks.json', null],
      ['POST', '/.well-known/jwks.json', 'GET, HEAD'],
      ['PUT', '/api/v1/auth/email/reset', 'GET, HEAD, POST'],
    ] as const) {
      const res = await call(method, path, { json: method === 'GET' ? undefined : {} })
      if (allow === null) {
        await expectError(res, 404, 'not_found')
        continue
      }
      expect({ path, allow: res.headers.get('allow') }).toEqual({ path, allow })
      const body = await expectError(res, 405, 'method_not_allowed')
      expect(body.detail).toContain(allow)
    }
  })

  it('matches paths with parameters, once the route family checks pass', async () => {
    const root = await createSuperAdmin()
    const res = await call('PUT', '/api/v1/policies/01JXYZ', { token: root.access_token, json: {} })
    expect(res.headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH')
    await expectError(res, 405, 'method_not_allowed')
  })

  it('refuses a method before the route family runs: 405 behind a sign-in too, without a token', async () => {
    const res = await call('PUT', '/api/v1/audit')
    await expectError(res, 405, 'method_not_allowed')
    expect(res.headers.get('allow')).toBe('GET, HEAD')
  })

  it('refuses a method before reading the body: 405, not 413, for 64 KiB sent where the method is not served', async () => {
    const res = await call('PUT', REGISTER, { body: 'x'.repeat(70 * 1024), headers: { 'content-type': 'application/json' } })
    await expectError(res, 405, 'method_not_allowed')
    expect(res.headers.get('allow')).toBe('POST')
  })
})

describe('request bodies', () => {
  it('answers 400 invalid_json to malformed JSON', async () => {
    const res = await call('POST', REGISTER, { body: '{"phone": ', headers: { 'content-type': 'application/json' } })
    await expectError(res, 400, 'invalid_json')
  })

  it('takes an empty body with a JSON content type as no body', async () => {
    const empty = { body: '', headers: { 'content-type': 'application/json' } }
    // An endpoint that needs a body says what is missing.
    const body = await expectError(await call('POST', REGISTER, empty), 400, 'validation_error')
    expect(body.fields).toEqual(expect.any(Object))
    // One that takes none checks the sign-in first, then proceeds.
    await expectError(await call('POST', '/api/v1/auth/logout', empty), 401, 'unauthorized')
    const user = await activeUser(box)
    expect((await call('DELETE', '/api/v1/me/sessions', { ...empty, token: user.access_token })).status).toBe(204)
    expect((await call('POST', '/api/v1/auth/logout', { ...empty, token: user.access_token })).status).toBe(204)
    await expectError(await call('GET', '/api/v1/me', { token: user.access_token }), 401, 'invalid_token')
  })

  it('answers 415 to a text/plain body', async () => {
    const body = JSON.stringify({ phone: newPhone(), password: PASSWORD })
    const res = await call('POST', REGISTER, { body, headers: { 'content-type': 'text/plain' } })
    await expectError(res, 415, 'unsupported_media_type')
  })

  it('answers 415 to a form-encoded body', async () => {
    const body = new URLSearchParams({ phone: newPhone(), password: PASSWORD }).toString()
    const res = await call('POST', REGISTER, { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    await expectError(res, 415, 'unsupported_media_type')
  })

  it('answers 400 validation_error to a missing body without a content type', async () => {
    await expectError(await call('POST', REGISTER), 400, 'validation_error')
  })

  it('answers 413 to a body over 64 KiB with a content-length', async () => {
    const body = JSON.stringify({ phone: newPhone(), password: PASSWORD, name: 'x'.repeat(70 * 1024) })
    const res = await call('POST', REGISTER, {
      body,
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
    })
    await expectError(res, 413, 'payload_too_large')
  })

  it('answers 413 to a chunked body over 64 KiB (no content-length)', async () => {
    const chunk = new TextEncoder().encode(`"${'x'.repeat(16 * 1024)}",`)
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"pad":['))
        if (sent++ < 6) controller.enqueue(chunk)
        else {
          controller.enqueue(new TextEncoder().encode('""]}'))
          controller.close()
        }
      },
    })
    const request = new Request(`http://localhost${REGISTER}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.7' },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(request.headers.has('content-length')).toBe(false)
    const ctx = createExecutionContext()
    const res = await worker.fetch(request, envWith(), ctx)
    await waitOnExecutionContext(ctx)
    await expectError(res, 413, 'payload_too_large')
  })
})

describe('strict request schemas', () => {
  it('refuses a staff role at registration', async () => {
    const body = await expectError(
      await register({ phone: newPhone(), password: PASSWORD, role: 'super_admin' }),
      400,
      'validation_error',
    )
    expect(body.fields.role).toEqual(expect.any(String))
  })

  it('refuses an unknown field such as is_verified', async () => {
    const body = await expectError(
      await register({ phone: newPhone(), password: PASSWORD, is_verified: true }),
      400,
      'validation_error',
    )
    expect(body.fields.is_verified).toBe('Unknown field')
  })

  it('names the phone field when the phone is not a number', async () => {
    const body = await expectError(await register({ phone: 'abc', password: PASSWORD }), 400, 'validation_error')
    expect(body.fields.phone).toEqual(expect.any(String))
  })

  it('names the password field when the password is too short', async () => {
    const body = await expectError(await register({ phone: newPhone(), password: 'short' }), 400, 'validation_error')
    expect(body.fields.password).toEqual(expect.any(String))
  })

  it('names the password field when the password is over 128 characters', async () => {
    const password = `Aa1${'x'.repeat(126)}`
    expect(password).toHaveLength(129)
    const body = await expectError(await register({ phone: newPhone(), password }), 400, 'validation_error')
    expect(body.fields.password).toEqual(expect.any(String))
  })

  it('names the name field when the name has a control character', async () => {
    const res = await register({ phone: newPhone(), password: PASSWORD, name: 'Ah\u0007med' })
    const body = await expectError(res, 400, 'validation_error')
    expect(body.fields.name).toEqual(expect.any(String))
  })
})

describe('X-Request-Id', () => {
  it('echoes a valid incoming id, on errors and on successes', async () => {
    const headers = { 'x-request-id': 'req-12345678' }
    const error = await call('GET', '/nope', { headers })
    expect(error.headers.get('x-request-id')).toBe('req-12345678')
    expect((await expectError(error, 404, 'not_found')).request_id).toBe('req-12345678')
    const ok = await call('GET', '/health', { headers })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('x-request-id')).toBe('req-12345678')
  })

  it('replaces an id with spaces or one of 300 characters by a generated one', async () => {
    for (const incoming of ['req 1234 5678', 'r'.repeat(300)]) {
      const res = await call('GET', '/nope', { headers: { 'x-request-id': incoming } })
      const id = res.headers.get('x-request-id')
      expect(id).toBeTruthy()
      expect(id).not.toBe(incoming)
      expect((await expectError(res, 404, 'not_found')).request_id).toBe(id)
    }
  })

  it('is on every success response', async () => {
    const ids = new Set<string>()
    for (const path of ['/health', '/.well-known/jwks.json', '/api/v1/openapi.json', '/api/v1/docs']) {
      const res = await call('GET', path)
      expect(res.status, path).toBe(200)
      const id = res.headers.get('x-request-id')
      expect(id, path).toMatch(/^[A-Za-z0-9._:-]{8,128}$/)
      ids.add(id as string)
    }
    expect(ids.size).toBe(4)
  })
})

describe('phone numbers', () => {
  it('stores national, international and 00-prefixed forms as the same E.164 number', async () => {
    const phone = newPhone()
    const ip = '198.51.100.21'
    expect((await register({ phone: national(phone), password: PASSWORD }, { ip })).status).toBe(201)
    const row = await env.DB.prepare('SELECT phone FROM users WHERE phone = ?').bind(phone).first()
    expect(row).toEqual({ phone })
    expect(box.to(phone)).toHaveLength(1)

    // The same destination: the resend cooldown answers, not a second account.
    const spaced = `+216 ${national(phone)}`
    await expectError(await register({ phone: spaced, password: PASSWORD }, { ip }), 429, 'otp_cooldown')
    const zeros = `00216${phone.slice(4)}`
    await expectError(await register({ phone: zeros, password: PASSWORD }, { ip }), 429, 'otp_cooldown')
    const count = await env.DB.prepare('SELECT count(*) AS n FROM users WHERE phone = ?').bind(phone).first()
    expect(count).toEqual({ n: 1 })
  })

  it('refuses a landline with 400 validation_error', async () => {
    const body = await expectError(await register({ phone: '71 234 567', password: PASSWORD }), 400, 'validation_error')
    expect(body.fields.phone).toEqual(expect.any(String))
  })

  it('refuses a number from a country outside ALLOWED_COUNTRIES', async () => {
    const res = await register({ phone: '+33 6 12 34 56 78', password: PASSWORD }, { env: { ALLOWED_COUNTRIES: 'TN' } })
    await expectError(res, 400, 'phone_country_not_allowed')
  })
})

describe('service routes', () => {
  it('serves an OpenAPI 3.1 document of the endpoints', async () => {
    const res = await call('GET', '/api/v1/openapi.json')
    expect(res.status).toBe(200)
    const doc = await json(res)
    expect(doc.openapi).toBe('3.1.0')
    const paths = Object.keys(doc.paths)
    for (const path of [
      '/api/v1/auth/register',
      '/api/v1/auth/verify',
      '/api/v1/auth/login',
      '/api/v1/auth/reset-password',
      '/api/v1/auth/confirm-reset',
      '/api/v1/auth/change-password',
      '/api/v1/me',
      '/health',
      '/.well-known/jwks.json',
    ]) {
      expect(paths, path).toContain(path)
    }
  })

  it('serves an HTML API reference pointing at the document', async () => {
    const res = await call('GET', '/api/v1/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await res.text()).toContain('/api/v1/openapi.json')
  })

  it('reports health of D1 and KV', async () => {
    const res = await call('GET', '/health')
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ status: 'ok', checks: { db: 'ok', kv: 'ok' } })
  })
})

describe('unexpected failures', () => {
  it('answers 500 internal_error without the cause, and logs it with the request id', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const res = await call('GET', '/health', { env: { OTP_LENGTH: 'banana' } })
      const body = await expectError(res, 500, 'internal_error')
      const text = JSON.stringify(body)
      expect(text).not.toMatch(/OTP_LENGTH|banana|stack|at .*\.(ts|js)/i)
      expect(Object.keys(body).sort()).toEqual(['detail', 'error', 'request_id', 'status', 'title', 'type'])
      const logged = log.mock.calls.map((args) => args.map(String).join(' ')).join('\n')
      expect(logged).toContain('OTP_LENGTH')
      expect(logged).toContain(body.request_id)
    } finally {
      log.mockRestore()
    }
  })
})
