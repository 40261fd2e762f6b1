import { bytesToBase64Url, utf8 } from '../../crypto/encoding'
import type { IdTokenAlg } from '../../crypto/jwt'
import type { Deps } from '../../deps'
import type { UserRow } from '../../storage/db/schema'

const seconds = (ms: number) => Math.floor(ms / 1000)

/**
 * The claims of each granted scope (OpenID Connect Core §5.4), for ID tokens and userinfo:
 * profile (name, given_name, family_name, locale, updated_at), email (email, email_verified),
 * phone (phone_number, phone_number_verified). Absent values are left out, never null.
 */
export function scopeClaims(user: UserRow, scope: string): Record<string, unknown> {
  const granted = new Set(scope.split(' '))
  const claims: Record<string, unknown> = {}
  if (granted.has('profile')) {
    const name = [user.name, user.surname].filter(Boolean).join(' ')
    if (name) claims.name = name
    if (user.name) claims.given_name = user.name
    if (user.surname) claims.family_name = user.surname
    if (user.locale) claims.locale = user.locale
    claims.updated_at = seconds(user.updatedAt)
  }
  if (granted.has('email') && user.email) {
    claims.email = user.email
    claims.email_verified = user.emailVerified
  }
  if (granted.has('phone') && user.phone) {
    claims.phone_number = user.phone
    claims.phone_number_verified = user.phoneVerified
  }
  return claims
}

/**
 * `acr` (documented in the README): "2" when the sign-in passed two factors (`amr` has `mfa`),
 * "1" otherwise.
 */
export const acrOf = (amr: string[]) => (amr.includes('mfa') ? '2' : '1')

/** OpenID Connect Core §3.1.3.6 `at_hash`: the left half of the access token's hash (SHA-256 for RS256 and ES256). */
async function atHash(accessToken: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(accessToken)))
  return bytesToBase64Url(digest.slice(0, 16))
}

/** What an ID token is about: the user, the client, the sign-in, and the access token issued with it. */
export interface IdTokenInput {
  user: UserRow
  clientId: string
  alg: IdTokenAlg
  scope: string
  nonce: string | null
  /** Unix ms of the sign-in, and its RFC 8176 methods. */
  authTime: number
  amr: string[]
  /** The browser (IdP) session the sign-in is: OpenID's `sid`. */
  sid: string
  accessToken: string
}

/** An ID token (SPEC §15): RS256 unless the client chose EdDSA or ES256, lifetime ACCESS_TOKEN_EXPIRE_MINUTES. */
export async function idToken(deps: Deps, i: IdTokenInput): Promise<string> {
  const keyring = await deps.keyring()
  const iat = seconds(deps.now())
  const claims: Record<string, unknown> = {
    iss: deps.config.JWT_ISSUER,
    sub: i.user.id,
    aud: i.clientId,
    azp: i.clientId,
    iat,
    exp: iat + deps.config.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
    auth_time: seconds(i.authTime),
    amr: i.amr,
    acr: acrOf(i.amr),
    sid: i.sid,
    ...(i.nonce !== null ? { nonce: i.nonce } : {}),
    ...scopeClaims(i.user, i.scope),
  }
  // at_hash for the SHA-256 algorithms; EdDSA's hash for it is not settled (left out: it is optional for code flow).
  const hashed = keyring.idTokenAlgs.includes(i.alg) ? i.alg : null
  if (hashed === 'RS256' || hashed === 'ES256') claims.at_hash = await atHash(i.accessToken)
  return (await keyring.signIdToken(claims, i.alg)).token
}
