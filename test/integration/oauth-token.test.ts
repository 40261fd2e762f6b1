import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, json } from '../helpers/app'
import { newEmail, newPhone, PASSWORD } from '../helpers/factories'
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

  it('answers a JSON body with 400 invalid_request', async () => {
    const { phone } = await activeUser(box)
    const res = await call('POST', '/api/v1/auth/token', {
      json: { grant_type: 'password', username: phone, password: PASSWORD },
    })
    await expectOAuthError(res, 400, 'invalid_request')
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
