import { createRemoteJWKSet, jwtVerify } from 'jose'
import * as oauth from 'oauth4webapi'
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevServer, startDevServer } from './helpers/dev-server'

// Issue 18: client libraries nobody here wrote (oauth4webapi, openid-client, jose) against the
// service as `npm run dev -- --port <port>` runs it. Every answer of the token endpoint goes
// through the libraries' own response handlers, which accept an error only as RFC 6749 JSON
// (`application/json`, a 4xx with `error`), and a challenge in `WWW-Authenticate` before that.
// One server for the whole file; each test comes from its own client address (CF-Connecting-IP,
// which `wrangler dev` passes on), so the per-IP limits of one test never touch another.

const PASSWORD = 'Tunis-Sol4r-2026'
const VARS = {
  SCRYPT_LOG_N: '10',
  SCRYPT_P: '1',
  LOGIN_LOCKOUT_THRESHOLD: '3',
  AUTH_REQUESTS_PER_IP_PER_MINUTE: '6',
  OTP_RESEND_COOLDOWN_SECONDS: '0',
}

let server: DevServer
let as: oauth.AuthorizationServer
const oauthClient: oauth.Client = { client_id: 'node-test' }

beforeAll(async () => {
  server = await startDevServer(VARS)
  as = { issuer: server.base, token_endpoint: `${server.base}/api/v1/auth/token` }
})
afterAll(() => server?.stop())

let lastOctet = 0
/** A client address of its own (a /24 per call, so IPv4 buckets never meet). */
const newIp = () => `10.${Math.floor(Math.random() * 250)}.${++lastOctet}.7`
const newPhone = () => `+2169${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`

