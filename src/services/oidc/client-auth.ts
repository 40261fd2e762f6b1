import { timingSafeEqual } from '../../crypto/compare'
import { utf8 } from '../../crypto/encoding'
import { sha256Hex } from '../../crypto/hash'
import type { Deps } from '../../deps'
import { OAuthError } from '../../errors'
import type { OauthClientRow } from '../../storage/db/schema'
import { BASIC_CHALLENGE, basicCredentials } from '../sign-in'
import { type Params, param } from './params'

/** A request that authenticates its client: the form and the Authorization header. */
export interface ClientRequest {
  form: Params
  authorization?: string | undefined
}

// A hash to compare against when the client is unknown or has no secret: the same work either way.
const NO_SECRET = '0'.repeat(64)

/**
 * Client authentication of the token, revocation and introspection endpoints (RFC 6749 §2.3,
 * SPEC §15): `client_secret_basic`, `client_secret_post`, or `none` for a public client (its
 * `client_id` alone). The client must be this pool's. A wrong, missing or unknown client is 401
 * `invalid_client`, with `WWW-Authenticate: Basic` when it came in an Authorization header.
 */
export async function authenticateClient(deps: Deps, req: ClientRequest): Promise<OauthClientRow> {
  const { form } = req
  const [scheme = '', ...rest] = (req.authorization ?? '').trim().split(/ +/)
  const basic = scheme.toLowerCase() === 'basic'
  const formId = param(form, 'client_id', 256)
  const formSecret = param(form, 'client_secret', 512)
  if (param(form, 'client_assertion') !== undefined || param(form, 'client_assertion_type') !== undefined) {
    throw new OAuthError('invalid_client', 'Client assertions are not supported: use client_secret_basic or client_secret_post')
  }
  let id: string | undefined = formId
  let secret: string | undefined = formSecret
  if (basic) {
    if (rest.length !== 1 || !rest[0]) throw basicCredentials('!') // malformed: its own 401 with the Basic challenge
    if (formSecret !== undefined) throw new OAuthError('invalid_request', 'Use one client authentication method, not two')
    const credentials = basicCredentials(rest[0])
    if (formId !== undefined && formId !== credentials.id) {
      throw new OAuthError('invalid_request', 'client_id differs from the Basic credentials')
    }
    id = credentials.id
    secret = credentials.secret
  }
  const refused = (detail: string) => new OAuthError('invalid_client', detail, basic ? { challenge: BASIC_CHALLENGE } : {})
  if (id === undefined) throw refused('Client authentication failed: send client_id (and the secret of a confidential client)')
  const found = await deps.oauthClients.byId(id)
  const client = found && found.pool === deps.pool.id ? found : undefined
  if (secret !== undefined) {
    // Hashed and compared even for an unknown client: equal timing.
    const presented = utf8(await sha256Hex(secret))
    const stored = utf8(client?.secretHash ?? NO_SECRET)
    if (timingSafeEqual(presented, stored) && client?.type === 'confidential' && client.secretHash) return client
    throw refused('Client authentication failed')
  }
  if (client?.type === 'public') return client
  throw refused('Client authentication failed')
}
