import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, json } from '../helpers/app'
import { newEmail, newPhone, PASSWORD } from '../helpers/factories'
import { retryAfter } from '../helpers/limits'
import { expectOAuthError, expectTokens, token } from '../helpers/oauth'
import { activeUser, newIp, registerPending } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { getMe, sleep } from '../helpers/sessions'

const box = useOutbox()

const NO_GRACE = { REFRESH_REUSE_GRACE_SECONDS: '0' }

describe('POST /api/v1/auth/token, grant_type=password', () => {
  it('signs in with the phone as username, in any accepted format', async () => {
    const { phone, user } = await activeUser(box)
    const local = phone.slice(4) // 9xxxxxxx
    for (const username of [phone, `${local.slice(0, 2)} ${local.slice(2, 5)} ${local.slice(5)}`, `00${phone.slice(1)}`]) {
      const tokens = await expectTokens(await token({ grant_type: 'password', username, password: PASSWORD }))
      const me = await getMe(tokens.access_token)
      expect(me.status).toBe(200)
      expect((await json(me)).id).toBe(user.id)
    }
  })

  it('signs in with the email as username', async () => {
    const phone = newPhone()
    const email = newEmail()
    const reg = await call('POST', '/api/v1/auth/register', { json: { phone, email, password: PASSWORD }, ip: newIp() })
    expect(reg.status).toBe(201)
    const verified = await call('POST', '/api/v1/auth/verify', { json: { phone, code: box.lastCode(phone) } })
    expect(verified.status).toBe(200)

    const tokens = await expectTokens(await token({ grant_type: 'password', username: email.toUpperCase(), password: PASSWORD }))
    expect((await json(await getMe(tokens.access_token))).email).toBe(email)
  })

  it('answers a wrong password with 400 invalid_grant', async () => {
    const { phone } = await activeUser(box)
    await expectOAuthError(
      await token({ grant_type: 'password', username: phone, password: 'Wrong-Passw0rd' }),
      400,
      'invalid_grant',
    )
  })

  it('answers an unknown user exactly like a wrong password', async () => {
    const { phone } = await activeUser(box)
    const wrong = await expectOAuthError(
      await token({ grant_type: 'password', username: phone, password: 'Wrong-Passw0rd' }),
      400,
      'invalid_grant',
    )
    const unknown = await expectOAuthError(
      await token({ grant_type: 'password', username: newPhone(), password: PASSWORD }),
      400,
      'invalid_grant',
    )
    expect(unknown).toEqual(wrong)
  })

  it('refuses an unverified account with invalid_grant', async () => {
    const { phone } = await registerPending(box)
    await expectOAuthError(await token({ grant_type: 'password', username: phone, password: PASSWORD }), 400, 'invalid_grant')
  })

  it('refuses a password over 128 characters with 400 invalid_request, before the login is even attempted', async () => {
    const { phone } = await activeUser(box)
    const attempts = async () =>
      (await env.DB.prepare('SELECT failures FROM login_failures WHERE identifier = ?').bind(`sms:${phone}`).first('failures')) ??
      0
    const long = `Aa1${'x'.repeat(126)}`
    expect([...long]).toHaveLength(129)
    const body = await expectOAuthError(
      await token({ grant_type: 'password', username: phone, password: long }),
      400,
      'invalid_request',
    )
    expect(body.error_description).toMatch(/128/)
    // Not counted as an attempt: refused before the login's first batch, so before any hashing.
    expect(await attempts()).toBe(0)
    // Characters, not UTF-16 units: 128 emoji are a password of allowed length, evaluated (and wrong).
    await expectOAuthError(
      await token({ grant_type: 'password', username: phone, password: '🔑'.repeat(128) }),
      400,
      'invalid_grant',
    )
    expect(await attempts()).toBe(1)
  })

  it('refuses a missing password with 400 invalid_request', async () => {
    const { phone } = await activeUser(box)
    await expectOAuthError(await token({ grant_type: 'password', username: phone }), 400, 'invalid_request')
  })
})

describe('POST /api/v1/auth/token, grant_type=refresh_token', () => {
  it('rotates the refresh token', async () => {
    const user = await activeUser(box)
    const tokens = await expectTokens(await token({ grant_type: 'refresh_token', refresh_token: user.refresh_token }))
    expect(tokens.refresh_token).not.toBe(user.refresh_token)
    await expectTokens(await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }))
  })

  it('answers a reused refresh token after the grace window with 400 invalid_grant', async () => {
    const user = await activeUser(box, { env: NO_GRACE })
    const newest = await expectTokens(await token({ grant_type: 'refresh_token', refresh_token: user.refresh_token }, NO_GRACE))
    await sleep(5)
    await expectOAuthError(
      await token({ grant_type: 'refresh_token', refresh_token: user.refresh_token }, NO_GRACE),
      400,
      'invalid_grant',
    )
    // The session is revoked, so the newest refresh token is refused as well.
    await expectOAuthError(
      await token({ grant_type: 'refresh_token', refresh_token: newest.refresh_token }, NO_GRACE),
      400,
      'invalid_grant',
    )
  })

  it('answers an unknown refresh token with 400 invalid_grant', async () => {
    await expectOAuthError(await token({ grant_type: 'refresh_token', refresh_token: 'nope' }), 400, 'invalid_grant')
  })
})

