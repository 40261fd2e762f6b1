import { spawnSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importJWK, SignJWT } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp, type Env } from '../../examples/verify-worker/src'
import { grants as exampleGrants } from '../../examples/verify-worker/src/edge-auth'
import { loadConfig } from '../../src/config'
import { type AccessClaims, loadKeyring } from '../../src/crypto/jwt'
import { poolConfig } from '../../src/pools'
import { grants } from '../../src/services/iam'

// examples/verify-worker against tokens signed by edge-auth's own keyring (src/crypto/jwt.ts),
// with the JWKS edge-auth would publish served by a fake fetch: no network.

const ISSUER = 'https://auth.test'
const AUDIENCE = 'edge-auth-test'
const ENV: Env = { EDGE_AUTH_URL: ISSUER, EDGE_AUTH_ISSUER: ISSUER, EDGE_AUTH_AUDIENCE: AUDIENCE }

const newKey = (kid: string) => ({ ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid, alg: 'EdDSA' })

/** An edge-auth keyring: the first key signs, all are published. */
function keyring(keys: object[], vars: Record<string, string> = {}) {
  return loadKeyring(
    loadConfig({
      OTP_PEPPER: randomBytes(32).toString('hex'),
      JWT_PRIVATE_KEYS: JSON.stringify(keys),
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      ...vars,
    }),
  )
}

const claims = (perms: string[], role = 'client'): AccessClaims => ({
  sub: 'user-1',
  sid: 'session-1',
  jti: 'token-1',
  role,
  perms,
})

/** A fake edge-auth serving `jwks()` at /.well-known/jwks.json, counting the fetches. */
function fakeAuthServer(jwks: () => object, status = 200) {
  const fetchJwks = vi.fn(async (input: RequestInfo | URL) => {
    expect(String(input)).toBe(`${ISSUER}/.well-known/jwks.json`)
    return new Response(JSON.stringify(jwks()), { status, headers: { 'content-type': 'application/json' } })
  })
  return { fetchJwks, app: createApp(fetchJwks as typeof fetch) }
}

async function call(app: ReturnType<typeof createApp>, path: string, token?: string, init: RequestInit = {}, env = ENV) {
  const headers = new Headers(init.headers)
  if (token) headers.set('authorization', `Bearer ${token}`)
  const res = await app.request(path, { ...init, headers }, env)
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    challenge: res.headers.get('www-authenticate'),
  }
}

const post = { method: 'POST', body: JSON.stringify({ name: 'Station Sfax' }), headers: { 'content-type': 'application/json' } }

afterEach(() => {
  vi.useRealTimers()
})

