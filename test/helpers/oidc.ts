import { env } from 'cloudflare:workers'
import { createLocalJWKSet, type JWTVerifyResult, jwtVerify } from 'jose'
import { expect } from 'vitest'
import { call, json } from './app'
import { newEmail, newPhone, PASSWORD } from './factories'
import type { Outbox } from './outbox'

/** The OpenID provider's issuer in tests: vitest.config.ts's JWT_ISSUER, made this Worker's origin by PUBLIC_URL. */
export const ISSUER = 'https://auth.test'
export const REDIRECT = 'https://app.example.com/callback'
export const LOGOUT_REDIRECT = 'https://app.example.com/signed-out'

async function privateJwk(kid: string, algorithm: Parameters<typeof crypto.subtle.generateKey>[0], alg: string) {
  const pair = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair
  return { ...((await crypto.subtle.exportKey('jwk', pair.privateKey)) as JsonWebKey), kid, alg }
}

const RSA = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
/** Ed25519 first (it signs access tokens), then RSA (ID tokens' default) and P-256. */
const KEYS = [
  await privateJwk('oidc-ed', { name: 'Ed25519' }, 'EdDSA'),
  await privateJwk('oidc-rsa', RSA, 'RS256'),
  await privateJwk('oidc-p256', { name: 'ECDSA', namedCurve: 'P-256' }, 'ES256'),
]

/** Vars under which the provider is on: PUBLIC_URL at JWT_ISSUER's origin, and an RSA key. */
export const OIDC: Record<string, string> = { PUBLIC_URL: ISSUER, JWT_PRIVATE_KEYS: JSON.stringify(KEYS) }

export interface ClientOptions {
  type?: 'public' | 'confidential'
  pool?: string
  redirectUris?: string[]
  postLogoutRedirectUris?: string[]
  grantTypes?: string[]
  scope?: string
  firstParty?: boolean
  idTokenAlg?: string
  userId?: string | null
}

