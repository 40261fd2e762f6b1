import { describe, expect, it } from 'vitest'
import { patchMe } from '../helpers/account'
import { call, expectError } from '../helpers/app'
import { login, newEmail, newPhone, PASSWORD } from '../helpers/factories'
import { ACCESS_HEADER, claimsFrom, serverKey, signRaw } from '../helpers/jwt'
import { activeUser } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { refresh } from '../helpers/sessions'

// SPEC §3, RFC 6750 §3: a 401 of a protected endpoint carries `WWW-Authenticate: Bearer`, with
// error="invalid_token" when a token was presented and refused; a permission refusal (403
// forbidden) is error="insufficient_scope" (§3.1).

const box = useOutbox()

const CHALLENGE = 'Bearer realm="edge-auth"'
const INVALID_TOKEN = 'Bearer realm="edge-auth", error="invalid_token"'
const USER_POOLS = { USER_POOLS: JSON.stringify({ riders: {} }) }

const challengeOf = (res: Response) => res.headers.get('www-authenticate')

describe('a 401 of a protected endpoint', () => {
  it.each([
    ['GET', '/api/v1/me'],
    ['GET', '/api/v1/me/sessions'],
    ['POST', '/api/v1/auth/logout'],
    ['POST', '/api/v1/auth/change-password'],
    ['GET', '/api/v1/users'],
    ['GET', '/api/v1/places'],
    ['GET', '/api/v1/audit'],
    ['GET', '/api/v1/pools/riders/me'],
  ])('%s %s without a token: 401 unauthorized with a Bearer challenge and no error', async (method, path) => {
    const res = await call(method, path, { env: USER_POOLS, ...(method === 'POST' ? { json: {} } : {}) })
    await expectError(res, 401, 'unauthorized')
    expect(challengeOf(res)).toBe(CHALLENGE)
  })

  it('a token presented and refused: 401 invalid_token with error="invalid_token"', async () => {
    const user = await activeUser(box)
    const key = await serverKey('test-1')
    const past = Math.floor(Date.now() / 1000) - 3600
    const expired = await signRaw(ACCESS_HEADER, claimsFrom(user.access_token, { iat: past, exp: past + 900 }), key.privateKey)
    for (const authorization of [
      'Bearer not-a-jwt',
      `Bearer ${expired}`,
      `Basic ${btoa('someone:secret')}`,
      `Bearer ${user.access_token.slice(0, -4)}AAAA`,
    ]) {
      const res = await call('GET', '/api/v1/me', { headers: { authorization } })
      await expectError(res, 401, 'invalid_token')
      expect({ authorization, challenge: challengeOf(res) }).toEqual({ authorization, challenge: INVALID_TOKEN })
    }
  })

  it('a revoked token, on a route that checks the session row in D1 too: error="invalid_token"', async () => {
    const user = await activeUser(box)
    expect((await call('POST', '/api/v1/auth/logout', { token: user.access_token })).status).toBe(204)
    for (const path of ['/api/v1/me', '/api/v1/me/sessions', '/api/v1/users']) {
      const res = await call('GET', path, { token: user.access_token })
      await expectError(res, 401, 'invalid_token')
      expect(challengeOf(res)).toBe(INVALID_TOKEN)
    }
  })

  it('a wrong re-entered password with a good token: 401 invalid_credentials, challenged without an error', async () => {
    const user = await activeUser(box)
    const res = await call('POST', '/api/v1/auth/change-password', {
      token: user.access_token,
      json: { old_password: 'Wrong-Passw0rd1', new_password: 'Carthage-Vent7-2027' },
    })
    await expectError(res, 401, 'invalid_credentials')
    expect(challengeOf(res)).toBe(CHALLENGE)
  })
})

describe('a 403 of a protected endpoint', () => {
  it('a permission the token lacks: error="insufficient_scope" naming it', async () => {
    const user = await activeUser(box)
    const read = await call('GET', '/api/v1/places', { token: user.access_token })
    await expectError(read, 403, 'forbidden')
    expect(challengeOf(read)).toBe('Bearer realm="edge-auth", error="insufficient_scope", scope="places:read"')
    const write = await call('POST', '/api/v1/places', { token: user.access_token, json: { name: 'x' } })
    expect(challengeOf(write)).toBe('Bearer realm="edge-auth", error="insufficient_scope", scope="places:write"')
  })

  it('a role the service refuses: error="insufficient_scope" without a scope', async () => {
    const user = await activeUser(box)
    const res = await call('GET', '/api/v1/users', { token: user.access_token })
    await expectError(res, 403, 'forbidden')
    expect(challengeOf(res)).toBe('Bearer realm="edge-auth", error="insufficient_scope"')
  })

  it('a 403 that is not about permissions (re-authentication) has no challenge', async () => {
    const user = await activeUser(box)
    const res = await patchMe(user.access_token, { email: newEmail() })
    await expectError(res, 403, 'reauthentication_required')
    expect(challengeOf(res)).toBeNull()
  })
})

describe('endpoints that take no bearer token', () => {
  it('their 401s carry no Bearer challenge', async () => {
    const wrong = await login({ phone: newPhone(), password: PASSWORD })
    await expectError(wrong, 401, 'invalid_credentials')
    expect(challengeOf(wrong)).toBeNull()
    const res = await refresh('not-a-refresh-token')
    expect(res.status).toBe(401)
    expect(challengeOf(res)).toBeNull()
  })
})
