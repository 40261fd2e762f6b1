import * as oauth from 'oauth4webapi'
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

// Issue 20, SPEC §15: a single-page app (a public client: PKCE, no secret) with oauth4webapi, and a
// native app's private-use scheme redirect (RFC 8252, what AppAuth registers), through the hosted
// pages in headless Chromium: discovery, authorize, the code exchange with the ID token validated
// by the library, the access token accepted by its RFC 9068 validator (client_id, typ at+jwt),
// userinfo, refresh, revocation and RP-initiated logout.

const SCOPE = 'openid profile email phone offline_access'
const NATIVE_REDIRECT = 'tn.example.household:/oauth2redirect'

let p: Provider
let rp: RelyingPartyServer
let browser: Browser
let as: oauth.AuthorizationServer
let spa: RegisteredClient
let spaClient: oauth.Client
let redirectUri: string
const insecure = { [oauth.allowInsecureRequests]: true }

describe.skipIf(skipWithoutBrowser)('the OpenID provider with oauth4webapi (a SPA, a native app)', () => {
  beforeAll(async () => {
    ;[p, rp, browser] = await Promise.all([startProvider(), startRelyingParty(), launchBrowser()])
    redirectUri = `${rp.origin}/app/callback`
    spa = await p.registerClient({
      name: 'Household app',
      type: 'public',
      redirect_uris: [redirectUri, NATIVE_REDIRECT],
      post_logout_redirect_uris: [`${rp.origin}/app/`],
      scopes: ['openid', 'profile', 'email', 'phone', 'offline_access'],
      first_party: true,
    })
    spaClient = { client_id: spa.client_id }
    const issuer = new URL(p.issuer)
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }))
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

  /** The authorization URL a SPA builds: response_type=code, PKCE S256, state and nonce. */
  async function authorizationUrl(redirect: string, extra: Record<string, string> = {}): Promise<{ url: URL; checks: Checks }> {
    const checks = {
      verifier: oauth.generateRandomCodeVerifier(),
      state: oauth.generateRandomState(),
      nonce: oauth.generateRandomNonce(),
    }
    const url = new URL(as.authorization_endpoint as string)
    const params = {
      client_id: spa.client_id,
      redirect_uri: redirect,
      response_type: 'code',
      scope: SCOPE,
      code_challenge: await oauth.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
      ...extra,
    }
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
    return { url, checks }
  }

  /** The code exchange of a public client (no secret), with the ID token validated by oauth4webapi. */
  async function exchange(back: URL, redirect: string, checks: Checks) {
    const params = oauth.validateAuthResponse(as, spaClient, back, checks.state)
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      spaClient,
      oauth.None(),
      params,
      redirect,
      checks.verifier,
      insecure,
    )
    return oauth.processAuthorizationCodeResponse(as, spaClient, res, { expectedNonce: checks.nonce, requireIdToken: true })
  }

  /** What an API behind the SPA does with its bearer token: RFC 9068 validation against the JWKS. */
  function validateAccessToken(token: string) {
    const request = new Request(`${p.issuer}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })
    return oauth.validateJwtAccessToken(as, request, 'edge-auth', insecure)
  }

  async function signIn(page: Page, phone: string) {
    const { url, checks } = await authorizationUrl(redirectUri)
    await page.goto(url.href)
    await signInByPhone(p, page, phone)
    return { back: await landedOn(page, redirectUri), checks }
  }

  /**
   * Everything the SPA does with one sign-in's tokens: the ID token (validated by the library), the
   * access token as RFC 9068 says, userinfo, introspection, refresh with rotation, revocation, and
   * RP-initiated logout, after which a silent authorization must sign in again.
   */
  async function useTokens(
    page: Page,
    person: Person,
    tokens: oauth.TokenEndpointResponse,
    checks: Checks,
    amr: (values: string[]) => void,
  ) {
    const claims = oauth.getValidatedIdTokenClaims(tokens)
    expect(claims).toMatchObject({ iss: p.issuer, aud: spa.client_id, sub: person.id, nonce: checks.nonce })
    amr(claims?.amr as string[])

    const access = await validateAccessToken(tokens.access_token)
    expect(access).toMatchObject({ sub: person.id, client_id: spa.client_id, iss: p.issuer })
    expect(String(access.scope).split(' ')).toContain('openid')

    const info = await oauth.processUserInfoResponse(
      as,
      spaClient,
      person.id,
      await oauth.userInfoRequest(as, spaClient, tokens.access_token, insecure),
    )
    expect(info).toMatchObject({ sub: person.id, phone_number: person.phone, email: person.email })

    // Introspection (RFC 7662): a public client may ask about its own tokens.
    const live = await oauth.processIntrospectionResponse(
      as,
      spaClient,
      await oauth.introspectionRequest(as, spaClient, oauth.None(), tokens.access_token, insecure),
    )
    expect(live).toMatchObject({ active: true, sub: person.id, client_id: spa.client_id })

    // Refresh (rotation): a new refresh token; the old one is spent.
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      spaClient,
      await oauth.refreshTokenGrantRequest(as, spaClient, oauth.None(), tokens.refresh_token as string, insecure),
    )
    expect(refreshed.refresh_token).toBeTypeOf('string')
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)
    expect(await validateAccessToken(refreshed.access_token)).toMatchObject({ sub: person.id, client_id: spa.client_id })

    // Revocation by a public client (RFC 7009 §2.1: the client_id identifies it), then the grant is refused.
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, spaClient, oauth.None(), refreshed.refresh_token as string, insecure),
    )
    const reused = await oauth
      .refreshTokenGrantRequest(as, spaClient, oauth.None(), refreshed.refresh_token as string, insecure)
      .then((res) => oauth.processRefreshTokenResponse(as, spaClient, res))
      .catch((e: unknown) => e)
    expect(reused).toBeInstanceOf(oauth.ResponseBodyError)
    expect((reused as oauth.ResponseBodyError).error).toBe('invalid_grant')
    const revoked = await oauth.processIntrospectionResponse(
      as,
      spaClient,
      await oauth.introspectionRequest(as, spaClient, oauth.None(), refreshed.refresh_token as string, insecure),
    )
    expect(revoked.active).toBe(false)

    // RP-initiated logout, back to the app with its state.
    const logout = new URL(as.end_session_endpoint as string)
    logout.searchParams.set('id_token_hint', tokens.id_token as string)
    logout.searchParams.set('post_logout_redirect_uri', `${rp.origin}/app/`)
    logout.searchParams.set('state', 'bye-1')
    await page.goto(logout.href)
    await page
      .getByRole('button', { name: /sign out/i })
      .first()
      .click()
    const home = await landedOn(page, `${rp.origin}/app/`)
    expect(home.searchParams.get('state')).toBe('bye-1')

    // The browser session is over: a silent authorization must sign in again.
    const silent = await authorizationUrl(redirectUri, { prompt: 'none' })
    await page.goto(silent.url.href)
    const answer = await landedOn(page, redirectUri)
    const error = (() => {
      try {
        oauth.validateAuthResponse(as, spaClient, answer, silent.checks.state)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(oauth.AuthorizationResponseError)
    expect((error as oauth.AuthorizationResponseError).error).toBe('login_required')
  }

  describe('oauth4webapi, a public client (SPA) through the hosted pages in Chromium', () => {
    it('phone + code; ID token, RFC 9068 access token, userinfo, introspection, refresh, revocation, RP-initiated logout', async () => {
      const person = await activePerson(p)
      const { context, page, problems } = await newBrowserPage(browser)
      // A first-party client: no consent page between the sign-in and the callback.
      const { back, checks } = await signIn(page, person.phone)
      const tokens = await exchange(back, redirectUri, checks)
      await useTokens(page, person, tokens, checks, (amr) => expect(amr).toEqual(expect.arrayContaining(['sms'])))
      expect(problems).toEqual([])
      await context.close()
    })

    it('password + TOTP (the MFA step), then the same', async () => {
      const person = await activePerson(p)
      const key = await enableTotp(p, person.access_token)
      const { context, page, problems } = await newBrowserPage(browser)
      const { url, checks } = await authorizationUrl(redirectUri)
      await page.goto(url.href)
      await signInWithPassword(page, person.phone)
      await answerTotp(page, totpCode(key))
      const tokens = await exchange(await landedOn(page, redirectUri), redirectUri, checks)
      await useTokens(page, person, tokens, checks, (amr) => expect(amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa'])))
      expect(problems).toEqual([])
      await context.close()
    })

    it('passkey (a virtual authenticator), then the same', async () => {
      const person = await activePerson(p)
      const { context, page, problems } = await newBrowserPage(browser)
      await enrolPasskey(p, page, person)
      const { url, checks } = await authorizationUrl(redirectUri)
      await page.goto(url.href)
      await signInWithPasskey(page)
      const tokens = await exchange(await landedOn(page, redirectUri), redirectUri, checks)
      await useTokens(page, person, tokens, checks, (amr) => expect(amr.some((v) => v === 'hwk' || v === 'swk')).toBe(true))
      expect(problems).toEqual([])
      await context.close()
    })

    it('a native app (AppAuth): the code comes back to its private-use scheme redirect URI and is redeemed with PKCE', async () => {
      const person = await activePerson(p)
      const { context, page } = await newBrowserPage(browser)
      const { url, checks } = await authorizationUrl(NATIVE_REDIRECT)
      await page.goto(url.href)
      // The browser cannot open the app: read the redirect the provider answered, as the OS hands it to the app.
      const handedOver = page.waitForResponse((r) => (r.headers().location ?? '').startsWith(NATIVE_REDIRECT))
      await signInByPhone(p, page, person.phone)
      const back = new URL((await handedOver).headers().location as string)
      expect(back.searchParams.get('state')).toBe(checks.state)
      const tokens = await exchange(back, NATIVE_REDIRECT, checks)
      expect(oauth.getValidatedIdTokenClaims(tokens)).toMatchObject({ sub: person.id, aud: spa.client_id })
      await context.close()
    })

    it('the code is bound to its PKCE verifier: another verifier is invalid_grant', async () => {
      const person = await activePerson(p)
      const { context, page } = await newBrowserPage(browser)
      const { back, checks } = await signIn(page, person.phone)
      const wrong = await exchange(back, redirectUri, { ...checks, verifier: oauth.generateRandomCodeVerifier() }).catch(
        (e: unknown) => e,
      )
      expect(wrong).toBeInstanceOf(oauth.ResponseBodyError)
      expect((wrong as oauth.ResponseBodyError).error).toBe('invalid_grant')
      await context.close()
    })
  })
})
