import { z } from 'zod'
import { utf8 } from '../../crypto/encoding'
import { seal, unseal } from '../../crypto/secret-box'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { MINUTE_MS } from '../../time'

/**
 * A validated `/oauth2/authorize` request (SPEC §15), carried through the hosted pages as one
 * opaque `request` parameter: sealed (AES-GCM, the pool as associated data), so no page can change
 * the client, redirect URI, scopes or PKCE challenge it was validated with, and no D1 or KV write
 * happens before someone signs in. It dies after `REQUEST_TTL_MS`.
 */
const AuthorizationRequest = z.object({
  clientId: z.string(),
  redirectUri: z.string(),
  /** Space-separated, a subset of the client's. */
  scope: z.string(),
  state: z.string().optional(),
  nonce: z.string().optional(),
  codeChallenge: z.string(),
  prompt: z.enum(['none', 'login', 'consent']).optional(),
  /** `prompt` named `consent` (alone or with `login`): only a consent given after `iat` will do. */
  reconsent: z.boolean().optional(),
  /** Seconds (OpenID Connect `max_age`). */
  maxAge: z.number().int().nonnegative().optional(),
  loginHint: z.string().optional(),
  uiLocales: z.string().optional(),
  /** Unix ms when the request was validated: with `prompt=login`, a sign-in must come after it. */
  iat: z.number(),
})
export type AuthorizationRequest = z.infer<typeof AuthorizationRequest>

export const REQUEST_TTL_MS = 30 * MINUTE_MS

const PURPOSE = 'oauth2 authorization request'

const scopeOf = (deps: Deps) => ({ pepper: deps.config.OTP_PEPPER, purpose: PURPOSE, owner: deps.pool.id })

/** The `request` parameter for a validated authorization request. */
export function sealRequest(deps: Deps, request: AuthorizationRequest): Promise<string> {
  return seal(scopeOf(deps), utf8(JSON.stringify(request)))
}

/** The authorization request a `request` parameter carries; 400 `invalid_request` if forged, of another pool, or expired. */
export async function openRequest(deps: Deps, sealed: string | undefined): Promise<AuthorizationRequest> {
  const refused = () =>
    new AppError('validation_error', 'This sign-in request is invalid or has expired: start again from the app')
  // The longest request authorize accepts (a 2,000-character redirect URI, state, nonce, hints) seals to about 6 KB.
  if (!sealed || sealed.length > 8192) throw refused()
  let parsed: z.ZodSafeParseResult<AuthorizationRequest>
  try {
    parsed = AuthorizationRequest.safeParse(JSON.parse(new TextDecoder().decode(await unseal(scopeOf(deps), sealed))))
  } catch {
    throw refused()
  }
  if (!parsed.success || parsed.data.iat + REQUEST_TTL_MS < deps.now()) throw refused()
  return parsed.data
}
