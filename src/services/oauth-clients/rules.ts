/**
 * What an OAuth client may be registered with (SPEC §15): the closed lists, the redirect URI
 * rules, and the rules between fields, which apply to a new client and to one after a PATCH alike.
 */

export const CLIENT_TYPES = ['public', 'confidential'] as const
export type ClientType = (typeof CLIENT_TYPES)[number]

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const
export type GrantType = (typeof GRANT_TYPES)[number]

/** The scopes a client may ask for: OpenID Connect's standard ones and `offline_access`. */
export const CLIENT_SCOPES = ['openid', 'profile', 'email', 'phone', 'offline_access'] as const
export type ClientScope = (typeof CLIENT_SCOPES)[number]

export const ID_TOKEN_ALGS = ['RS256', 'EdDSA', 'ES256'] as const
export type IdTokenAlg = (typeof ID_TOKEN_ALGS)[number]

export const DEFAULT_GRANT_TYPES: GrantType[] = ['authorization_code', 'refresh_token']
export const DEFAULT_SCOPES: ClientScope[] = ['openid', 'profile', 'email', 'phone']

export const MAX_REDIRECT_URIS = 20
export const MAX_REDIRECT_URI_LENGTH = 2000

/** RFC 8252 §7.3: loopback redirects may use plain http (any port). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])
/** RFC 8252 §7.1: a private-use scheme is a reverse domain name (`com.example.app`), so it has a dot. */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const SPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f-\u009f]/

/** The scheme of a redirect URI as registered, lower-cased (`https`, `com.example.app`). */
function schemeOf(uri: string): string {
  return uri.slice(0, Math.max(0, uri.indexOf(':'))).toLowerCase()
}

/** Whether `uri` uses a private-use scheme (a native app's redirect, RFC 8252 §7.1). */
export function isPrivateUse(uri: string): boolean {
  return PRIVATE_USE_SCHEME.test(schemeOf(uri))
}

/**
 * Why `uri` cannot be a redirect URI whatever the client, or null. Redirects are matched as exact
 * strings, so anything that would make a match ambiguous or widen it is refused: wildcards,
 * fragments (RFC 6749 §3.1.2), spaces; `http` only to the loopback interface; credentials in it.
 */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `Must be at most ${MAX_REDIRECT_URI_LENGTH} characters`
  if (SPACE_OR_CONTROL.test(uri)) return 'Must not contain spaces or control characters'
  if (uri.includes('*')) return 'Wildcards are not allowed: register each redirect URI exactly'
  if (uri.includes('#')) return 'Must not have a fragment (#)'
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return 'Must be an absolute URI'
  }
  if (url.username || url.password) return 'Must not carry a user name or password'
  const scheme = schemeOf(uri)
  if (scheme === 'https' || scheme === 'http') {
    if (!uri.slice(scheme.length).startsWith('://') || !url.hostname) return `Must be ${scheme}://host/…`
    if (scheme === 'https' || LOOPBACK_HOSTS.has(url.hostname)) return null
    return 'http is allowed only for localhost, 127.0.0.1 and [::1]: use https'
  }
  if (isPrivateUse(uri)) return null
  return 'Use https, http to a loopback address, or a private-use scheme such as com.example.app:/callback'
}

/** A client as the rules between fields see it: the new one, or an existing one with a PATCH applied. */
export interface ClientDefinition {
  type: ClientType
  redirectUris: string[]
  postLogoutRedirectUris: string[]
  grantTypes: GrantType[]
  userId: string | null
}

/**
 * The rules between fields, as `field -> message` (empty: the definition holds): private-use
 * schemes only for public clients (a native app cannot keep a secret, and a confidential client
 * has a server to redirect to), `client_credentials` and `user_id` only for confidential clients,
 * `refresh_token` only with `authorization_code`, and a redirect URI wherever a code is issued.
 */
export function definitionProblems(def: ClientDefinition): Record<string, string> {
  const problems: Record<string, string> = {}
  const grants = new Set(def.grantTypes)
  for (const [field, uris] of [
    ['redirect_uris', def.redirectUris],
    ['post_logout_redirect_uris', def.postLogoutRedirectUris],
  ] as const) {
    const at = uris.findIndex((uri) => def.type === 'confidential' && isPrivateUse(uri))
    if (at >= 0) problems[`${field}.${at}`] = 'Private-use schemes are for public clients (native apps) only'
  }
  if (grants.has('authorization_code') && def.redirectUris.length === 0) {
    problems.redirect_uris = 'The authorization_code grant needs at least one redirect URI'
  }
  if (grants.has('client_credentials') && def.type !== 'confidential') {
    problems.grant_types = 'client_credentials is for confidential clients only'
  } else if (grants.has('refresh_token') && !grants.has('authorization_code')) {
    problems.grant_types = 'refresh_token needs authorization_code'
  }
  if (def.userId !== null && (def.type !== 'confidential' || !grants.has('client_credentials'))) {
    problems.user_id = 'Only a confidential client with the client_credentials grant acts as a staff account'
  }
  return problems
}
