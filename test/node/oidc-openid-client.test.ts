import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import * as client from 'openid-client'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  activePerson,
  answerTotp,
  enableTotp,
  enrolPasskey,
  landedOn,
  launchBrowser,
  newBrowserPage,
  type Person,
  type Provider,
  type RegisteredClient,
  type RelyingPartyServer,
  signInByPhone,
  signInWithPasskey,
  signInWithPassword,
  skipWithoutBrowser,
  startProvider,
  startRelyingParty,
  totpCode,
} from './helpers/oidc'

// Issue 20, SPEC §15: a web app signs people in with openid-client 6 (a confidential client,
// client_secret_basic) through the hosted pages in headless Chromium, three ways (phone + code,
// password + TOTP, passkey), and uses every endpoint a relying party uses: discovery, authorize with
// PKCE/state/nonce, the code exchange with ID token validation (signature included: non-repudiation
// checks), userinfo, refresh, introspection, revocation and RP-initiated logout. Then the
// client_credentials grant, and the attacks that need a browser or a real relying party: a forged
// state, a cross-origin form post to a page, an open redirect through end_session.

const SCOPE = 'openid profile email phone offline_access'

let p: Provider
let rp: RelyingPartyServer
let browser: Browser
let web: RegisteredClient
let config: client.Configuration
let redirectUri: string
let signedOutUri: string

