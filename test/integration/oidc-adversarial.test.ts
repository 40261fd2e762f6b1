import { env } from 'cloudflare:workers'
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
  LOGOUT_REDIRECT,
  OIDC,
  oauthPost,
  REDIRECT,
  signedInCode,
} from '../helpers/oidc'
import { useOutbox } from '../helpers/outbox'
import { sleep } from '../helpers/sessions'

const box = useOutbox()

/** The `error` of a redirect to the client. */
function redirectedError(res: Response): string | null {
  expect(res.status).toBe(302)
  return new URL(res.headers.get('location') ?? '').searchParams.get('error')
}

describe('authorize refuses', () => {
  it('a redirect URI that differs by one character, with a 400 and never a redirect', async () => {
    const client = await createClient()
    const session = await browserSession(box)
    for (const uri of [`${REDIRECT}x`, REDIRECT.replace('callback', 'callbacK'), `${REDIRECT}/`, `${REDIRECT}?a=1`]) {
      const { params } = await codeRequest(client.id, { redirect_uri: uri })
      const res = await authorizeCall(params, session.cookie)
      await expectOidcError(res, 400, 'invalid_request')
      expect(res.headers.get('location')).toBeNull()
    }
  })

  it('an unknown client with a 400', async () => {
    const { params } = await codeRequest('no-such-client')
    await expectOidcError(await authorizeCall(params), 400, 'invalid_request')
  })

  it('a missing or plain PKCE challenge, redirected as invalid_request with state', async () => {
    const client = await createClient({ type: 'public' })
    for (const pkce of [{ code_challenge: '' }, { code_challenge_method: 'plain' }, { code_challenge_method: '' }] as Record<
      string,
      string
    >[]) {
      const { params } = await codeRequest(client.id, pkce)
      const res = await authorizeCall(params)
      expect(redirectedError(res)).toBe('invalid_request')
      expect(new URL(res.headers.get('location') ?? '').searchParams.get('state')).toBe(params.state)
    }
  })

  it('a scope the client does not have, and a response type other than code', async () => {
    const client = await createClient({ scope: 'openid' })
    expect(redirectedError(await authorizeCall((await codeRequest(client.id, { scope: 'openid email' })).params))).toBe(
      'invalid_scope',
    )
    expect(redirectedError(await authorizeCall((await codeRequest(client.id, { response_type: 'token' })).params))).toBe(
      'unsupported_response_type',
    )
  })

  it('prompt=none without a session: login_required; without consent: consent_required', async () => {
    const client = await createClient()
    expect(redirectedError(await authorizeCall((await codeRequest(client.id, { prompt: 'none' })).params))).toBe('login_required')
    const third = await createClient({ firstParty: false })
    const session = await browserSession(box)
    const res = await authorizeCall((await codeRequest(third.id, { prompt: 'none' })).params, session.cookie)
    expect(redirectedError(res)).toBe('consent_required')
  })

  it('sends a browser without a session to the sign-in page, a third-party client to consent', async () => {
    const client = await createClient()
    const res = await authorizeCall((await codeRequest(client.id)).params)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toMatch(/^\/oauth2\/sign-in\?request=/)
    const third = await createClient({ firstParty: false })
    const session = await browserSession(box)
    const consent = await authorizeCall((await codeRequest(third.id)).params, session.cookie)
    expect(consent.headers.get('location')).toMatch(/^\/oauth2\/consent\?request=/)
    // Once consent is recorded, the resume issues the code.
    const sealed = new URL(consent.headers.get('location') ?? '', 'https://x').searchParams.get('request') ?? ''
    const consented = await env.DB.prepare(
      "INSERT INTO oauth_consents (user_id, client_id, scope, granted_at) VALUES (?, ?, 'openid profile email phone', ?)",
    )
      .bind(session.userId, third.id, Date.now())
      .run()
    expect(consented.success).toBe(true)
    const resumed = await call('GET', `/oauth2/authorize/resume?request=${encodeURIComponent(sealed)}`, {
      env: OIDC,
      headers: { cookie: session.cookie },
    })
    expect(new URL(resumed.headers.get('location') ?? '').searchParams.get('code')).toBeTruthy()
  })

  it('prompt=consent, alone or with login, asks again despite an earlier consent; the consent given then answers', async () => {
    const third = await createClient({ firstParty: false })
    const session = await browserSession(box)
    const consent = (at: number) =>
      env.DB.prepare(
        "INSERT OR REPLACE INTO oauth_consents (user_id, client_id, scope, granted_at) VALUES (?, ?, 'openid profile email phone', ?)",
      )
        .bind(session.userId, third.id, at)
        .run()
    const resume = (sealed: string) =>
      call('GET', `/oauth2/authorize/resume?request=${encodeURIComponent(sealed)}`, {
        env: OIDC,
        headers: { cookie: session.cookie },
      })
    const sealedOf = (res: Response) => new URL(res.headers.get('location') ?? '', 'https://x').searchParams.get('request') ?? ''
    await consent(Date.now() - 60_000)
    // Without prompt: the earlier consent answers at once.
    const plain = await codeRequest(third.id)
    expect(codeOf(await authorizeCall(plain.params, session.cookie), plain.params.state)).toBeTruthy()
    // prompt=consent: the consent page, and back from it (a consent after the request) the code.
    const asked = await authorizeCall((await codeRequest(third.id, { prompt: 'consent' })).params, session.cookie)
    expect(asked.headers.get('location')).toMatch(/^\/oauth2\/consent\?/)
    expect((await resume(sealedOf(asked))).headers.get('location')).toMatch(/^\/oauth2\/consent\?/)
    await sleep(5)
    await consent(Date.now())
    expect(new URL((await resume(sealedOf(asked))).headers.get('location') ?? '').searchParams.get('code')).toBeTruthy()
    // prompt=login consent: the sign-in page, then (signed in anew) the consent page, not the code.
    await consent(Date.now() - 60_000)
    const both = await authorizeCall((await codeRequest(third.id, { prompt: 'login consent' })).params, session.cookie)
    expect(both.headers.get('location')).toMatch(/^\/oauth2\/sign-in\?/)
    await sleep(5)
    await env.DB.prepare('UPDATE sessions SET auth_time = ? WHERE user_id = ?').bind(Date.now(), session.userId).run()
    const afterSignIn = await resume(sealedOf(both))
    expect(afterSignIn.headers.get('location')).toMatch(/^\/oauth2\/consent\?/)
  })

  it('prompt=login and an exceeded max_age: the sign-in page, even with a session', async () => {
    const client = await createClient()
    const session = await browserSession(box)
    const login = await authorizeCall((await codeRequest(client.id, { prompt: 'login' })).params, session.cookie)
    expect(login.headers.get('location')).toMatch(/^\/oauth2\/sign-in\?/)
    // The same sealed request resumed with the session that existed before it: still the sign-in page.
    const sealed = new URL(login.headers.get('location') ?? '', 'https://x').searchParams.get('request') ?? ''
    const resumed = await call('GET', `/oauth2/authorize/resume?request=${encodeURIComponent(sealed)}`, {
      env: OIDC,
      headers: { cookie: session.cookie },
    })
    expect(resumed.headers.get('location')).toMatch(/^\/oauth2\/sign-in\?/)
    // A session signed in 10 s ago with max_age=5.
    await env.DB.prepare('UPDATE sessions SET auth_time = ? WHERE user_id = ?')
      .bind(Date.now() - 10_000, session.userId)
      .run()
    const old = await authorizeCall((await codeRequest(client.id, { max_age: '5' })).params, session.cookie)
    expect(old.headers.get('location')).toMatch(/^\/oauth2\/sign-in\?/)
    const fresh = await codeRequest(client.id, { max_age: '60' })
    expect(codeOf(await authorizeCall(fresh.params, session.cookie), fresh.params.state)).toBeTruthy()
  })

  it('max_age=0 asks for a sign-in, and a sign-in after the request meets it', async () => {
    const client = await createClient()
    const session = await browserSession(box)
    const asked = await authorizeCall((await codeRequest(client.id, { max_age: '0' })).params, session.cookie)
    expect(asked.headers.get('location')).toMatch(/^\/oauth2\/sign-in\?/)
    const sealed = new URL(asked.headers.get('location') ?? '', 'https://x').searchParams.get('request') ?? ''
    // The person signs in on the page (its session's auth_time is now after the request).
    await sleep(5)
    await env.DB.prepare('UPDATE sessions SET auth_time = ? WHERE user_id = ?').bind(Date.now(), session.userId).run()
    await sleep(20) // the resume comes a moment after that sign-in: already more than max_age=0 ago
    const resumed = await call('GET', `/oauth2/authorize/resume?request=${encodeURIComponent(sealed)}`, {
      env: OIDC,
      headers: { cookie: session.cookie },
    })
    expect(new URL(resumed.headers.get('location') ?? '').searchParams.get('code')).toBeTruthy()
  })

  it('carries the longest request authorize accepts through the sign-in page', async () => {
    const redirect = `${REDIRECT}?${'p'.repeat(1900)}`
    const client = await createClient({ redirectUris: [redirect] })
    const { params } = await codeRequest(client.id, {
      redirect_uri: redirect,
      state: 's'.repeat(1024),
      nonce: 'n'.repeat(512),
      login_hint: `+216${'2'.repeat(8)}`.padEnd(256, ' ').trim(),
      ui_locales: 'fr '.repeat(42).trim(),
    })
    const res = await authorizeCall(params)
    const location = res.headers.get('location') ?? ''
    expect(location).toMatch(/^\/oauth2\/sign-in\?/)
    const page = await call('GET', location, { env: OIDC })
    expect(page.status).toBe(200)
  })
})

