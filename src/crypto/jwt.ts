import { type CryptoKey, compactVerify, importJWK, type JWK, type JWTPayload, jwtVerify, SignJWT } from 'jose'
import { z } from 'zod'
import type { Config } from '../config'
import { lru } from '../lib/lru'
import { utf8 } from './encoding'

export const ACCESS_TOKEN_TYPE = 'at+jwt'

/**
 * The `client_id` (RFC 9068) of access tokens of the JSON API's own sessions (no OAuth client):
 * RFC 9068 validators (oauth4webapi's validateJwtAccessToken) require one. No registered client
 * has it (registry ids are random).
 */
export const API_CLIENT_ID = 'edge-auth-api'

/** The algorithms an ID token may be signed with (SPEC §15): RS256 by default, EdDSA or ES256 per client. */
export const ID_TOKEN_ALGS = ['RS256', 'EdDSA', 'ES256'] as const
export type IdTokenAlg = (typeof ID_TOKEN_ALGS)[number]

/** The claims of an access token (SPEC §6.3) beyond iss/aud/iat/exp. */
export interface AccessClaims {
  sub: string
  sid: string
  jti: string
  role: string
  perms: string[]
  /** RFC 8176 authentication methods of the sign-in (SPEC §14); absent from sessions opened before them. */
  amr?: string[] | undefined
  /** When the holder authenticated (Unix seconds, OpenID Connect's `auth_time`), kept across refreshes. */
  auth_time?: number | undefined
  /** The OAuth client the session was issued to (RFC 9068); API_CLIENT_ID when absent. */
  client_id?: string | undefined
  /** Space-separated scopes granted to that client (OAuth sessions only). */
  scope?: string | undefined
  /** The audience, when not JWT_AUDIENCE: a third-party client's tokens are for userinfo only (thirdPartyAudience). */
  aud?: string | undefined
}

/**
 * The audience of access tokens issued to third-party OAuth clients (SPEC §15): the userinfo
 * endpoint only. The JSON API, and every service that pins JWT_AUDIENCE, refuses them: a user who
 * let an app read their profile has not given it their account (their sessions, second factors,
 * staff powers).
 */
export function thirdPartyAudience(config: Pick<Config, 'JWT_ISSUER'>): string {
  return `${config.JWT_ISSUER}/oauth2/userinfo`
}

export interface VerifiedAccess extends AccessClaims {
  iat: number
  exp: number
}

interface KeyPair {
  kid: string | undefined
  alg: 'EdDSA' | 'ES256' | 'RS256' | 'HS256'
  signKey: CryptoKey | Uint8Array
  verifyKey: CryptoKey | Uint8Array
}

export interface Keyring {
  sign(claims: AccessClaims, now: number): Promise<string>
  /**
   * Resolves the verified claims, or null for any token we did not issue unchanged and in time, or
   * issued for another audience than one of `audiences` (default: JWT_AUDIENCE alone).
   */
  verify(token: string, now: number, audiences?: readonly string[]): Promise<VerifiedAccess | null>
  /** An ID token (OpenID Connect) of `claims`, signed with a key of `alg` (else the access tokens' key): the token and its algorithm. */
  signIdToken(claims: JWTPayload, alg: IdTokenAlg): Promise<{ token: string; alg: string }>
  /** The ID token algorithms this keyring can sign with (discovery's id_token_signing_alg_values_supported). */
  idTokenAlgs: IdTokenAlg[]
  /**
   * The claims of an ID token we issued (RP-initiated logout's `id_token_hint`): signature by one of
   * our keys and issuer checked, expiry not (OpenID RP-Initiated Logout §2: an expired hint is fine).
   */
  readIdTokenHint(token: string): Promise<JWTPayload | null>
  /** The public JWK set: no private member ever. */
  jwks: { keys: JWK[] }
}

const CurveJwk = z.looseObject({
  kid: z.string().min(1).max(128),
  kty: z.enum(['OKP', 'EC']),
  crv: z.enum(['Ed25519', 'P-256']),
  x: z.string(),
  y: z.string().optional(),
  d: z.string(),
})
/** An RSA private key (RS256, for ID tokens: OpenID Connect's mandatory algorithm), 2048 bits at least. */
const RsaJwk = z.looseObject({
  kid: z.string().min(1).max(128),
  kty: z.literal('RSA'),
  alg: z.literal('RS256').optional(),
  n: z.string().min(342, 'RSA keys must have 2048 bits at least'),
  e: z.string(),
  d: z.string(),
  p: z.string(),
  q: z.string(),
  dp: z.string(),
  dq: z.string(),
  qi: z.string(),
})
const PrivateJwk = z.union([CurveJwk, RsaJwk])
const PrivateJwks = z.array(PrivateJwk).min(1)

/** Verified tokens one isolate remembers (about 1 KB each); the least recently used are forgotten first. */
export const VERIFIED_TOKENS = 2000

const Claims = z.object({
  sub: z.string(),
  sid: z.string(),
  jti: z.string(),
  role: z.string(),
  perms: z.array(z.string()),
  amr: z.array(z.string()).optional(),
  auth_time: z.number().optional(),
  client_id: z.string().optional(),
  scope: z.string().optional(),
  aud: z.string(),
  /** Absent from tokens issued before pools existed: those are `default`'s. */
  pool: z.string().optional(),
  iat: z.number(),
  exp: z.number(),
})