describe('examples/verify-worker', () => {
  it('serves its public route without a token and asks for one on /api', async () => {
    const ring = await keyring([newKey('k1')])
    const { app, fetchJwks } = fakeAuthServer(() => ring.jwks)
    expect((await call(app, '/')).status).toBe(200)
    expect(await call(app, '/api/places')).toEqual({ status: 401, body: { error: 'unauthorized' }, challenge: 'Bearer' })
    expect(fetchJwks).not.toHaveBeenCalled()
  })

  it('accepts an edge-auth token and exposes its claims', async () => {
    const ring = await keyring([newKey('k1')])
    const { app } = fakeAuthServer(() => ring.jwks)
    const token = await ring.sign(claims(['places:read']), Date.now())
    const me = await call(app, '/api/whoami', token)
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({
      id: 'user-1',
      sessionId: 'session-1',
      role: 'client',
      perms: ['places:read'],
      tokenId: 'token-1',
    })
  })

  it('allows what perms grant and refuses the rest with 403', async () => {
    const ring = await keyring([newKey('k1')])
    const { app } = fakeAuthServer(() => ring.jwks)
    const reader = await ring.sign(claims(['places:read']), Date.now())
    expect((await call(app, '/api/places', reader)).status).toBe(200)
    const denied = await call(app, '/api/places', reader, post)
    expect(denied.status).toBe(403)
    expect(denied.body.error).toBe('forbidden')
    expect(denied.challenge).toBe('Bearer error="insufficient_scope", scope="places:write"')
    for (const perms of [['places:*'], ['*'], ['places:read', 'places:write']]) {
      expect((await call(app, '/api/places', await ring.sign(claims(perms), Date.now()), post)).status).toBe(201)
    }
    expect((await call(app, '/api/places', await ring.sign(claims([], 'particulier'), Date.now()))).status).toBe(403)
  })

  it('fetches the JWKS once for many requests', async () => {
    const ring = await keyring([newKey('k1')])
    const { app, fetchJwks } = fakeAuthServer(() => ring.jwks)
    const token = await ring.sign(claims(['places:read']), Date.now())
    for (let i = 0; i < 5; i++) expect((await call(app, '/api/places', token)).status).toBe(200)
    expect(fetchJwks).toHaveBeenCalledTimes(1)
  })

  it.each([
    ['another audience', { JWT_AUDIENCE: 'someone-else' }],
    ['another issuer', { JWT_ISSUER: 'https://evil.test' }],
  ])('refuses a token for %s', async (_, vars) => {
    const key = newKey('k1')
    const ring = await keyring([key])
    const { app } = fakeAuthServer(() => ring.jwks)
    const token = await (await keyring([key], vars)).sign(claims(['*']), Date.now())
    const res = await call(app, '/api/whoami', token)
    expect(res).toEqual({ status: 401, body: { error: 'invalid_token' }, challenge: 'Bearer error="invalid_token"' })
  })

  it('refuses an expired token', async () => {
    const ring = await keyring([newKey('k1')])
    const { app } = fakeAuthServer(() => ring.jwks)
    const token = await ring.sign(claims(['*']), Date.now() - 3_600_000)
    expect((await call(app, '/api/whoami', token)).status).toBe(401)
  })

  it('refuses a token signed by a key the JWKS does not publish', async () => {
    const ring = await keyring([newKey('k1')])
    const { app } = fakeAuthServer(() => ring.jwks)
    const forged = await (await keyring([newKey('k1')])).sign(claims(['*']), Date.now())
    expect((await call(app, '/api/whoami', forged)).status).toBe(401)
  })

  it('refuses HS256 tokens and JWTs that are not access tokens (typ)', async () => {
    const key = newKey('k1')
    const ring = await keyring([key])
    const { app } = fakeAuthServer(() => ring.jwks)
    const hs256 = await (await keyring([key], { JWT_PRIVATE_KEYS: '', JWT_SECRET_KEY: 'x'.repeat(32) })).sign(
      claims(['*']),
      Date.now(),
    )
    expect((await call(app, '/api/whoami', hs256)).status).toBe(401)
    const idToken = await new SignJWT({ sid: 's', role: 'admin', perms: ['*'] })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('user-1')
      .setJti('t')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(await importJWK(key, 'EdDSA'))
    expect((await call(app, '/api/whoami', idToken)).status).toBe(401)
  })

  it('follows a key rotation: a token of the new key makes it fetch the JWKS again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const [oldKey, newerKey] = [newKey('2026-01'), newKey('2026-07')]
    const before = await keyring([oldKey])
    const after = await keyring([newerKey, oldKey]) // prepended: signs with the new key, still verifies the old
    let published = before.jwks
    const { app, fetchJwks } = fakeAuthServer(() => published)
    const oldToken = await before.sign(claims(['places:read']), Date.now())
    expect((await call(app, '/api/places', oldToken)).status).toBe(200)

    published = after.jwks
    vi.setSystemTime(Date.now() + 31_000) // jose refetches for an unknown kid after a 30 s cooldown
    const newToken = await after.sign(claims(['places:read']), Date.now())
    expect((await call(app, '/api/places', newToken)).status).toBe(200)
    expect((await call(app, '/api/places', oldToken)).status).toBe(200)
    expect(fetchJwks).toHaveBeenCalledTimes(2)
  })

  it('answers 503, not 401, when edge-auth cannot serve its JWKS', async () => {
    const ring = await keyring([newKey('k1')])
    const { app } = fakeAuthServer(() => ({ error: 'down' }), 500)
    const token = await ring.sign(claims(['*']), Date.now())
    expect((await call(app, '/api/whoami', token)).body).toEqual({ error: 'auth_unavailable' })
    expect((await call(app, '/api/whoami', token)).status).toBe(503)
  })

  it('decides permissions exactly as edge-auth does', () => {
    const held = [[], ['*'], ['places:*'], ['places:read'], ['places:read', 'users:*']]
    const wanted = ['places:read', 'places:write', 'places:*', 'users:delete', '*']
    for (const h of held) for (const w of wanted) expect(exampleGrants(h, w), `${h} → ${w}`).toBe(grants(h, w))
  })

  it('bundles as a Worker (wrangler deploy --dry-run)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'verify-worker-'))
    try {
      const run = spawnSync(
        'node_modules/.bin/wrangler',
        ['deploy', '--dry-run', '-c', 'examples/verify-worker/wrangler.toml', '--outdir', outdir],
        { encoding: 'utf8' },
      )
      expect(run.status, run.stderr).toBe(0)
      expect(existsSync(join(outdir, 'index.js'))).toBe(true)
    } finally {
      rmSync(outdir, { recursive: true, force: true })
    }
  })
})

describe('examples/verify-worker and user pools (SPEC §12)', () => {
  it("verifies a pool's token with EDGE_AUTH_ISSUER pinned to the pool's issuer, and nothing else there", async () => {
    const config = loadConfig({
      OTP_PEPPER: randomBytes(32).toString('hex'),
      JWT_PRIVATE_KEYS: JSON.stringify([newKey('k1')]),
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      USER_POOLS: JSON.stringify({ user1: {} }),
    })
    const [pooled, plain] = await Promise.all([loadKeyring(poolConfig(config, 'user1'), 'user1'), loadKeyring(config)])
    // One JWKS serves every pool: the issuer tells them apart.
    expect(pooled.jwks).toEqual(plain.jwks)
    // Two deployments of the example: one trusting the pool, one trusting `default` (a verifier is built once per Worker).
    const { app } = fakeAuthServer(() => plain.jwks)
    const { app: forDefault } = fakeAuthServer(() => plain.jwks)
    const poolEnv: Env = { ...ENV, EDGE_AUTH_ISSUER: `${ISSUER}/pools/user1` }
    const poolToken = await pooled.sign(claims(['places:read'], 'particulier'), Date.now())
    const whoami = await call(app, '/api/whoami', poolToken, {}, poolEnv)
    expect(whoami.status).toBe(200)
    expect(whoami.body).toMatchObject({ id: 'user-1', role: 'particulier' })
    // The default pool's verifier refuses the pool's token, and the pool's verifier default's.
    expect((await call(forDefault, '/api/whoami', poolToken)).status).toBe(401)
    const plainToken = await plain.sign(claims(['places:read']), Date.now())
    expect((await call(forDefault, '/api/whoami', plainToken)).status).toBe(200)
    expect((await call(app, '/api/whoami', plainToken, {}, poolEnv)).status).toBe(401)
  })
})
