import type { Deps } from '../../deps'
import { AppError, OAuthError } from '../../errors'
import { limitIpRequests } from '../limits'
import { PASSWORD_MAX_LENGTH } from '../passwords'
import type { ClientInfo, TokenResponse } from '../sessions'
import { refreshSession } from '../sessions'
import { authenticateClient, type Form } from './client-auth'
import { loginWithPassword } from './password'

export interface OAuthTokenResponse {
  access_token: string
  token_type: 'bearer'
  expires_in: number
  refresh_token: string
}

/** A request to the token endpoint: its parsed form and its Authorization header. */
export interface TokenRequest {
  form: Form
  authorization?: string | undefined
}

function field(form: Form, name: string): string {
  const value = form[name]
  // RFC 6749 §3.2: a parameter must not be repeated; taking either copy would be a guess.
  if (Array.isArray(value)) throw new OAuthError('invalid_request', `Repeated parameter: ${name}`)
  if (typeof value !== 'string' || value === '') throw new OAuthError('invalid_request', `Missing parameter: ${name}`)
  return value
}

/** SPEC §4: a password over PASSWORD_MAX_LENGTH characters is refused before any hashing. */
function passwordOf(form: Form): string {
  const password = field(form, 'password')
  if ([...password].length > PASSWORD_MAX_LENGTH) {
    throw new OAuthError('invalid_request', `password must be at most ${PASSWORD_MAX_LENGTH} characters`)
  }
  return password
}

/** Identifiers of the password grant: a phone, an email or a username (RFC 6749 §4.3 `username`). */
function identifierOf(username: string) {
  if (username.includes('@')) return { email: username }
  if (/^[+0-9 ()-]+$/.test(username)) return { phone: username }
  return { username }
}

// Refusals of a grant are `invalid_grant` whatever the reason; limits and outages keep their own status.
const GRANT_REFUSALS = new Set([
  'invalid_credentials',
  'unverified_account',
  'account_disabled',
  'email_not_verified',
  'invalid_token',
  'refresh_token_reused',
  'refresh_conflict',
  'validation_error',
])

/**
 * The grant asked for. Without `grant_type` (RFC 6749 §3.1: an empty parameter is an omitted
 * one), a form with `username` and `password` is the password grant (SPEC §13: FastAPI's
 * OAuth2PasswordRequestForm clients, seed 001, send none); anything else without it stays
 * RFC 6749's `invalid_request`.
 */
function grantTypeOf(form: Form): string {
  if (form.grant_type !== undefined && form.grant_type !== '') return field(form, 'grant_type')
  if (form.username !== undefined && form.password !== undefined) return 'password'
  throw new OAuthError('invalid_request', 'Missing parameter: grant_type')
}

/**
 * The OAuth 2.0 token endpoint (RFC 6749 §4.3 password grant, §6 refresh): the same rules as
 * `/login` and `/refresh`, with RFC 6749 error bodies; public clients only (client-auth.ts).
 */
export async function oauthToken(deps: Deps, request: TokenRequest, client: ClientInfo): Promise<OAuthTokenResponse> {
  const { form } = request
  authenticateClient(form, request.authorization)
  const grantType = grantTypeOf(form)
  let result: TokenResponse
  try {
    if (grantType === 'password') {
      result = await loginWithPassword(deps, { ...identifierOf(field(form, 'username')), password: passwordOf(form) }, client)
    } else if (grantType === 'refresh_token') {
      // The password grant counts the login group's limit in its first round trip; this one here.
      await limitIpRequests(deps, 'login', client.ip)
      result = await refreshSession(deps, { refreshToken: field(form, 'refresh_token') }, client)
    } else {
      throw new OAuthError('unsupported_grant_type', 'Supported grant types: password, refresh_token')
    }
  } catch (err) {
    // SPEC §14: RFC 6749-shaped, with the mfa token of the second step (403, as /login answers).
    if (err instanceof AppError && err.code === 'mfa_required')
      throw new OAuthError('mfa_required', err.detail, { mfa: err.extra.mfa })
    if (err instanceof AppError && GRANT_REFUSALS.has(err.code)) throw new OAuthError('invalid_grant', err.detail)
    throw err
  }
  const { user: _user, ...tokens } = result
  return tokens
}
