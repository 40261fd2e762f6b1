import { env } from 'cloudflare:workers'
import {
  base64url,
  type CryptoKey,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
} from 'jose'

/** The issuer and audience the test Worker is configured with (vitest.config.ts). */
export const ISSUER = String(env.JWT_ISSUER)
export const AUDIENCE = String(env.JWT_AUDIENCE)

/** The private JWKs the Worker signs with (test-1 signs, test-2 is published for rotation). */
export function serverJwks(): JWK[] {
  return JSON.parse(env.JWT_PRIVATE_KEYS) as JWK[]
}

/** One of the Worker's own keys, by kid, as a private signing key and its public JWK. */
export async function serverKey(kid: string): Promise<{ privateKey: CryptoKey; publicJwk: JWK }> {
  const jwk = serverJwks().find((k) => k.kid === kid)
  if (!jwk) throw new Error(`no server key ${kid}`)
  const { d: _d, ...publicJwk } = jwk
  return { privateKey: (await importJWK(jwk, 'EdDSA')) as CryptoKey, publicJwk }
}

/** A fresh Ed25519 key pair an attacker might hold. */
export async function attackerKey(): Promise<{ privateKey: CryptoKey; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  return { privateKey, publicJwk: await exportJWK(publicKey) }
}

const encodeJson = (value: unknown) => base64url.encode(JSON.stringify(value))

/** A compact JWS assembled by hand: header and payload re-encoded, signature given verbatim. */
export function assemble(header: object, payload: object, signature: string): string {
  return `${encodeJson(header)}.${encodeJson(payload)}.${signature}`
}

/** The decoded parts of a compact token. */
export function parts(token: string) {
  const signature = token.split('.')[2] ?? ''
  return { header: decodeProtectedHeader(token), payload: decodeJwt(token), signature }
}

/**
 * Signs `payload` exactly as given (no claim is added) with `header` and `key`: lets a test
 * leave out or change one claim or header member at a time.
 */
export function signRaw(header: JWTHeaderParameters, payload: JWTPayload, key: CryptoKey | Uint8Array): Promise<string> {
  return new SignJWT(payload).setProtectedHeader(header).sign(key)
}

/** Claims like a real access token's, copied from one, with `iat`/`exp` fresh and overrides applied. */
export function claimsFrom(token: string, overrides: JWTPayload = {}): JWTPayload {
  const { payload } = parts(token)
  const iat = Math.floor(Date.now() / 1000)
  return { ...payload, iat, exp: iat + 900, ...overrides }
}

/** The header our Worker puts on access tokens. */
export const ACCESS_HEADER = { alg: 'EdDSA', typ: 'at+jwt', kid: 'test-1' } as const