describe.skipIf(skipWithoutBrowser)('the OpenID provider with openid-client 6 (a web app)', () => {
  beforeAll(async () => {
    ;[p, rp, browser] = await Promise.all([startProvider(), startRelyingParty(), launchBrowser()])
    redirectUri = `${rp.origin}/callback`
    signedOutUri = `${rp.origin}/signed-out`
    web = await p.registerClient({
      name: 'Solar dashboard',
      type: 'confidential',
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [signedOutUri],
      scopes: ['openid', 'profile', 'email', 'phone', 'offline_access'],
      first_party: false,
    })
    config = await client.discovery(
      new URL(p.issuer),
      web.client_id,
      undefined,
      client.ClientSecretBasic(web.client_secret as string),
      { execute: [client.allowInsecureRequests] },
    )
    // ID tokens from the token endpoint are checked for their signature too, not only their claims.
    client.enableNonRepudiationChecks(config)
  }, 240_000)
  afterAll(async () => {
    await browser?.close()
    await rp?.stop()
    await p?.stop()
  })

  interface Checks {
    verifier: string
    state: string
    nonce: string
  }

  /** Sends the browser to the authorization endpoint with PKCE S256, a state and a nonce. */
  async function authorize(page: Page, extra: Record<string, string> = {}): Promise<Checks> {
    const checks = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce() }
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
      ...extra,
    })
    await page.goto(url.href)
    return checks
  }

  /** Waits for the callback and exchanges its code as the web app's back end would. */
  async function callback(page: Page, checks: Checks) {
    const back = await landedOn(page, redirectUri)
    expect(back.searchParams.get('iss')).toBe(p.issuer)
    return client.authorizationCodeGrant(config, back, {
      pkceCodeVerifier: checks.verifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    })
  }

  /** The consent page of a third-party client, answered "Allow". */
  async function allow(page: Page) {
    await page.getByRole('heading', { level: 1, name: /Solar dashboard/ }).waitFor()
    await page.getByRole('button', { name: 'Allow' }).click()
  }

  const jwks = () => createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri as string))

  /**
   * Everything a relying party does with the tokens of one sign-in, asserting SPEC §15 on each: the ID
   * token (RS256, aud, amr, auth_time), the access token (client_id, scope), userinfo, introspection,
   * refresh with rotation, revocation; then RP-initiated logout ends the browser session and what it issued.
   */
  async function useTokens(
    page: Page,
    person: Person,
    tokens: Awaited<ReturnType<typeof callback>>,
    amr: (values: string[]) => void,
  ) {
    const claims = tokens.claims()
    expect(claims).toBeDefined()
    expect(claims).toMatchObject({ iss: p.issuer, aud: web.client_id, sub: person.id })
    expect(typeof claims?.auth_time).toBe('number')
    amr(claims?.amr as string[])
    const idToken = tokens.id_token as string
    expect(decodeProtectedHeader(idToken).alg).toBe('RS256')
    await jwtVerify(idToken, jwks(), { issuer: p.issuer, audience: web.client_id, algorithms: ['RS256'] })

    const access = decodeJwt(tokens.access_token)
    expect(access).toMatchObject({ sub: person.id, client_id: web.client_id })
    expect(String(access.scope).split(' ')).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'phone']))
    await jwtVerify(tokens.access_token, jwks(), { issuer: p.issuer })

    const info = await client.fetchUserInfo(config, tokens.access_token, person.id)
    expect(info).toMatchObject({
      sub: person.id,
      name: 'Amira',
      phone_number: person.phone,
      phone_number_verified: true,
      email: person.email,
    })

    const live = await client.tokenIntrospection(config, tokens.access_token)
    expect(live).toMatchObject({ active: true, sub: person.id, client_id: web.client_id })

    expect(tokens.refresh_token).toBeTypeOf('string')
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string)
    expect(refreshed.refresh_token).toBeTypeOf('string')
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ sub: person.id, client_id: web.client_id })
    // An ID token from a refresh carries the same subject (OpenID Connect Core §12.2), when there is one.
    if (refreshed.id_token) expect(refreshed.claims()).toMatchObject({ sub: person.id, aud: web.client_id })

    // Revoking the refresh token (RFC 7009) ends it at once: introspection and the grant see it.
    await client.tokenRevocation(config, refreshed.refresh_token as string, { token_type_hint: 'refresh_token' })
    expect(await client.tokenIntrospection(config, refreshed.refresh_token as string)).toMatchObject({ active: false })
    const reused = await client.refreshTokenGrant(config, refreshed.refresh_token as string).catch((e: unknown) => e)
    expect(reused).toBeInstanceOf(client.ResponseBodyError)
    expect((reused as client.ResponseBodyError).error).toBe('invalid_grant')

    await logout(page, idToken)
  }

  /**
   * RP-initiated logout: end_session with id_token_hint, a registered post_logout_redirect_uri and a
   * state; the confirmation page's button signs out and sends the browser back with the state. The
   * browser session is gone (prompt=none: login_required).
   */
  async function logout(page: Page, idToken: string) {
    const state = client.randomState()
    const url = client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: signedOutUri, state })
    await page.goto(url.href)
    await page
      .getByRole('button', { name: /sign out/i })
      .first()
      .click()
    const back = await landedOn(page, signedOutUri)
    expect(back.searchParams.get('state')).toBe(state)

    const silent = await authorize(page, { prompt: 'none' })
    const answer = await landedOn(page, redirectUri)
    expect(Object.fromEntries(answer.searchParams)).toMatchObject({ error: 'login_required', state: silent.state })
  }

  describe('openid-client 6, a confidential web app, through the hosted pages in Chromium', () => {
    it('phone + code (the default page), consent, then every endpoint and RP-initiated logout', async () => {
      const person = await activePerson(p)
      const { context, page, problems } = await newBrowserPage(browser)
      const checks = await authorize(page)
      await signInByPhone(p, page, person.phone)
      await allow(page)
      const tokens = await callback(page, checks)
      await useTokens(page, person, tokens, (amr) => expect(amr).toEqual(expect.arrayContaining(['sms'])))

      // What the logout ended: the access token of this sign-in no longer introspects as active.
      expect(await client.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: false })
      expect(problems).toEqual([])
      await context.close()
    })

    it('password + TOTP (the MFA step), then every endpoint and RP-initiated logout', async () => {
      const person = await activePerson(p)
      const key = await enableTotp(p, person.access_token)
      const { context, page, problems } = await newBrowserPage(browser)
      const checks = await authorize(page)
      await signInWithPassword(page, person.phone)
      await answerTotp(page, totpCode(key))
      await allow(page)
      const tokens = await callback(page, checks)
      await useTokens(page, person, tokens, (amr) => expect(amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa'])))
      expect(problems).toEqual([])
      await context.close()
    })

    it('passkey (a virtual authenticator), then every endpoint and RP-initiated logout', async () => {
      const person = await activePerson(p)
      const { context, page, problems } = await newBrowserPage(browser)
      await enrolPasskey(p, page, person)
      const checks = await authorize(page)
      await signInWithPasskey(page)
      await allow(page)
      const tokens = await callback(page, checks)
      await useTokens(page, person, tokens, (amr) => expect(amr.some((v) => v === 'hwk' || v === 'swk')).toBe(true))
      expect(problems).toEqual([])
      await context.close()
    })

    it('single sign-on: a second authorization in the same browser needs no page, and consent is remembered', async () => {
      const person = await activePerson(p)
      const { context, page } = await newBrowserPage(browser)
      await authorize(page)
      await signInByPhone(p, page, person.phone)
      await allow(page)
      await landedOn(page, redirectUri)

      const again = await authorize(page)
      const tokens = await callback(page, again)
      expect(tokens.claims()?.sub).toBe(person.id)
      await context.close()
    })
  })

  describe('client_credentials', () => {
    it('a confidential client gets an access token of its own (sub = client_id) that introspects as active', async () => {
      const machine = await p.registerClient({
        name: 'Meter reader',
        type: 'confidential',
        redirect_uris: [],
        grant_types: ['client_credentials'],
      })
      const machineConfig = await client.discovery(
        new URL(p.issuer),
        machine.client_id,
        undefined,
        client.ClientSecretPost(machine.client_secret as string),
        { execute: [client.allowInsecureRequests] },
      )
      const tokens = await client.clientCredentialsGrant(machineConfig)
      expect(tokens.token_type.toLowerCase()).toBe('bearer')
      expect(tokens.refresh_token).toBeUndefined()
      expect(tokens.id_token).toBeUndefined()
      const access = decodeJwt(tokens.access_token)
      expect(access).toMatchObject({ sub: machine.client_id, client_id: machine.client_id, iss: p.issuer })
      await jwtVerify(tokens.access_token, jwks(), { issuer: p.issuer })
      expect(await client.tokenIntrospection(machineConfig, tokens.access_token)).toMatchObject({
        active: true,
        client_id: machine.client_id,
      })

      // A wrong secret is 401 invalid_client (RFC 6749 §5.2).
      const wrong = await client.discovery(
        new URL(p.issuer),
        machine.client_id,
        undefined,
        client.ClientSecretPost('not-the-secret'),
        { execute: [client.allowInsecureRequests] },
      )
      const refused = await client.clientCredentialsGrant(wrong).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(client.ResponseBodyError)
      expect({
        status: (refused as client.ResponseBodyError).status,
        error: (refused as client.ResponseBodyError).error,
      }).toEqual({
        status: 401,
        error: 'invalid_client',
      })
    })
  })

  describe('attacks that need a browser or a real relying party', () => {
    it('a forged state: openid-client refuses the callback, and the code it carried is not spent', async () => {
      const person = await activePerson(p)
      const { context, page } = await newBrowserPage(browser)
      const checks = await authorize(page)
      await signInByPhone(p, page, person.phone)
      await allow(page)
      const back = await landedOn(page, redirectUri)

      // An attacker's link to the callback: the same code, another state.
      const forged = new URL(back)
      forged.searchParams.set('state', client.randomState())
      const refused = await client
        .authorizationCodeGrant(config, forged, {
          pkceCodeVerifier: checks.verifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
        })
        .catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(client.ClientError)
      expect(String((refused as Error).cause)).toMatch(/unexpected "state" response parameter value/)

      // Refused before any request: the real callback still redeems its code.
      const tokens = await client.authorizationCodeGrant(config, back, {
        pkceCodeVerifier: checks.verifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
      })
      expect(tokens.claims()?.sub).toBe(person.id)
      await context.close()
    })

    it('a form posted to a hosted page from another origin (login CSRF) is refused: no sign-in, no session cookie', async () => {
      const attacker = await activePerson(p)
      const { context, page } = await newBrowserPage(browser)
      // The victim's browser has been on the sign-in page (it holds the CSRF cookie), and the
      // attacker knows a valid sealed request (it can start an authorization itself).
      await authorize(page)
      await page.getByLabel('Mobile number').waitFor()
      const request = new URL(page.url()).searchParams.get('request') as string
      expect(request).toBeTruthy()
      const base = new URL(page.url())

      rp.pages.set(
        '/attack',
        `<!doctype html><html lang="en"><title>Win a prize</title><body>
<form id="f" method="post" action="${base.origin}${base.pathname}/password">
<input type="hidden" name="request" value="${request}">
<input type="hidden" name="csrf" value="forged">
<input type="hidden" name="phone" value="${attacker.phone}">
<input type="hidden" name="password" value="Tunis-Sol4r-2026">
<button>Claim</button></form></body></html>`,
      )
      await page.goto(`${rp.origin}/attack`)
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().startsWith(base.origin)),
        page.getByRole('button', { name: 'Claim' }).click(),
      ])
      expect(answer.status()).toBe(403)
      expect(answer.headers()['set-cookie'] ?? '').not.toMatch(/__Host-edge-auth=/)
      const cookies = await context.cookies(p.issuer)
      expect(cookies.map((c) => c.name)).not.toContain('__Host-edge-auth')
      expect(page.url().startsWith(redirectUri)).toBe(false)
      await context.close()
    })

    it('end_session never redirects to an unregistered post_logout_redirect_uri (no open redirect)', async () => {
      const person = await activePerson(p)
      const { context, page } = await newBrowserPage(browser)
      const checks = await authorize(page)
      await signInByPhone(p, page, person.phone)
      await allow(page)
      const tokens = await callback(page, checks)

      const evil = 'https://evil.example/phish'
      const visited: string[] = []
      await context.route('https://evil.example/**', (route) => {
        visited.push(route.request().url())
        return route.fulfill({ status: 200, body: 'phished' })
      })
      for (const params of [
        { id_token_hint: tokens.id_token as string, post_logout_redirect_uri: evil },
        { client_id: web.client_id, post_logout_redirect_uri: evil },
        { id_token_hint: tokens.id_token as string, post_logout_redirect_uri: `${signedOutUri}x` },
      ]) {
        const url = new URL(config.serverMetadata().end_session_endpoint as string)
        for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
        const opened = await page.goto(url.href)
        expect(new URL(page.url()).origin).toBe(p.issuer)
        const signOut = page.getByRole('button', { name: /sign out/i })
        if ((opened?.status() ?? 0) < 400 && (await signOut.count()) > 0) {
          await signOut.first().click()
          await page.waitForLoadState()
        }
        expect(new URL(page.url()).origin).toBe(p.issuer)
      }
      expect(visited).toEqual([])
      await context.close()
    })
  })
})