/** A verified account, signed up through the JSON API with the code the console SMS provider printed. */
async function activeUser(): Promise<{ phone: string; id: string }> {
  const phone = newPhone()
  const post = (path: string, body: object) =>
    fetch(`${server.base}/api/v1/auth/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': newIp() },
      body: JSON.stringify(body),
    })
  expect((await post('register', { phone, password: PASSWORD })).status).toBe(201)
  const verified = await post('verify', { phone, code: await server.smsCode(phone) })
  expect(verified.status, `${await verified.clone().text()}\n${server.log().slice(-2000)}`).toBe(200)
  return { phone, id: ((await verified.json()) as { user: { id: string } }).user.id }
}

/** Verifies an access token as any other service would: through the JWKS, pinned to the issuer `npm run dev` gave. */
async function verifyAccessToken(token: string) {
  const jwks = createRemoteJWKSet(new URL(`${server.base}/.well-known/jwks.json`))
  const { payload } = await jwtVerify(token, jwks, { issuer: server.base, audience: 'edge-auth', typ: 'at+jwt' })
  return payload
}

/** oauth4webapi options: plain http to localhost, from `ip`, optionally through another fetch. */
const from = (ip: string, fetchFn?: typeof fetch) => ({
  [oauth.allowInsecureRequests]: true,
  headers: { 'cf-connecting-ip': ip },
  ...(fetchFn ? { [oauth.customFetch]: fetchFn } : {}),
})

/** oauth4webapi: a grant request and its processing, resolving to what the library throws. */
async function oauthGrant(
  params: Record<string, string>,
  opts: { ip?: string; auth?: oauth.ClientAuth; grant?: string; fetch?: typeof fetch } = {},
): Promise<unknown> {
  const res = await oauth.genericTokenEndpointRequest(
    as,
    oauthClient,
    opts.auth ?? oauth.None(),
    opts.grant ?? 'password',
    new URLSearchParams(params),
    from(opts.ip ?? newIp(), opts.fetch),
  )
  return oauth.processGenericTokenEndpointResponse(as, oauthClient, res).then(
    () => {
      throw new Error('expected the library to throw')
    },
    (err: unknown) => err,
  )
}

/** Asserts oauth4webapi's ResponseBodyError: the RFC 6749 body parsed by the library, with its status. */
function expectBodyError(err: unknown, status: number, error: string): oauth.ResponseBodyError {
  expect(err, String(err)).toBeInstanceOf(oauth.ResponseBodyError)
  const e = err as oauth.ResponseBodyError
  expect({ status: e.status, error: e.error }).toEqual({ status, error })
  expect(typeof e.error_description).toBe('string')
  return e
}

/** The whole Retry-After of a refused answer, as the library hands the response over. */
const retryAfter = (e: { response: Response }) => Number(e.response.headers.get('retry-after'))

/** A fetch that sends the library's token request with another method (and so no body). */
const asMethod =
  (method: string): typeof fetch =>
  (input, init) => {
    const { body: _body, ...rest } = init ?? {}
    return fetch(input, { ...rest, method })
  }

/** A client authentication method the libraries would never produce: a malformed Basic header. */
const malformedBasic: oauth.ClientAuth = (_as, _client, _body, headers) => {
  headers.set('authorization', 'Basic !!!')
}

describe('oauth4webapi', () => {
  it('password grant, then refresh grant: tokens processed by the library, access tokens verified through the JWKS', async () => {
    const user = await activeUser()
    const ip = newIp()
    const res = await oauth.genericTokenEndpointRequest(
      as,
      oauthClient,
      oauth.None(),
      'password',
      new URLSearchParams({ username: user.phone, password: PASSWORD }),
      from(ip),
    )
    const tokens = await oauth.processGenericTokenEndpointResponse(as, oauthClient, res)
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 900 })
    expect((await verifyAccessToken(tokens.access_token)).sub).toBe(user.id)

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      oauthClient,
      await oauth.refreshTokenGrantRequest(as, oauthClient, oauth.None(), tokens.refresh_token as string, from(ip)),
    )
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)
    const claims = await verifyAccessToken(refreshed.access_token)
    expect(claims.sub).toBe(user.id)
    expect(claims.iss).toBe(server.base)
  })

  it('a wrong password: ResponseBodyError invalid_grant (400)', async () => {
    const user = await activeUser()
    expectBodyError(await oauthGrant({ username: user.phone, password: 'Wrong-Passw0rd' }), 400, 'invalid_grant')
  })

  it('a grant type it does not serve: ResponseBodyError unsupported_grant_type (400)', async () => {
    expectBodyError(await oauthGrant({}, { grant: 'client_credentials' }), 400, 'unsupported_grant_type')
  })

  it('a lockout: ResponseBodyError slow_down (429) with the Retry-After of its response', async () => {
    const user = await activeUser()
    const ip = newIp()
    for (let i = 0; i < 3; i++) {
      expectBodyError(await oauthGrant({ username: user.phone, password: 'Wrong-Passw0rd' }, { ip }), 400, 'invalid_grant')
    }
    const locked = expectBodyError(
      await oauthGrant({ username: user.phone, password: 'Wrong-Passw0rd' }, { ip }),
      429,
      'slow_down',
    )
    expect(retryAfter(locked)).toBeGreaterThanOrEqual(1)
  })

  it('the per-IP request limit: ResponseBodyError slow_down (429) with Retry-After, for the refresh grant too', async () => {
    const ip = newIp()
    for (let i = 0; i < 6; i++) {
      expectBodyError(await oauthGrant({ username: newPhone(), password: PASSWORD }, { ip }), 400, 'invalid_grant')
    }
    const limited = expectBodyError(await oauthGrant({ username: newPhone(), password: PASSWORD }, { ip }), 429, 'slow_down')
    expect(limited.error_description).toMatch(/from this address/)
    expect(retryAfter(limited)).toBeGreaterThan(0)
    expect(retryAfter(limited)).toBeLessThanOrEqual(60)
    const refresh = await oauth.refreshTokenGrantRequest(as, oauthClient, oauth.None(), 'whatever', from(ip))
    const err = await oauth.processRefreshTokenResponse(as, oauthClient, refresh).catch((e: unknown) => e)
    expect(retryAfter(expectBodyError(err, 429, 'slow_down'))).toBeGreaterThan(0)
  })

  it('a body over 64 KiB: ResponseBodyError invalid_request (413)', async () => {
    expectBodyError(await oauthGrant({ username: newPhone(), password: 'x'.repeat(70 * 1024) }), 413, 'invalid_request')
  })

  it('another method: ResponseBodyError invalid_request (405) whose response says Allow: POST', async () => {
    const e = expectBodyError(
      await oauthGrant({ username: newPhone(), password: PASSWORD }, { fetch: asMethod('PUT') }),
      405,
      'invalid_request',
    )
    expect(e.response.headers.get('allow')).toBe('POST')
  })

  it('malformed Basic client authentication: 401 with the Basic challenge (WWWAuthenticateChallengeError) and invalid_client', async () => {
    const user = await activeUser()
    const err = await oauthGrant({ username: user.phone, password: PASSWORD }, { auth: malformedBasic })
    expect(err).toBeInstanceOf(oauth.WWWAuthenticateChallengeError)
    const e = err as oauth.WWWAuthenticateChallengeError
    expect(e.status).toBe(401)
    expect(e.cause).toEqual([{ scheme: 'basic', parameters: { realm: 'edge-auth' } }])
    expect(await e.response.json()).toMatchObject({ error: 'invalid_client' })
  })

  it('client_secret_basic and client_secret_post: no confidential client exists, 401 invalid_client', async () => {
    const user = await activeUser()
    const grant = { username: user.phone, password: PASSWORD }
    const basic = await oauthGrant(grant, { auth: oauth.ClientSecretBasic('s3cret') })
    expect(basic).toBeInstanceOf(oauth.WWWAuthenticateChallengeError)
    expect((basic as oauth.WWWAuthenticateChallengeError).status).toBe(401)
    expectBodyError(await oauthGrant(grant, { auth: oauth.ClientSecretPost('s3cret') }), 401, 'invalid_client')
  })
})

describe('openid-client', () => {
  /** A configuration for a public client, its requests sent from `ip` (and with another method, if given). */
  function config(ip: string, opts: { auth?: client.ClientAuth; method?: string } = {}) {
    const cfg = new client.Configuration(
      { issuer: server.base, token_endpoint: `${server.base}/api/v1/auth/token` },
      'node-test',
      undefined,
      opts.auth ?? client.None(),
    )
    client.allowInsecureRequests(cfg)
    cfg[client.customFetch] = (url, init) => {
      const { body, ...rest } = init
      const headers = { ...(rest.headers as Record<string, string>), 'cf-connecting-ip': ip }
      return fetch(url, { ...rest, headers, ...(opts.method ? { method: opts.method } : { body }) } as RequestInit)
    }
    return cfg
  }

  const grantError = (cfg: client.Configuration, params: Record<string, string>, grant = 'password') =>
    client.genericGrantRequest(cfg, grant, params).then(
      () => {
        throw new Error('expected openid-client to throw')
      },
      (err: unknown) => err,
    )

  it('password grant, then refreshTokenGrant: access tokens verified through the JWKS', async () => {
    const user = await activeUser()
    const cfg = config(newIp())
    const tokens = await client.genericGrantRequest(cfg, 'password', { username: user.phone, password: PASSWORD })
    expect((await verifyAccessToken(tokens.access_token)).sub).toBe(user.id)
    expect(tokens.expiresIn()).toBeGreaterThan(800)
    const refreshed = await client.refreshTokenGrant(cfg, tokens.refresh_token as string)
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)
    expect((await verifyAccessToken(refreshed.access_token)).sub).toBe(user.id)
  })

  it('genericGrantRequest throws ResponseBodyError: invalid_grant, unsupported_grant_type', async () => {
    const user = await activeUser()
    const cfg = config(newIp())
    expectBodyError(await grantError(cfg, { username: user.phone, password: 'Wrong-Passw0rd' }), 400, 'invalid_grant')
    expectBodyError(await grantError(cfg, {}, 'client_credentials'), 400, 'unsupported_grant_type')
  })

  it('a lockout: ResponseBodyError slow_down (429) with Retry-After', async () => {
    const user = await activeUser()
    const cfg = config(newIp())
    for (let i = 0; i < 3; i++) await grantError(cfg, { username: user.phone, password: 'Wrong-Passw0rd' })
    const e = expectBodyError(await grantError(cfg, { username: user.phone, password: 'Wrong-Passw0rd' }), 429, 'slow_down')
    expect(retryAfter(e)).toBeGreaterThanOrEqual(1)
  })

  it('413 and 405: ResponseBodyError invalid_request', async () => {
    expectBodyError(await grantError(config(newIp()), { username: 'x', password: 'x'.repeat(70 * 1024) }), 413, 'invalid_request')
    const e = expectBodyError(
      await grantError(config(newIp(), { method: 'GET' }), { username: 'x', password: 'y' }),
      405,
      'invalid_request',
    )
    expect(e.response.headers.get('allow')).toBe('POST')
  })

  it('client authentication: malformed Basic and client_secret_basic are challenged (401), client_secret_post is invalid_client', async () => {
    const user = await activeUser()
    const grant = { username: user.phone, password: PASSWORD }
    for (const auth of [malformedBasic, client.ClientSecretBasic('s3cret')]) {
      const err = await grantError(config(newIp(), { auth }), grant)
      expect(err).toBeInstanceOf(client.WWWAuthenticateChallengeError)
      expect((err as client.WWWAuthenticateChallengeError).cause).toEqual([
        { scheme: 'basic', parameters: { realm: 'edge-auth' } },
      ])
    }
    expectBodyError(await grantError(config(newIp(), { auth: client.ClientSecretPost('s3cret') }), grant), 401, 'invalid_client')
  })
})

describe('npm run dev -- --port N (SPEC §10)', () => {
  it('issues tokens whose iss is http://localhost:N and writes links to that port', async () => {
    // The issuer: every token above was verified with `issuer: server.base`; this one says so directly.
    const user = await activeUser()
    const tokens = await client.genericGrantRequest(config(), 'password', { username: user.phone, password: PASSWORD })
    expect((await verifyAccessToken(tokens.access_token)).iss).toBe(server.base)
    // PUBLIC_URL: the link of a password reset email.
    const email = `node-${Date.now()}@example.tn`
    const post = (path: string, body: object) =>
      fetch(`${server.base}/api/v1/auth/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': newIp() },
        body: JSON.stringify(body),
      })
    expect((await post('register', { email, password: PASSWORD })).status).toBe(201)
    const code = (await server.fromEmail(email, /code is \d{6}/)).slice(-6)
    expect((await post('verify', { email, code })).status).toBe(200)
    expect((await post('reset-password', { email })).status).toBe(202)
    const link = await server.fromEmail(email, /\S+\/auth\/email\/reset\?token=\S+/)
    expect(link).toMatch(new RegExp(`^${server.base}/api/v1/auth/email/reset\\?token=`))
    expect(server.log()).not.toContain('localhost:8787')
  })

  function config() {
    const cfg = new client.Configuration({ issuer: server.base, token_endpoint: `${server.base}/api/v1/auth/token` }, 'node-test')
    client.allowInsecureRequests(cfg)
    return cfg
  }
})
