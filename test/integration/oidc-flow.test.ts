import { env } from 'cloudflare:workers'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'
import { call, json } from '../helpers/app'
import {
  authorizeCall,
  browserSession,
  codeOf,
  codeRequest,
  createClient,
  exchange,
  ISSUER,
  OIDC,
  oauthPost,
  REDIRECT,
  signedInCode,
  verifyWithJwks,
} from '../helpers/oidc'
import { useOutbox } from '../helpers/outbox'

const box = useOutbox()

describe('discovery', () => {
  it('serves the OpenID configuration and RFC 8414 metadata at the issuer', async () => {
    const res = await call('GET', '/.well-known/openid-configuration', { env: OIDC })
    expect(res.status).toBe(200)
    const meta = await json(res)
    expect(meta).toMatchObject({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/oauth2/authorize`,
      token_endpoint: `${ISSUER}/oauth2/token`,
      userinfo_endpoint: `${ISSUER}/oauth2/userinfo`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      end_session_endpoint: `${ISSUER}/oauth2/end_session`,
      revocation_endpoint: `${ISSUER}/oauth2/revoke`,
      introspection_endpoint: `${ISSUER}/oauth2/introspect`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      id_token_signing_alg_values_supported: ['RS256', 'EdDSA', 'ES256'],
      ui_locales_supported: ['en', 'fr', 'ar'],
      prompt_values_supported: ['none', 'login', 'consent'],
      authorization_response_iss_parameter_supported: true,
    })
    const rfc8414 = await json(await call('GET', '/.well-known/oauth-authorization-server', { env: OIDC }))
    expect(rfc8414).toEqual(meta)
  })

  it('gives a pool its own issuer and endpoints', async () => {
    const vars = { ...OIDC, USER_POOLS: JSON.stringify({ user1: {} }) }
    const meta = await json(await call('GET', '/pools/user1/.well-known/openid-configuration', { env: vars }))
    expect(meta.issuer).toBe(`${ISSUER}/pools/user1`)
    expect(meta.token_endpoint).toBe(`${ISSUER}/pools/user1/oauth2/token`)
    const suffix = await json(await call('GET', '/.well-known/oauth-authorization-server/pools/user1', { env: vars }))
    expect(suffix.issuer).toBe(`${ISSUER}/pools/user1`)
    expect((await call('GET', '/pools/nosuch/.well-known/openid-configuration', { env: vars })).status).toBe(404)
  })

  it('is off (404) when JWT_ISSUER is not this Worker’s origin, or with an HS256 secret only', async () => {
    expect((await call('GET', '/.well-known/openid-configuration')).status).toBe(404)
    const hs = { PUBLIC_URL: ISSUER, JWT_PRIVATE_KEYS: '', JWT_SECRET_KEY: 'x'.repeat(40) }
    expect((await call('GET', '/.well-known/openid-configuration', { env: hs })).status).toBe(404)
  })

  it('publishes every public key with alg, use and kid, and no private member', async () => {
    const { keys } = await json(await call('GET', '/.well-known/jwks.json', { env: OIDC }))
    expect(keys.map((k: { alg: string }) => k.alg)).toEqual(['EdDSA', 'RS256', 'ES256'])
    for (const k of keys) {
      expect(k.use).toBe('sig')
      expect(k.kid).toBeTruthy()
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k[secret]).toBeUndefined()
    }
  })
})

describe('the authorization code flow', () => {
  it('signs a browser session in to a client: code, tokens verified with jose, userinfo', async () => {
    const { session, client, params, code, verifier } = await signedInCode(box)
    const res = await exchange({ client, code, verifier })
    expect(res.status, await res.clone().text()).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const tokens = await json(res)
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'openid profile email phone' })

    const id = await verifyWithJwks(tokens.id_token, { issuer: ISSUER, audience: client.id, algorithms: ['RS256'] })
    expect(id.payload).toMatchObject({
      sub: session.userId,
      nonce: params.nonce,
      amr: ['otp', 'sms'],
      acr: '1',
      email: session.email,
      email_verified: false,
      phone_number: session.phone,
      phone_number_verified: true,
      name: 'Amel',
    })
    expect(typeof id.payload.auth_time).toBe('number')
    expect(typeof id.payload.at_hash).toBe('string')

    const access = await verifyWithJwks(tokens.access_token, { issuer: ISSUER, audience: 'edge-auth-test', typ: 'at+jwt' })
    expect(access.payload).toMatchObject({ sub: session.userId, client_id: client.id, scope: 'openid profile email phone' })
    expect(access.payload.auth_time).toBe(id.payload.auth_time)

    const info = await call('GET', '/oauth2/userinfo', { env: OIDC, token: tokens.access_token })
    expect(info.status).toBe(200)
    expect(await json(info)).toMatchObject({ sub: session.userId, email: session.email, phone_number: session.phone })
    // The same token works on the JSON API.
    expect((await call('GET', '/api/v1/me', { env: OIDC, token: tokens.access_token })).status).toBe(200)
  })

  it('signs ID tokens with the client’s algorithm (EdDSA, ES256)', async () => {
    for (const alg of ['EdDSA', 'ES256']) {
      const { client, code, verifier } = await signedInCode(box, await createClient({ idTokenAlg: alg }))
      const tokens = await json(await exchange({ client, code, verifier }))
      expect(decodeProtectedHeader(tokens.id_token).alg).toBe(alg)
      await verifyWithJwks(tokens.id_token, { issuer: ISSUER, audience: client.id })
    }
  })

  it('gives only the claims of the scopes asked, and no ID token without openid', async () => {
    const session = await browserSession(box)
    const client = await createClient()
    const { params, verifier } = await codeRequest(client.id, { scope: 'openid email' })
    const code = codeOf(await authorizeCall(params, session.cookie), params.state)
    const tokens = await json(await exchange({ client, code, verifier }))
    const claims = decodeJwt(tokens.id_token)
    expect(claims.email).toBe(session.email)
    expect(claims.phone_number).toBeUndefined()
    expect(claims.name).toBeUndefined()

    const plain = await codeRequest(client.id, { scope: 'profile' })
    const code2 = codeOf(await authorizeCall(plain.params, session.cookie), plain.params.state)
    const oauth = await json(await exchange({ client, code: code2, verifier: plain.verifier }))
    expect(oauth.id_token).toBeUndefined()
    expect(oauth.scope).toBe('profile')
    // userinfo needs openid: 403 insufficient_scope.
    const info = await call('GET', '/oauth2/userinfo', { env: OIDC, token: oauth.access_token })
    expect(info.status).toBe(403)
    expect(info.headers.get('www-authenticate')).toMatch(/insufficient_scope/)
  })

  it('serves a public client with PKCE and no secret (client_secret_basic for a confidential one)', async () => {
    const pub = await createClient({ type: 'public' })
    const { client, code, verifier } = await signedInCode(box, pub)
    expect((await exchange({ client, code, verifier })).status).toBe(200)

    const conf = await signedInCode(box)
    const res = await oauthPost(
      'token',
      { grant_type: 'authorization_code', code: conf.code, redirect_uri: REDIRECT, code_verifier: conf.verifier },
      { basic: { id: conf.client.id, secret: conf.client.secret as string } },
    )
    expect(res.status).toBe(200)
  })

  it('refreshes with rotation, then revocation ends the session and introspection sees it at once', async () => {
    const { client, code, verifier } = await signedInCode(box)
    const first = await json(await exchange({ client, code, verifier }))
    const auth = { client_id: client.id, client_secret: client.secret as string }
    const refreshed = await oauthPost('token', { grant_type: 'refresh_token', refresh_token: first.refresh_token, ...auth })
    expect(refreshed.status).toBe(200)
    const next = await json(refreshed)
    expect(next.refresh_token).not.toBe(first.refresh_token)
    expect(decodeJwt(next.access_token)).toMatchObject({ client_id: client.id, scope: 'openid profile email phone' })

    const active = await json(await oauthPost('introspect', { token: next.access_token, ...auth }))
    expect(active).toMatchObject({ active: true, client_id: client.id, scope: 'openid profile email phone' })
    expect(await json(await oauthPost('introspect', { token: next.refresh_token, ...auth }))).toMatchObject({ active: true })

    const revoked = await oauthPost('revoke', { token: next.refresh_token, token_type_hint: 'refresh_token', ...auth })
    expect(revoked.status).toBe(200)
    expect(await json(await oauthPost('introspect', { token: next.access_token, ...auth }))).toEqual({ active: false })
    expect(await json(await oauthPost('introspect', { token: next.refresh_token, ...auth }))).toEqual({ active: false })
    expect((await call('GET', '/oauth2/userinfo', { env: OIDC, token: next.access_token })).status).toBe(401)
    // Unknown tokens: 200 all the same (RFC 7009 §2.2).
    expect((await oauthPost('revoke', { token: 'no-such-token', ...auth })).status).toBe(200)
  })

  it('issues client_credentials tokens to a confidential client, as itself or as its account', async () => {
    const machine = await createClient({ grantTypes: ['client_credentials'], scope: 'profile' })
    const res = await oauthPost(
      'token',
      { grant_type: 'client_credentials' },
      { basic: { id: machine.id, secret: machine.secret as string } },
    )
    expect(res.status).toBe(200)
    const tokens = await json(res)
    expect(tokens.refresh_token).toBeUndefined()
    expect(tokens.id_token).toBeUndefined()
    const claims = (await verifyWithJwks(tokens.access_token, { issuer: ISSUER, typ: 'at+jwt' })).payload
    expect(claims).toMatchObject({ sub: machine.id, client_id: machine.id, scope: 'profile', perms: [] })
    const auth = { client_id: machine.id, client_secret: machine.secret as string }
    expect(await json(await oauthPost('introspect', { token: tokens.access_token, ...auth }))).toMatchObject({ active: true })

    const account = await browserSession(box)
    // A machine client acts only as a client or sub-client account (seed 004), as the registry requires.
    await env.DB.prepare("UPDATE users SET role = 'client' WHERE id = ?").bind(account.userId).run()
    const actor = await createClient({ grantTypes: ['client_credentials'], scope: 'profile', userId: account.userId })
    const asUser = await json(
      await oauthPost('token', { grant_type: 'client_credentials', client_id: actor.id, client_secret: actor.secret as string }),
    )
    expect(decodeJwt(asUser.access_token)).toMatchObject({ sub: account.userId, client_id: actor.id })
    expect((await call('GET', '/api/v1/me', { env: OIDC, token: asUser.access_token })).status).toBe(200)
  })

  it('gives JSON API access tokens the documented constant client_id', async () => {
    const session = await browserSession(box)
    const res = await call('POST', '/api/v1/auth/login', {
      env: OIDC,
      json: { phone: session.phone, password: 'Tunis-Sol4r-2026' },
    })
    expect(decodeJwt((await json(res)).access_token).client_id).toBe('edge-auth-api')
  })

  it('answers CORS preflights of the token endpoint from any origin, without credentials', async () => {
    const res = await call('OPTIONS', '/oauth2/token', {
      env: OIDC,
      headers: { origin: 'https://spa.example.com', 'access-control-request-method': 'POST' },
    })
    expect(res.headers.get('access-control-allow-origin')).toBe('https://spa.example.com')
    expect(res.headers.get('access-control-allow-credentials')).toBeNull()
  })
})