describe('POST /api/v1/auth/token without grant_type (FastAPI OAuth2PasswordRequestForm, seed 001)', () => {
  it('takes username and password as the password grant, by phone or email', async () => {
    const phone = newPhone()
    const email = newEmail()
    expect(
      (await call('POST', '/api/v1/auth/register', { json: { phone, email, password: PASSWORD }, ip: newIp() })).status,
    ).toBe(201)
    const verified = await call('POST', '/api/v1/auth/verify', { json: { phone, code: box.lastCode(phone) } })
    const { user } = await json(verified)
    for (const username of [phone, email]) {
      const tokens = await expectTokens(await token({ username, password: PASSWORD }))
      expect((await json(await getMe(tokens.access_token))).id).toBe(user.id)
    }
  })

  it('takes an empty grant_type with username and password as the password grant too', async () => {
    const { phone, user } = await activeUser(box)
    const tokens = await expectTokens(await token({ grant_type: '', username: phone, password: PASSWORD, scope: '' }))
    expect((await json(await getMe(tokens.access_token))).id).toBe(user.id)
  })

  it('applies every rule of the password grant: a wrong password or an unknown user is invalid_grant, alike', async () => {
    const { phone } = await activeUser(box)
    const wrong = await expectOAuthError(await token({ username: phone, password: 'Wrong-Passw0rd' }), 400, 'invalid_grant')
    const unknown = await expectOAuthError(await token({ username: newPhone(), password: PASSWORD }), 400, 'invalid_grant')
    expect(unknown).toEqual(wrong)
    const pending = await registerPending(box)
    await expectOAuthError(await token({ username: pending.phone, password: PASSWORD }), 400, 'invalid_grant')
  })

  it('still refuses a password over 128 characters with 400 invalid_request', async () => {
    const { phone } = await activeUser(box)
    const body = await expectOAuthError(
      await token({ username: phone, password: `Aa1${'x'.repeat(126)}` }),
      400,
      'invalid_request',
    )
    expect(body.error_description).toMatch(/128/)
  })
})

