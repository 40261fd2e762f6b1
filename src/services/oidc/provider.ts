import type { Config } from '../../config'
import { ID_TOKEN_ALGS } from '../../crypto/jwt'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { OauthClientRow } from '../../storage/db/schema'

/** The scopes edge-auth knows (SPEC §15); a client may ask for those it was registered with. */
export const SCOPES = ['openid', 'profile', 'email', 'phone'] as const

/** The claims of each scope (OpenID Connect Core §5.4), as ID tokens and userinfo give them. */
export const SCOPE_CLAIMS = {
  profile: ['name', 'family_name', 'locale', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
} as const

/** The route prefix of a pool's provider: '' for `default`, `/pools/<id>` for the others (SPEC §12). */
export const poolPrefix = (pool: string) => (pool === 'default' ? '' : `/pools/${pool}`)

/**
 * Where the provider answers, or null when it is off. It is on only when `JWT_ISSUER` is an
 * http(s) URL at PUBLIC_URL's origin with no path (a pool's: `/pools/<id>`), so its discovery
 * document is served at `JWT_ISSUER/.well-known/openid-configuration` by this Worker, and when the
 * tokens are signed with public keys (`JWT_PRIVATE_KEYS`; HS256 ID tokens nobody else could verify).
 */
export function providerBase(config: Config, pool: string): string | null {
  if (!config.JWT_PRIVATE_KEYS) return null
  let issuer: URL
  let origin: string
  try {
    issuer = new URL(config.JWT_ISSUER)
    origin = new URL(config.PUBLIC_URL).origin
  } catch {
    return null
  }
  if (issuer.protocol !== 'https:' && issuer.protocol !== 'http:') return null
  const base = `${origin}${poolPrefix(pool)}`
  return config.JWT_ISSUER.replace(/\/$/, '') === base ? base : null
}

/** The provider's base URL for this request's pool; 404 when the provider is off. */
export function requireProvider(deps: Deps): string {
  const base = providerBase(deps.config, deps.pool.id)
  // A 404 like an unknown route: an RFC 6749 error at /oauth2/…, problem+json at discovery (render-error.ts).
  if (!base) throw new AppError('not_found', 'The OpenID provider is not enabled on this deployment')
  return base
}

/** A JSON array of strings kept in a column (redirect URIs, grant types); a broken value is an empty list. */
export function listOf(column: string | null): string[] {
  try {
    const parsed: unknown = JSON.parse(column ?? '[]')
    return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === 'string') : []
  } catch {
    return []
  }
}

export const grantsOf = (client: OauthClientRow) => listOf(client.grantTypes)
export const scopesOf = (client: OauthClientRow) => client.scope.split(' ').filter(Boolean)

/** The discovery document (OpenID Connect Discovery 1.0, RFC 8414) of this request's pool. */
export async function providerMetadata(deps: Deps) {
  const base = requireProvider(deps)
  const origin = new URL(base).origin
  const keyring = await deps.keyring()
  const at = (path: string) => `${base}/oauth2/${path}`
  const authMethods = ['client_secret_basic', 'client_secret_post', 'none']
  return {
    issuer: deps.config.JWT_ISSUER,
    authorization_endpoint: at('authorize'),
    token_endpoint: at('token'),
    userinfo_endpoint: at('userinfo'),
    jwks_uri: `${origin}/.well-known/jwks.json`,
    end_session_endpoint: at('end_session'),
    revocation_endpoint: at('revoke'),
    introspection_endpoint: at('introspect'),
    scopes_supported: [...SCOPES],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: keyring.idTokenAlgs.length > 0 ? keyring.idTokenAlgs : [...ID_TOKEN_ALGS],
    token_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_methods_supported: authMethods,
    introspection_endpoint_auth_methods_supported: authMethods,
    code_challenge_methods_supported: ['S256'],
    claims_supported: [
      'iss',
      'sub',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'acr',
      'amr',
      'sid',
      ...Object.values(SCOPE_CLAIMS).flat(),
    ],
    acr_values_supported: ['1', '2'],
    ui_locales_supported: [...deps.config.LOCALES],
    claims_locales_supported: [...deps.config.LOCALES],
    prompt_values_supported: ['none', 'login', 'consent'],
    authorization_response_iss_parameter_supported: true,
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    require_request_uri_registration: false,
  }
}