describe('the token endpoint refuses', () => {
  it('a wrong PKCE verifier', async () => {
    const flow = await signedInCode(box)
    const wrong = (await codeRequest(flow.client.id)).verifier
    await expectOidcError(await exchange({ ...flow, verifier: wrong }), 400, 'invalid_grant')
  })

  it('a replayed code, and revokes what its first use issued', async () => {
    const flow = await signedInCode(box)
    const first = await json(await exchange(flow))
    await expectOidcError(await exchange(flow), 400, 'invalid_grant')
    const auth = { client_id: flow.client.id, client_secret: flow.client.secret as string }
    await expectOidcError(
      await oauthPost('token', { grant_type: 'refresh_token', refresh_token: first.refresh_token, ...auth }),
      400,
      'invalid_grant',
    )
    expect(await json(await oauthPost('introspect', { token: first.access_token, ...auth }))).toEqual({ active: false })
    expect((await call('GET', '/oauth2/userinfo', { env: OIDC, token: first.access_token })).status).toBe(401)
  })

  it('a code of another client, and a mismatched redirect_uri', async () => {
    const flow = await signedInCode(box)
    const other = await createClient()
    await expectOidcError(await exchange({ ...flow, client: other }), 400, 'invalid_grant')
    await expectOidcError(await exchange(flow, { redirect_uri: `${REDIRECT}/other` }), 400, 'invalid_grant')
    // Neither burned it: the right exchange still works.
    expect((await exchange(flow)).status).toBe(200)
  })

  it('an expired code', async () => {
    const flow = await signedInCode(box)
    await env.DB.prepare('UPDATE oauth_codes SET expires_at = ? WHERE client_id = ?')
      .bind(Date.now() - 1, flow.client.id)
      .run()
    await expectOidcError(await exchange(flow), 400, 'invalid_grant')
  })

  it('a refresh token of client A presented by client B, leaving A’s session alive', async () => {
    const flow = await signedInCode(box)
    const tokens = await json(await exchange(flow))
    const b = await createClient()
    await expectOidcError(
      await oauthPost('token', {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: b.id,
        client_secret: b.secret as string,
      }),
      400,
      'invalid_grant',
    )
    const a = { client_id: flow.client.id, client_secret: flow.client.secret as string }
    expect((await oauthPost('token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, ...a })).status).toBe(
      200,
    )
  })

  it('the browser session’s cookie as a refresh token, and an OAuth refresh token at the JSON API', async () => {
    const flow = await signedInCode(box)
    const auth = { client_id: flow.client.id, client_secret: flow.client.secret as string }
    const cookie = flow.session.cookie.split('=')[1] as string
    await expectOidcError(
      await oauthPost('token', { grant_type: 'refresh_token', refresh_token: cookie, ...auth }),
      400,
      'invalid_grant',
    )
    const tokens = await json(await exchange(flow))
    const res = await call('POST', '/api/v1/auth/refresh', { env: OIDC, json: { refresh_token: tokens.refresh_token } })
    expect(res.status).toBe(401)
  })

  it('client_credentials for a public client, or a client without the grant', async () => {
    const pub = await createClient({ type: 'public', grantTypes: ['authorization_code', 'client_credentials'] })
    await expectOidcError(
      await oauthPost('token', { grant_type: 'client_credentials', client_id: pub.id }),
      400,
      'unauthorized_client',
    )
    const conf = await createClient()
    await expectOidcError(
      await oauthPost('token', { grant_type: 'client_credentials', client_id: conf.id, client_secret: conf.secret as string }),
      400,
      'unauthorized_client',
    )
  })

  it('wrong or missing secrets: 401 invalid_client, with a Basic challenge when Basic was used', async () => {
    const flow = await signedInCode(box)
    const basic = await oauthPost(
      'token',
      { grant_type: 'authorization_code', code: flow.code, redirect_uri: REDIRECT, code_verifier: flow.verifier },
      { basic: { id: flow.client.id, secret: 'wrong' } },
    )
    await expectOidcError(basic, 401, 'invalid_client')
    expect(basic.headers.get('www-authenticate')).toMatch(/^Basic /)
    await expectOidcError(await exchange({ ...flow, client: { id: flow.client.id, secret: 'wrong' } }), 401, 'invalid_client')
    await expectOidcError(await exchange({ ...flow, client: { id: flow.client.id, secret: undefined } }), 401, 'invalid_client')
    await expectOidcError(await oauthPost('introspect', { token: 'x', client_id: flow.client.id }), 401, 'invalid_client')
  })

  it('a pool’s code at the default pool’s endpoint', async () => {
    const vars = { ...OIDC, USER_POOLS: JSON.stringify({ user1: {} }) }
    const session = await browserSession(box, '/api/v1/pools/user1', vars)
    const client = await createClient({ pool: 'user1' })
    const { params, verifier } = await codeRequest(client.id)
    const res = await call('GET', `/pools/user1/oauth2/authorize?${new URLSearchParams(params)}`, {
      env: vars,
      headers: { cookie: session.cookie },
    })
    const code = codeOf(res, params.state, 'https://auth.test/pools/user1')
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: client.id }
    const post = (prefix: string) =>
      call('POST', `${prefix}/oauth2/token`, {
        env: vars,
        body: new URLSearchParams({ ...form, client_secret: client.secret as string }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
    await expectOidcError(await post(''), 401, 'invalid_client') // the client is the pool's
    const tokens = await json(await post('/pools/user1'))
    expect(tokens.id_token).toBeTruthy()
  })

  it('answers body and content-type limits as RFC 6749 errors', async () => {
    const big = await call('POST', '/oauth2/token', {
      env: OIDC,
      body: `a=${'x'.repeat(70 * 1024)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    await expectOidcError(big, 413, 'invalid_request')
    await expectOidcError(await call('POST', '/oauth2/token', { env: OIDC, json: {} }), 415, 'invalid_request')
    const put = await call('PUT', '/oauth2/token', { env: OIDC })
    await expectOidcError(put, 405, 'invalid_request')
    expect(put.headers.get('allow')).toBe('POST')
  })
})

describe('end_session', () => {
  it('refuses a post_logout_redirect_uri the client did not register (no open redirect)', async () => {
    const client = await createClient()
    for (const uri of ['https://evil.example.com/', `${LOGOUT_REDIRECT}x`]) {
      const q = new URLSearchParams({ client_id: client.id, post_logout_redirect_uri: uri })
      const res = await call('GET', `/oauth2/end_session?${q}`, { env: OIDC })
      await expectOidcError(res, 400, 'invalid_request')
      expect(res.headers.get('location')).toBeNull()
    }
    const q = new URLSearchParams({ post_logout_redirect_uri: LOGOUT_REDIRECT })
    await expectOidcError(await call('GET', `/oauth2/end_session?${q}`, { env: OIDC }), 400, 'invalid_request')
  })

  it('asks to confirm, then ends the browser session and what it issued, and returns to the client', async () => {
    const flow = await signedInCode(box)
    const tokens = await json(await exchange(flow))
    const q = new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: LOGOUT_REDIRECT, state: 's1' })
    const page = await call('GET', `/oauth2/end_session?${q}`, { env: OIDC, headers: { cookie: flow.session.cookie } })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Sign out of App')
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? ''
    const confirm = (csrf: string) =>
      call('POST', '/oauth2/end_session', {
        env: OIDC,
        headers: { cookie: flow.session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ request: field('request'), csrf }).toString(),
      })
    await expectOidcError(await confirm('forged'), 400, 'invalid_request')
    const done = await confirm(field('csrf'))
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe(`${LOGOUT_REDIRECT}?state=s1`)
    expect(done.headers.get('set-cookie')).toMatch(/__Host-edge-auth=;.*Max-Age=0/)
    const auth = { client_id: flow.client.id, client_secret: flow.client.secret as string }
    expect(await json(await oauthPost('introspect', { token: tokens.access_token, ...auth }))).toEqual({ active: false })
    // The browser session is gone: authorize asks to sign in again.
    const again = await authorizeCall((await codeRequest(flow.client.id)).params, flow.session.cookie)
    expect(again.headers.get('location')).toMatch(/^\/oauth2\/sign-in\?/)
  })

  it("speaks the language ui_locales names, right to left in Arabic, with the hosted pages' CSP", async () => {
    const flow = await signedInCode(box)
    const tokens = await json(await exchange(flow))
    const ask = (ui: string) =>
      call('GET', `/oauth2/end_session?${new URLSearchParams({ id_token_hint: tokens.id_token, ui_locales: ui })}`, {
        env: OIDC,
        headers: { cookie: flow.session.cookie },
      })
    const fr = await ask('fr-FR')
    const frHtml = await fr.text()
    expect(frHtml).toContain('<html lang="fr" dir="ltr">')
    expect(frHtml).toContain('Se déconnecter')
    const ar = await ask('ar')
    const arHtml = await ar.text()
    expect(arHtml).toContain('<html lang="ar" dir="rtl">')
    expect(arHtml).toContain('تسجيل الخروج')
    const csp = ar.headers.get('content-security-policy') ?? ''
    expect(csp).toMatch(/style-src 'nonce-[^']+'/)
    expect(csp).not.toContain('unsafe-inline')
    // Nobody signed in: the signed-out page, in the language asked.
    const nobody = await call('GET', `/oauth2/end_session?${new URLSearchParams({ ui_locales: 'fr' })}`, { env: OIDC })
    expect(await nobody.text()).toContain('Vous êtes déconnecté')
  })
})