describe('POST /api/v1/auth/token, malformed requests', () => {
  it('answers grant_type=client_credentials with 400 unsupported_grant_type', async () => {
    await expectOAuthError(await token({ grant_type: 'client_credentials' }), 400, 'unsupported_grant_type')
  })

  it('answers a missing grant_type with 400 invalid_request when the form is not a password grant', async () => {
    const user = await activeUser(box)
    // RFC 6749 §3.1: a parameter without a value is an omitted one.
    const forms: Record<string, string>[] = [
      {},
      { grant_type: '' },
      { refresh_token: user.refresh_token },
      { username: user.phone },
      { password: PASSWORD },
    ]
    for (const form of forms) {
      const body = await expectOAuthError(await token(form), 400, 'invalid_request')
      expect(body.error_description).toBe('Missing parameter: grant_type')
    }
    // The refresh token was not used: it still rotates.
    await expectTokens(await token({ grant_type: 'refresh_token', refresh_token: user.refresh_token }))
  })

  it('answers a repeated grant_type with 400 invalid_request, even with a username and password', async () => {
    const { phone } = await activeUser(box)
    const body = `grant_type=password&grant_type=password&username=${encodeURIComponent(phone)}&password=${PASSWORD}`
    const res = await call('POST', '/api/v1/auth/token', {
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect((await expectOAuthError(res, 400, 'invalid_request')).error_description).toMatch(/Repeated parameter: grant_type/)
  })

  it('answers a body that is not a form with 415 invalid_request, malformed JSON included', async () => {
    const { phone } = await activeUser(box)
    const asJson = JSON.stringify({ grant_type: 'password', username: phone, password: PASSWORD })
    for (const [type, body] of [
      ['application/json', asJson],
      ['application/json', '{"grant_type": '],
      ['text/plain', `grant_type=password&username=${phone}&password=${PASSWORD}`],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\npassword\r\n--x--'],
    ]) {
      const res = await call('POST', '/api/v1/auth/token', { body, headers: { 'content-type': type as string } })
      const error = await expectOAuthError(res, 415, 'invalid_request')
      expect(error.error_description).toMatch(/application\/x-www-form-urlencoded/)
    }
  })

  it('answers a body without a content type as an empty form: 400 invalid_request', async () => {
    const body = await expectOAuthError(await call('POST', '/api/v1/auth/token'), 400, 'invalid_request')
    expect(body.error_description).toBe('Missing parameter: grant_type')
  })

  it('reads broken %-escapes and bytes that are not UTF-8 as they come, never a 500', async () => {
    const { phone } = await activeUser(box)
    for (const body of [
      `grant_type=password&username=${encodeURIComponent(phone)}&password=%E0%A4%A`,
      `grant_type=password&username=${encodeURIComponent(phone)}&password=%ZZ%`,
      new Uint8Array([...new TextEncoder().encode('grant_type=password&username=x&password='), 0xff, 0xfe]),
      'grant_type=refresh_token&refresh_token=%00%00',
      '&&&==&=',
    ]) {
      const res = await call('POST', '/api/v1/auth/token', {
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
      expect(res.status).toBe(400)
      const { error } = await json(res.clone())
      expect(['invalid_grant', 'invalid_request']).toContain(error)
      await expectOAuthError(res, 400, error)
    }
  })
})

describe('POST /api/v1/auth/token: every refusal is an RFC 6749 error, whatever refuses it', () => {
  const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

  it('413 over 64 KiB, with or without a content-length', async () => {
    const body = `grant_type=password&username=x&password=${'x'.repeat(70 * 1024)}`
    const sized = await call('POST', '/api/v1/auth/token', { body, headers: { ...FORM, 'content-length': String(body.length) } })
    expect((await expectOAuthError(sized, 413, 'invalid_request')).error_description).toMatch(/64 KiB/)
    const chunks = [new TextEncoder().encode('grant_type=password&password='), new TextEncoder().encode('x'.repeat(70 * 1024))]
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift()
        if (next) controller.enqueue(next)
        else controller.close()
      },
    })
    await expectOAuthError(await call('POST', '/api/v1/auth/token', { body: stream, headers: FORM }), 413, 'invalid_request')
  })

  it('405 with Allow: POST for another method, in every pool', async () => {
    const vars = { USER_POOLS: JSON.stringify({ riders: {} }) }
    for (const path of ['/api/v1/auth/token', '/api/v1/pools/riders/auth/token']) {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const res = await call(method, path, { env: vars })
        expect({ path, method, allow: res.headers.get('allow') }).toEqual({ path, method, allow: 'POST' })
        await expectOAuthError(res, 405, 'invalid_request')
      }
    }
  })

  it("404 invalid_request for an unknown pool's token endpoint", async () => {
    const res = await call('POST', '/api/v1/pools/nope/auth/token', { body: 'grant_type=password', headers: FORM })
    await expectOAuthError(res, 404, 'invalid_request')
  })

  it('429 slow_down with Retry-After over the per-IP request limit, for both grants', async () => {
    const vars = { AUTH_REQUESTS_PER_IP_PER_MINUTE: '2' }
    const ip = newIp()
    for (let i = 0; i < 2; i++) {
      await expectOAuthError(
        await token({ grant_type: 'password', username: newPhone(), password: PASSWORD }, vars, { ip }),
        400,
        'invalid_grant',
      )
    }
    for (const form of [
      { grant_type: 'password', username: newPhone(), password: PASSWORD } as Record<string, string>,
      { grant_type: 'refresh_token', refresh_token: 'nope' },
    ]) {
      const res = await token(form, vars, { ip })
      expect((await expectOAuthError(res, 429, 'slow_down')).error_description).toMatch(/from this address/)
      expect(retryAfter(res)).toBeGreaterThan(0)
    }
  })

  it('429 slow_down with Retry-After while the password grant is locked out', async () => {
    const vars = { LOGIN_LOCKOUT_THRESHOLD: '3' }
    const { phone } = await activeUser(box, { env: vars })
    const ip = newIp()
    for (let i = 0; i < 3; i++) {
      await expectOAuthError(
        await token({ grant_type: 'password', username: phone, password: 'Wrong-Passw0rd' }, vars, { ip }),
        400,
        'invalid_grant',
      )
    }
    const res = await token({ grant_type: 'password', username: phone, password: 'Wrong-Passw0rd' }, vars, { ip })
    await expectOAuthError(res, 429, 'slow_down')
    expect(retryAfter(res)).toBeGreaterThanOrEqual(1)
  })

  it('500 server_error, as plain JSON, when the service is misconfigured', async () => {
    const res = await token({ grant_type: 'password', username: newPhone(), password: PASSWORD }, { OTP_LENGTH: 'many' })
    const body = await expectOAuthError(res, 500, 'server_error')
    expect(body.error_description).toBe('The service is misconfigured')
  })

  it('leaves the problem+json of every other endpoint as it is', async () => {
    const res = await call('GET', '/api/v1/auth/login')
    expect(res.status).toBe(405)
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  })
})

