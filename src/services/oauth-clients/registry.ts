import { sha256Hex } from '../../crypto/hash'
import { randomToken } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import { DEFAULT_POOL } from '../../pools'
import type { OauthClientRow } from '../../storage/db/schema'
import type { OauthClientChanges } from '../../storage/repos/oauth-clients'
import { audit } from '../audit'
import { type Actor, isAdmin } from '../iam'
import { page } from '../pagination'
import type { ClientInfo } from '../sessions'
import { type ClientScope, type ClientType, DEFAULT_GRANT_TYPES, DEFAULT_SCOPES, type GrantType, type IdTokenAlg } from './rules'
import { assertValid } from './validate'
import { type OauthClientView, oauthClientView, stringList } from './view'

/** At most this many access tokens of a deleted client are marked revoked at once; the others expire. */
const MAX_MARKED_SESSIONS = 500

const notFound = () => new AppError('not_found', 'No such OAuth client')
const adminsOnly = (actor: Actor) => {
  if (!isAdmin(actor.role)) throw new AppError('forbidden', 'Only admins manage OAuth clients')
}

/** A client to register, as POST /oauth-clients takes it (defaults applied where absent). */
export interface NewClientInput {
  name: string
  type: ClientType
  redirect_uris: string[]
  post_logout_redirect_uris?: string[] | undefined
  grant_types?: GrantType[] | undefined
  scopes?: ClientScope[] | undefined
  pool?: string | undefined
  first_party?: boolean | undefined
  id_token_signed_response_alg?: IdTokenAlg | undefined
  user_id?: string | null | undefined
}

/** What PATCH /oauth-clients/{client_id} may change; `type` and `pool` never change. */
export type ClientPatch = Partial<Omit<NewClientInput, 'type' | 'pool'>>

/** A new client with its secret, shown this once (confidential clients). */
export type CreatedClient = OauthClientView & { client_secret?: string }

const unique = <T>(values: T[]) => [...new Set(values)]
const stored = (values: string[]) => JSON.stringify(unique(values))

/** Registers a client (admin+); a confidential one gets a secret, returned this once and stored hashed. */
export async function createClient(
  deps: Deps,
  actor: Actor,
  { input, client }: { input: NewClientInput; client: ClientInfo },
): Promise<CreatedClient> {
  adminsOnly(actor)
  const def = {
    type: input.type,
    pool: input.pool ?? DEFAULT_POOL,
    redirectUris: unique(input.redirect_uris),
    postLogoutRedirectUris: unique(input.post_logout_redirect_uris ?? []),
    grantTypes: unique(input.grant_types ?? DEFAULT_GRANT_TYPES),
    userId: input.user_id ?? null,
  }
  await assertValid(deps, def, true)
  // 128 random bits: a client id names no one and cannot be guessed to probe the registry.
  const id = randomToken(16)
  const secret = def.type === 'confidential' ? randomToken(32) : undefined
  const now = deps.now()
  const row = await deps.oauthClients.insert({
    id,
    pool: def.pool,
    name: input.name,
    type: def.type,
    // Only the hash is stored: the secret itself is in this response and nowhere else.
    secretHash: secret === undefined ? null : await sha256Hex(secret),
    redirectUris: stored(def.redirectUris),
    postLogoutRedirectUris: stored(def.postLogoutRedirectUris),
    grantTypes: stored(def.grantTypes),
    scope: unique(input.scopes ?? DEFAULT_SCOPES).join(' '),
    firstParty: input.first_party ?? false,
    idTokenAlg: input.id_token_signed_response_alg ?? 'RS256',
    userId: def.userId,
    createdBy: actor.id,
    createdAt: now,
    updatedAt: now,
    secretRotatedAt: null,
  })
  const view = oauthClientView(row)
  audit(deps, {
    type: 'oauth_client_created',
    actorId: actor.id,
    pool: row.pool,
    ...client,
    detail: { client_id: id, type: view.type, grant_types: view.grant_types, scopes: view.scopes, first_party: view.first_party },
  })
  return secret === undefined ? view : { ...view, client_secret: secret }
}

export interface ClientQuery {
  pool?: string | undefined
  limit: number
  cursor?: string | undefined
}

/** Clients of every pool, or of one (an unknown pool: 404, as GET /users?pool=), by client_id. */
export async function listClients(deps: Deps, actor: Actor, q: ClientQuery) {
  adminsOnly(actor)
  if (q.pool !== undefined && !deps.pools().includes(q.pool)) throw new AppError('not_found', 'No such user pool')
  const rows = await deps.oauthClients.page({ pool: q.pool, limit: q.limit + 1, cursor: q.cursor })
  return page(rows, q.limit, { view: oauthClientView, keyOf: (r: OauthClientRow) => r.id })
}

