import type { OauthClientRow } from '../../storage/db/schema'
import type { ClientScope, ClientType, GrantType, IdTokenAlg } from './rules'

/** An OAuth client as the API shows it: never its secret or the secret's hash. */
export interface OauthClientView {
  client_id: string
  name: string
  type: ClientType
  pool: string
  redirect_uris: string[]
  post_logout_redirect_uris: string[]
  grant_types: GrantType[]
  scopes: ClientScope[]
  first_party: boolean
  id_token_signed_response_alg: IdTokenAlg
  user_id: string | null
  created_at: string
  updated_at: string
  secret_rotated_at: string | null
}

/** A JSON array of strings as stored in a text column ([] for anything else). */
export function stringList(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text)
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
  } catch {
    return []
  }
}

const iso = (ms: number) => new Date(ms).toISOString()

export function oauthClientView(row: OauthClientRow): OauthClientView {
  return {
    client_id: row.id,
    name: row.name,
    type: row.type,
    pool: row.pool,
    redirect_uris: stringList(row.redirectUris),
    post_logout_redirect_uris: stringList(row.postLogoutRedirectUris),
    grant_types: stringList(row.grantTypes) as GrantType[],
    scopes: row.scope.split(' ').filter(Boolean) as ClientScope[],
    first_party: row.firstParty,
    id_token_signed_response_alg: row.idTokenAlg as IdTokenAlg,
    user_id: row.userId,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    secret_rotated_at: row.secretRotatedAt === null ? null : iso(row.secretRotatedAt),
  }
}