async function importKeys(config: Config): Promise<KeyPair[]> {
  if (config.JWT_PRIVATE_KEYS) {
    const jwks = PrivateJwks.parse(JSON.parse(config.JWT_PRIVATE_KEYS))
    return Promise.all(
      jwks.map(async (jwk) => {
        const pub = publicJwk(jwk)
        const alg = pub.alg as 'EdDSA' | 'ES256' | 'RS256'
        const [signKey, verifyKey] = await Promise.all([importJWK({ ...jwk, alg }, alg), importJWK(pub, alg)])
        return { kid: jwk.kid, alg, signKey: signKey as CryptoKey, verifyKey: verifyKey as CryptoKey }
      }),
    )
  }
  const secret = utf8(config.JWT_SECRET_KEY ?? '')
  return [{ kid: undefined, alg: 'HS256', signKey: secret, verifyKey: secret }]
}

function publicJwk(jwk: z.infer<typeof PrivateJwk>): JWK {
  if (jwk.kty === 'RSA') return { kty: 'RSA', n: jwk.n, e: jwk.e, kid: jwk.kid, alg: 'RS256', use: 'sig' }
  const { kty, crv, x, y, kid } = jwk
  return { kty, crv, x, ...(y ? { y } : {}), kid, alg: crv === 'Ed25519' ? 'EdDSA' : 'ES256', use: 'sig' }
}

const headerOf = (key: KeyPair, typ: string) => ({ alg: key.alg, typ, ...(key.kid ? { kid: key.kid } : {}) })

async function buildKeyring(config: Config, pool: string): Promise<Keyring> {
  const keys = await importKeys(config)
  // Access tokens keep the first Ed25519/P-256 key (small, fast); RSA signs them only when it is the only kind.
  const signer = (keys.find((k) => k.alg !== 'RS256') ?? keys[0]) as KeyPair
  const idTokenAlgs = ID_TOKEN_ALGS.filter((alg) => keys.some((k) => k.alg === alg))
  const byKid = new Map(keys.map((k) => [k.kid, k]))
  const algorithms = [...new Set(keys.map((k) => k.alg))]
  const ttl = config.ACCESS_TOKEN_EXPIRE_MINUTES * 60
  const jwks = config.JWT_PRIVATE_KEYS ? PrivateJwks.parse(JSON.parse(config.JWT_PRIVATE_KEYS)).map(publicJwk) : []
  // Tokens whose signature and claims this isolate checked, least recently used first: a client sends the
  // same access token with every call, and the signature check is most of an authenticated GET.
  const verified = lru<string, VerifiedAccess>({ max: VERIFIED_TOKENS })

  const keyFor = (header: { kid?: string | undefined; alg?: string | undefined }) => {
    const key = byKid.get(header.kid)
    if (!key || key.alg !== header.alg) throw new Error('unknown key')
    return key.verifyKey
  }

  return {
    jwks: { keys: jwks },
    idTokenAlgs,
    async signIdToken(claims, alg) {
      const key = keys.find((k) => k.alg === alg) ?? signer
      const token = await new SignJWT(claims).setProtectedHeader(headerOf(key, 'JWT')).sign(key.signKey)
      return { token, alg: key.alg }
    },
    async readIdTokenHint(token) {
      try {
        // Only our own keys, looked up by kid; jku/jwk/x5u headers are never followed.
        const { payload } = await compactVerify(token, keyFor, { algorithms })
        const claims = JSON.parse(new TextDecoder().decode(payload)) as JWTPayload
        return claims.iss === config.JWT_ISSUER ? claims : null
      } catch {
        return null
      }
    },
    async sign(claims, now) {
      const iat = Math.floor(now / 1000)
      const { amr, auth_time, scope } = claims
      return new SignJWT({
        sid: claims.sid,
        role: claims.role,
        perms: claims.perms,
        pool,
        client_id: claims.client_id ?? API_CLIENT_ID,
        ...(scope !== undefined ? { scope } : {}),
        ...(amr ? { amr } : {}),
        ...(auth_time !== undefined ? { auth_time } : {}),
      })
        .setProtectedHeader(headerOf(signer, ACCESS_TOKEN_TYPE))
        .setIssuer(config.JWT_ISSUER)
        .setAudience(claims.aud ?? config.JWT_AUDIENCE)
        .setSubject(claims.sub)
        .setJti(claims.jti)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttl)
        .sign(signer.signKey)
    },
    async verify(token, now, audiences = [config.JWT_AUDIENCE]) {
      // A token string verified before is the same bytes: only its lifetime can have changed (and
      // the audiences this caller accepts).
      const known = verified.get(token) // now the most recently used
      if (known) {
        if (!audiences.includes(known.aud ?? '')) return null
        if (known.exp > Math.floor(now / 1000)) return known
        verified.delete(token)
        return null
      }
      try {
        const { payload } = await jwtVerify(
          token,
          // Only our own keys, looked up by kid; jku/jwk/x5u headers are never followed.
          keyFor,
          {
            algorithms, // pinned: never `none`, never HS256 where we sign with a public-key algorithm
            issuer: config.JWT_ISSUER,
            audience: [...audiences],
            typ: ACCESS_TOKEN_TYPE,
            requiredClaims: ['exp', 'iat', 'sub', 'jti'],
            currentDate: new Date(now),
          },
        )
        const claims = Claims.safeParse(payload)
        if (!claims.success || (claims.data.pool ?? 'default') !== pool) return null
        verified.set(token, Object.freeze(claims.data))
        return claims.data
      } catch {
        return null
      }
    },
  }
}

const keyrings = new WeakMap<Config, Promise<Keyring>>()

/**
 * Keys are imported once per isolate (per parsed config: a pool's config is its own, with its
 * issuer, SPEC §12). Tokens carry `pool` and verify only against their pool's issuer.
 */
export function loadKeyring(config: Config, pool = 'default'): Promise<Keyring> {
  let ring = keyrings.get(config)
  if (!ring) {
    ring = buildKeyring(config, pool)
    ring.catch(() => keyrings.delete(config))
    keyrings.set(config, ring)
  }
  return ring
}