async function existing(deps: Deps, id: string): Promise<OauthClientRow> {
  const row = await deps.oauthClients.byId(id)
  if (!row) throw notFound()
  return row
}

export async function getClient(deps: Deps, actor: Actor, id: string): Promise<OauthClientView> {
  adminsOnly(actor)
  return oauthClientView(await existing(deps, id))
}

/** A change to client `id`: the fields given in `patch` change (audited by name), the others stay. */
export interface ClientPatchRequest {
  id: string
  patch: ClientPatch
  client: ClientInfo
}

function changesOf(patch: ClientPatch, now: number): OauthClientChanges {
  const changes: OauthClientChanges = { updatedAt: now }
  if (patch.name !== undefined) changes.name = patch.name
  if (patch.redirect_uris !== undefined) changes.redirectUris = stored(patch.redirect_uris)
  if (patch.post_logout_redirect_uris !== undefined) changes.postLogoutRedirectUris = stored(patch.post_logout_redirect_uris)
  if (patch.grant_types !== undefined) changes.grantTypes = stored(patch.grant_types)
  if (patch.scopes !== undefined) changes.scope = unique(patch.scopes).join(' ')
  if (patch.first_party !== undefined) changes.firstParty = patch.first_party
  if (patch.id_token_signed_response_alg !== undefined) changes.idTokenAlg = patch.id_token_signed_response_alg
  if (patch.user_id !== undefined) changes.userId = patch.user_id
  return changes
}

/** Changes a client; the rules between fields hold for the client as it will be. */
export async function updateClient(
  deps: Deps,
  actor: Actor,
  { id, patch, client }: ClientPatchRequest,
): Promise<OauthClientView> {
  adminsOnly(actor)
  const row = await existing(deps, id)
  const def = {
    type: row.type,
    pool: row.pool,
    redirectUris: patch.redirect_uris ?? stringList(row.redirectUris),
    postLogoutRedirectUris: patch.post_logout_redirect_uris ?? stringList(row.postLogoutRedirectUris),
    grantTypes: patch.grant_types ?? (stringList(row.grantTypes) as GrantType[]),
    userId: patch.user_id === undefined ? row.userId : patch.user_id,
  }
  await assertValid(deps, def, patch.user_id !== undefined && patch.user_id !== row.userId)
  const updated = await deps.oauthClients.update(id, changesOf(patch, deps.now()))
  if (!updated) throw notFound() // deleted by someone else in between
  audit(deps, {
    type: 'oauth_client_updated',
    actorId: actor.id,
    pool: updated.pool,
    ...client,
    detail: { client_id: id, fields: Object.keys(patch) },
  })
  return oauthClientView(updated)
}

/**
 * Deletes a client (admin+): in one transaction its live sessions end, its codes and the consents
 * given to it go, then the client; the sessions' access tokens are marked revoked in KV.
 */
export async function deleteClient(deps: Deps, actor: Actor, { id, client }: { id: string; client: ClientInfo }): Promise<void> {
  adminsOnly(actor)
  const row = await existing(deps, id)
  const { deleted, ended } = await deps.oauthClients.remove({ id, now: deps.now() })
  if (!deleted) throw notFound() // deleted by someone else in between
  // Refresh tokens died with the batch; access tokens die at their next check of the marks.
  await Promise.all(ended.slice(0, MAX_MARKED_SESSIONS).map((s) => deps.authState.markSession(s.userId, s.id)))
  audit(deps, {
    type: 'oauth_client_deleted',
    actorId: actor.id,
    pool: row.pool,
    ...client,
    detail: { client_id: id, name: row.name, sessions_ended: ended.length },
  })
}

/**
 * A new secret for a confidential client, returned this once; the old one stops working at once
 * (one conditional update replaces its hash). A public client has none: 400.
 */
export async function rotateSecret(
  deps: Deps,
  actor: Actor,
  { id, client }: { id: string; client: ClientInfo },
): Promise<{ client_secret: string }> {
  adminsOnly(actor)
  const row = await existing(deps, id)
  if (row.type !== 'confidential')
    throw new AppError('validation_error', 'Request validation failed', {
      fields: { client_id: 'A public client has no secret' },
    })
  const secret = randomToken(32)
  const rotated = await deps.oauthClients.rotateSecret({ id, secretHash: await sha256Hex(secret), now: deps.now() })
  if (!rotated) throw notFound()
  audit(deps, {
    type: 'oauth_client_secret_rotated',
    actorId: actor.id,
    pool: rotated.pool,
    ...client,
    detail: { client_id: id },
  })
  return { client_secret: secret }
}
