import { env } from 'cloudflare:workers'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { call, json } from '../helpers/app'
import {
  authorizeCall,
  browserSession,
  codeOf,
  codeRequest,
  createClient,
  exchange,
  expectOidcError,
  ISSUER,
  OIDC,
  oauthPost,
  signedInCode,
  verifyWithJwks,
} from '../helpers/oidc'
import { useOutbox } from '../helpers/outbox'

// Adversarial tests of the security review of issue 20 (the OpenID provider and its hosted pages).

const box = useOutbox()

describe('consent of third-party clients', () => {
  it('cannot be skipped by asking for no scope at all', async () => {
    // A third-party client the user never consented to asks for an empty scope: with a browser
    // session, it must still meet the consent screen, not get a code (and the user's access token).
    const third = await createClient({ firstParty: false })
    const session = await browserSession(box)
    for (const scope of ['', ' ']) {
      const { params } = await codeRequest(third.id, { scope })
      const res = await authorizeCall(params, session.cookie)
      expect(res.status).toBe(302)
      expect(res.headers.get('location')).toMatch(/^\/oauth2\/consent\?request=/)
      const silent = await authorizeCall((await codeRequest(third.id, { scope, prompt: 'none' })).params, session.cookie)
      expect(new URL(silent.headers.get('location') ?? '').searchParams.get('error')).toBe('consent_required')
    }
  })
})

describe('client_credentials acting as an account', () => {
  it('stops when the account is no longer a client or sub-client (never an admin’s token)', async () => {
    const account = await browserSession(box)
    await env.DB.prepare("UPDATE users SET role = 'client' WHERE id = ?").bind(account.userId).run()
    const actor = await createClient({ grantTypes: ['client_credentials'], scope: 'profile', userId: account.userId })
    const grant = { grant_type: 'client_credentials', client_id: actor.id, client_secret: actor.secret as string }
    const first = await oauthPost('token', grant)
    expect(first.status).toBe(200)
    expect((await json(first)).access_token).toBeTruthy()
    // The account is promoted afterwards: the machine client's secret must not hand over an admin.
    for (const role of ['admin', 'super_admin', 'user']) {
      await env.DB.prepare('UPDATE users SET role = ? WHERE id = ?').bind(role, account.userId).run()
      await expectOidcError(await oauthPost('token', grant), 400, 'invalid_grant')
    }
  })
})

describe('a refresh asking for a narrower scope', () => {
  it('gets an access token of that scope, and a wider one is refused without spending the refresh token', async () => {
    const flow = await signedInCode(box)
    const first = await json(await exchange(flow))
    const auth = { client_id: flow.client.id, client_secret: flow.client.secret as string }
    const wider = await oauthPost('token', {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      scope: 'openid offline_access',
      ...auth,
    })
    await expectOidcError(wider, 400, 'invalid_scope')
    // The refusal rotated nothing: the same refresh token still works.
    const res = await oauthPost('token', {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      scope: 'openid',
      ...auth,
    })
    expect(res.status).toBe(200)
    const narrowed = await json(res)
    expect(narrowed.scope).toBe('openid')
    expect(decodeJwt(narrowed.access_token).scope).toBe('openid')
    const info = await json(await call('GET', '/oauth2/userinfo', { env: OIDC, token: narrowed.access_token }))
    expect(info.email).toBeUndefined()
    expect(info.phone_number).toBeUndefined()
  })
})

describe('a third-party client’s access token', () => {
  /** A code for a third-party client the user consented to (openid profile), exchanged. */
  async function thirdPartyTokens() {
    const third = await createClient({ firstParty: false })
    const session = await browserSession(box)
    await env.DB.prepare('INSERT INTO oauth_consents (user_id, client_id, scope, granted_at) VALUES (?, ?, ?, ?)')
      .bind(session.userId, third.id, 'openid profile', Date.now())
      .run()
    const { params, verifier } = await codeRequest(third.id, { scope: 'openid profile' })
    const code = codeOf(await authorizeCall(params, session.cookie), params.state)
    const res = await exchange({ client: third, code, verifier })
    expect(res.status).toBe(200)
    return { third, tokens: await json(res) }
  }

  it('reaches userinfo only: not the JSON API (the account, its second factors), with no permission', async () => {
    const { tokens } = await thirdPartyTokens()
    const claims = decodeJwt(tokens.access_token)
    expect(claims.aud).toBe(`${ISSUER}/oauth2/userinfo`)
    expect(claims.perms).toEqual([])
    // Verified by jose against the JWKS: a service pinning the JSON API's audience refuses it.
    await expect(verifyWithJwks(tokens.access_token, { audience: env.JWT_AUDIENCE })).rejects.toThrow(/aud/)
    for (const [method, path] of [
      ['GET', '/api/v1/me'],
      ['POST', '/api/v1/me/mfa/totp'],
      ['POST', '/api/v1/me/passkeys/options'],
      ['GET', '/api/v1/me/sessions'],
    ] as const) {
      const res = await call(method, path, { token: tokens.access_token, env: OIDC })
      expect(res.status, `${method} ${path}`).toBe(401)
    }
    const info = await call('GET', '/oauth2/userinfo', { token: tokens.access_token, env: OIDC })
    expect(info.status).toBe(200)
    expect(await json(info)).toHaveProperty('sub')
  })

  it('stays so after a refresh, and introspection reads it', async () => {
    const { third, tokens } = await thirdPartyTokens()
    const auth = { client_id: third.id, client_secret: third.secret as string }
    const refreshed = await json(
      await oauthPost('token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, ...auth }),
    )
    expect(decodeJwt(refreshed.access_token).aud).toBe(`${ISSUER}/oauth2/userinfo`)
    expect((await call('GET', '/api/v1/me', { token: refreshed.access_token, env: OIDC })).status).toBe(401)
    const seen = await json(await oauthPost('introspect', { token: refreshed.access_token, ...auth }))
    expect(seen).toMatchObject({ active: true, client_id: third.id })
  })

  it('a first-party client’s token is the account’s: the JSON API’s audience and permissions', async () => {
    const flow = await signedInCode(box)
    const tokens = await json(await exchange(flow))
    expect(decodeJwt(tokens.access_token).aud).toBe(env.JWT_AUDIENCE)
    expect((await call('GET', '/api/v1/me', { token: tokens.access_token, env: OIDC })).status).toBe(200)
  })
})
