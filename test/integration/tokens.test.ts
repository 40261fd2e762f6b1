import { base64url, createLocalJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { type SignedIn, signUp } from '../helpers/factories'
import { ACCESS_HEADER, AUDIENCE, assemble, attackerKey, claimsFrom, ISSUER, parts, serverKey, signRaw } from '../helpers/jwt'
import { withOutbox } from '../helpers/outbox'

let signedIn: SignedIn
beforeAll(async () => {
  signedIn = await withOutbox(signUp)
})

const me = (token: string) => call('GET', '/api/v1/me', { token })
const expectInvalid = async (token: string) => expectError(await me(token), 401, 'invalid_token')

/** Signs with the Worker's own signing key (test-1), so only the thing under test is wrong. */
async function signWithOurKey(header: object, payload: JWTPayload): Promise<string> {
  const { privateKey } = await serverKey('test-1')
  return signRaw({ ...ACCESS_HEADER, ...header } as typeof ACCESS_HEADER, payload, privateKey)
}

describe('access tokens at GET /api/v1/me', () => {
  it('accepts an issued token whose header and claims follow the spec', async () => {
    const res = await me(signedIn.access_token)
    expect(res.status).toBe(200)
    expect((await json(res)).id).toBe(signedIn.user.id)

    expect(decodeProtectedHeader(signedIn.access_token)).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: 'test-1' })
    const { payload } = parts(signedIn.access_token)
    expect(payload).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: signedIn.user.id, role: 'particulier' })
    for (const claim of ['sid', 'jti']) expect(typeof payload[claim]).toBe('string')
    expect(Number.isInteger(payload.iat)).toBe(true)
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900)
    expect(Array.isArray(payload.perms)).toBe(true)
  })

  it('accepts a token we sign by hand with our key and correct claims (control for the cases below)', async () => {
    const res = await me(await signWithOurKey({}, claimsFrom(signedIn.access_token)))
    expect(res.status).toBe(200)
  })

  it('refuses a tampered payload (role flipped to super_admin, signature kept)', async () => {
    const { header, payload, signature } = parts(signedIn.access_token)
    await expectInvalid(assemble(header, { ...payload, role: 'super_admin' }, signature))
  })

  it('refuses alg none, unsigned or with the original signature left on', async () => {
    const { payload, signature } = parts(signedIn.access_token)
    await expectInvalid(assemble({ alg: 'none', typ: 'at+jwt' }, payload, ''))
    await expectInvalid(assemble({ alg: 'none', typ: 'at+jwt', kid: 'test-1' }, payload, signature))
  })

  it('refuses a token signed by another Ed25519 key that claims kid test-1', async () => {
    const attacker = await attackerKey()
    await expectInvalid(await signRaw(ACCESS_HEADER, claimsFrom(signedIn.access_token), attacker.privateKey))
  })

  it('refuses HS256 signed with our public key as the HMAC secret', async () => {
    const { publicJwk } = await serverKey('test-1')
    const claims = claimsFrom(signedIn.access_token)
    const secrets = [
      new TextEncoder().encode(publicJwk.x ?? ''),
      base64url.decode(publicJwk.x ?? ''),
      new TextEncoder().encode(JSON.stringify(publicJwk)),
    ]
    for (const secret of secrets) {
      await expectInvalid(await signRaw({ alg: 'HS256', typ: 'at+jwt', kid: 'test-1' }, claims, secret))
      await expectInvalid(await signRaw({ alg: 'HS256', typ: 'at+jwt' }, claims, secret))
    }
  })

  it('refuses a wrong audience', async () => {
    await expectInvalid(await signWithOurKey({}, claimsFrom(signedIn.access_token, { aud: 'another-service' })))
  })

  it('refuses a wrong issuer', async () => {
    await expectInvalid(await signWithOurKey({}, claimsFrom(signedIn.access_token, { iss: 'https://evil.test' })))
  })

  it('refuses a token without exp', async () => {
    const { exp: _exp, ...claims } = claimsFrom(signedIn.access_token)
    await expectInvalid(await signWithOurKey({}, claims))
  })

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000)
    await expectInvalid(await signWithOurKey({}, claimsFrom(signedIn.access_token, { iat: now - 3600, exp: now - 60 })))
  })

  it('refuses a token without typ, and one with typ JWT', async () => {
    const claims = claimsFrom(signedIn.access_token)
    const { privateKey } = await serverKey('test-1')
    await expectInvalid(await signRaw({ alg: 'EdDSA', kid: 'test-1' }, claims, privateKey))
    await expectInvalid(await signWithOurKey({ typ: 'JWT' }, claims))
  })

  it('accepts a token signed with the second published key (rotation)', async () => {
    const { privateKey } = await serverKey('test-2')
    const token = await signRaw({ ...ACCESS_HEADER, kid: 'test-2' }, claimsFrom(signedIn.access_token), privateKey)
    const res = await me(token)
    expect(res.status).toBe(200)
    expect((await json(res)).id).toBe(signedIn.user.id)
  })

  it('refuses a kid that is not one of our keys, even when signed by our key', async () => {
    await expectInvalid(await signWithOurKey({ kid: 'test-9' }, claimsFrom(signedIn.access_token)))
    const { privateKey } = await serverKey('test-1')
    const { kid: _kid, ...noKid } = ACCESS_HEADER
    await expectInvalid(await signRaw(noKid, claimsFrom(signedIn.access_token), privateKey))
  })

  it('ignores a jwk header that embeds the attacker key', async () => {
    const attacker = await attackerKey()
    const claims = claimsFrom(signedIn.access_token)
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: attacker.publicJwk.x ?? '' }
    await expectInvalid(await signRaw({ ...ACCESS_HEADER, jwk }, claims, attacker.privateKey))
    const { kid: _kid, ...noKid } = ACCESS_HEADER
    await expectInvalid(await signRaw({ ...noKid, jwk }, claims, attacker.privateKey))
  })

  it('answers 401 unauthorized without an Authorization header', async () => {
    await expectError(await call('GET', '/api/v1/me'), 401, 'unauthorized')
  })

  it('answers 401 invalid_token to a non-Bearer scheme', async () => {
    const res = await call('GET', '/api/v1/me', { headers: { authorization: 'Basic xyz' } })
    await expectError(res, 401, 'invalid_token')
  })
})

describe('GET /.well-known/jwks.json', () => {
  it('publishes both public keys and nothing private, cacheable', async () => {
    const res = await call('GET', '/.well-known/jwks.json')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toMatch(/\bpublic\b/)
    const { keys } = await json(res)
    expect(keys).toHaveLength(2)
    expect(keys.map((k: { kid: string }) => k.kid)).toEqual(['test-1', 'test-2'])
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519' })
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(secret)
    }
  })

  it('lets another service verify an issued access token offline', async () => {
    const jwks = createLocalJWKSet(await json(await call('GET', '/.well-known/jwks.json')))
    const { payload, protectedHeader } = await jwtVerify(signedIn.access_token, jwks, {
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: 'at+jwt',
    })
    expect(payload.sub).toBe(signedIn.user.id)
    expect(protectedHeader.kid).toBe('test-1')
  })
})