let clients = 0
/** Registers an OAuth client row directly in D1 (the registry API is another part's): its id and secret. */
export async function createClient(o: ClientOptions = {}): Promise<{ id: string; secret: string | undefined }> {
  clients++
  const id = `client-${Date.now()}-${clients}`
  const type = o.type ?? 'confidential'
  const secret = type === 'confidential' ? `secret-${crypto.randomUUID()}` : undefined
  const hash = secret
    ? [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret)))]
        .map((b) => b.toString(16).padStart(2, '0'))
        .join('')
    : null
  const now = Date.now()
  await env.DB.prepare(
    `INSERT INTO oauth_clients (id, pool, name, type, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types, scope,
      first_party, id_token_alg, user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(
      id,
      o.pool ?? 'default',
      `App ${clients}`,
      type,
      hash,
      JSON.stringify(o.redirectUris ?? [REDIRECT]),
      JSON.stringify(o.postLogoutRedirectUris ?? [LOGOUT_REDIRECT]),
      JSON.stringify(o.grantTypes ?? ['authorization_code', 'refresh_token']),
      o.scope ?? 'openid profile email phone',
      o.firstParty === false ? 0 : 1,
      o.idTokenAlg ?? 'RS256',
      o.userId ?? null,
      now,
      now,
    )
    .run()
  return { id, secret }
}

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

/** A PKCE pair (RFC 7636, S256). */
export async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)))
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))))
  return { verifier, challenge }
}

/** The browser session cookie of a pool holding `refreshToken` (what the hosted pages set after a sign-in). */
export const cookieOf = (refreshToken: string, pool = 'default') =>
  `${pool === 'default' ? '__Host-edge-auth' : `__Host-edge-auth-${pool}`}=${refreshToken}`

/** A browser session: an account signed in through the JSON API, its refresh token as the cookie. */
export async function browserSession(box: Outbox, base = '/api/v1', vars = OIDC) {
  const phone = newPhone()
  const email = newEmail()
  const reg = await call('POST', `${base}/auth/register`, { json: { phone, email, password: PASSWORD, name: 'Amel' }, env: vars })
  expect(reg.status).toBe(201)
  const verified = await call('POST', `${base}/auth/verify`, { json: { phone, code: box.lastCode(phone) }, env: vars })
  expect(verified.status).toBe(200)
  const body = await json(verified)
  return {
    phone,
    email,
    userId: body.user.id as string,
    cookie: cookieOf(body.refresh_token, base === '/api/v1' ? 'default' : base.split('/')[4]),
  }
}

/** GET P/oauth2/authorize with `params` (a browser, with `cookie` when signed in); follows nothing. */
export function authorizeCall(params: Record<string, string>, cookie?: string, prefix = '') {
  return call('GET', `${prefix}/oauth2/authorize?${new URLSearchParams(params)}`, {
    env: OIDC,
    headers: cookie ? { cookie } : {},
  })
}

/** A complete, valid authorization request of `clientId`, with its PKCE verifier. */
export async function codeRequest(clientId: string, extra: Record<string, string> = {}) {
  const { verifier, challenge } = await pkce()
  const params = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: 'openid profile email phone',
    state: `state-${crypto.randomUUID()}`,
    nonce: `nonce-${crypto.randomUUID()}`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  }
  return { params, verifier }
}

/** The code of a 302 to the client's redirect URI (after checking state and RFC 9207 iss). */
export function codeOf(res: Response, state: string, iss = ISSUER): string {
  expect(res.status, `expected a redirect, got ${res.status}`).toBe(302)
  const url = new URL(res.headers.get('location') ?? '')
  expect(url.searchParams.get('state')).toBe(state)
  expect(url.searchParams.get('iss')).toBe(iss)
  const code = url.searchParams.get('code')
  if (!code) throw new Error(`no code in ${url}`)
  return code
}

/** POST P/oauth2/<endpoint> with a form (and HTTP Basic credentials when `basic` is given). */
export function oauthPost(
  endpoint: string,
  form: Record<string, string>,
  opts: { basic?: { id: string; secret: string }; prefix?: string; ip?: string } = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (opts.basic) headers.authorization = `Basic ${btoa(`${opts.basic.id}:${opts.basic.secret}`)}`
  return call('POST', `${opts.prefix ?? ''}/oauth2/${endpoint}`, {
    body: new URLSearchParams(form).toString(),
    headers,
    env: OIDC,
    ...(opts.ip ? { ip: opts.ip } : {}),
  })
}

/** A signed-in user's browser, a first-party confidential client, and a code ready for exchange. */
export async function signedInCode(box: Outbox, client?: { id: string; secret: string | undefined }) {
  const session = await browserSession(box)
  const app = client ?? (await createClient())
  const { params, verifier } = await codeRequest(app.id)
  const code = codeOf(await authorizeCall(params, session.cookie), params.state)
  return { session, client: app, params, verifier, code }
}

/** Exchanges a code at the token endpoint (client_secret_post, or none for a public client). */
export function exchange(i: { client: { id: string; secret: string | undefined }; code: string; verifier: string }, extra = {}) {
  return oauthPost('token', {
    grant_type: 'authorization_code',
    code: i.code,
    redirect_uri: REDIRECT,
    code_verifier: i.verifier,
    client_id: i.client.id,
    ...(i.client.secret ? { client_secret: i.client.secret } : {}),
    ...extra,
  })
}

/** Verifies a JWT with jose against the published JWKS (not our helpers). */
export async function verifyWithJwks(token: string, opts: Parameters<typeof jwtVerify>[2] = {}): Promise<JWTVerifyResult> {
  const jwks = await json(await call('GET', '/.well-known/jwks.json', { env: OIDC }))
  return jwtVerify(token, createLocalJWKSet(jwks), opts)
}

/** Asserts an RFC 6749 §5.2 error body and returns it. */
export async function expectOidcError(res: Response, status: number, error: string) {
  const body = await json(res)
  expect({ status: res.status, error: body.error }, JSON.stringify(body)).toEqual({ status, error })
  expect(res.headers.get('content-type')).toMatch(/^application\/json\b/)
  expect(typeof body.error_description).toBe('string')
  return body
}