describe('POST /api/v1/auth/token: client authentication (public clients only)', () => {
  const basic = (credentials: string) => ({ headers: { authorization: `Basic ${credentials}` } })
  const failures = async (phone: string) =>
    (await env.DB.prepare('SELECT failures FROM login_failures WHERE identifier = ?').bind(`sms:${phone}`).first('failures')) ?? 0

  it.each([
    ['not base64', '!!!'],
    ['no credentials', ''],
    ['no colon', btoa('my-app')],
    ['an empty client_id', btoa(':s3cret')],
    ['a broken %-escape', btoa('my%ZZapp:s3cret')],
    ['bytes that are not UTF-8', btoa(String.fromCharCode(0xff, 0x3a, 0x61))],
    ['base64 of an impossible length', 'YWJjZ'],
    ['two tokens', `${btoa('a:b')} ${btoa('c:d')}`],
  ])(
    'refuses malformed Basic credentials (%s) with 401 invalid_client and a Basic challenge, before the password',
    async (_, credentials) => {
      const { phone } = await activeUser(box)
      const res = await token({ grant_type: 'password', username: phone, password: PASSWORD }, undefined, basic(credentials))
      await expectOAuthError(res, 401, 'invalid_client')
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="edge-auth"')
      expect(await failures(phone)).toBe(0)
    },
  )

  it('refuses well-formed Basic credentials too (no confidential client exists), whatever the password', async () => {
    const { phone } = await activeUser(box)
    for (const scheme of ['Basic', 'basic', 'BASIC']) {
      const res = await token({ grant_type: 'password', username: phone, password: PASSWORD }, undefined, {
        headers: { authorization: `${scheme} ${btoa('my-app:s3cret')}` },
      })
      await expectOAuthError(res, 401, 'invalid_client')
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="edge-auth"')
    }
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: 'x' }, undefined, basic(btoa('my-app:')))
    await expectOAuthError(refresh, 401, 'invalid_client')
  })

  it('refuses client_secret_post and client assertions with 401 invalid_client, without a challenge', async () => {
    const user = await activeUser(box)
    for (const extra of [
      { client_id: 'my-app', client_secret: 's3cret' } as Record<string, string>,
      { client_secret: 's3cret' },
      { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'a.b.c' },
    ]) {
      const res = await token({ grant_type: 'refresh_token', refresh_token: user.refresh_token, ...extra })
      await expectOAuthError(res, 401, 'invalid_client')
      expect(res.headers.get('www-authenticate')).toBeNull()
    }
    // Refused before the grant: the refresh token was not used.
    await expectTokens(await token({ grant_type: 'refresh_token', refresh_token: user.refresh_token }))
  })

  it('accepts a public client: client_id alone (not checked), an empty client_secret, a Bearer header', async () => {
    const { phone } = await activeUser(box)
    const grant = { grant_type: 'password', username: phone, password: PASSWORD }
    await expectTokens(await token({ ...grant, client_id: 'any-app' }))
    await expectTokens(await token({ ...grant, client_id: 'any-app', client_secret: '' }))
    // An app's HTTP client adding the user's (expired) token to every call: not client authentication.
    await expectTokens(await token(grant, undefined, { headers: { authorization: 'Bearer some.expired.token' } }))
  })

  it('refuses a repeated client_id with 400 invalid_request', async () => {
    const res = await call('POST', '/api/v1/auth/token', {
      body: 'grant_type=password&username=x&password=y&client_id=a&client_id=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect((await expectOAuthError(res, 400, 'invalid_request')).error_description).toBe('Repeated parameter: client_id')
  })
})

describe('the OpenAPI document', () => {
  it('lists the token, refresh and logout endpoints', async () => {
    const res = await call('GET', '/api/v1/openapi.json')
    expect(res.status).toBe(200)
    const { paths } = await json(res)
    expect(paths['/api/v1/auth/token']?.post).toBeDefined()
    expect(paths['/api/v1/auth/refresh']?.post).toBeDefined()
    expect(paths['/api/v1/auth/logout']?.post).toBeDefined()
  })

  it('documents grant_type as optional, and what leaving it out means', async () => {
    const { components, paths } = await json(await call('GET', '/api/v1/openapi.json'))
    const form = components.schemas.OAuthTokenForm
    expect(form.required ?? []).not.toContain('grant_type')
    expect(form.properties.grant_type.description).toMatch(/username.*password.*password grant/)
    expect(paths['/api/v1/auth/token'].post.description).toMatch(/Without `grant_type`/)
  })

  it('documents the 128-character password limit where a password is sent', async () => {
    const { components } = await json(await call('GET', '/api/v1/openapi.json'))
    for (const name of ['OAuthTokenForm', 'RegisterBody', 'LoginBody']) {
      expect({ name, maxLength: components.schemas[name]?.properties?.password?.maxLength }).toEqual({ name, maxLength: 128 })
    }
  })
})
