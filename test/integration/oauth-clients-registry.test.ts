import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash'
import { call, expectError, json } from '../helpers/app'
import { readAudit } from '../helpers/audit'
import { type Caller, type Cast, newCast } from '../helpers/iam'
import { clientRow, postClient, registerClient, webClientBody } from '../helpers/oauth-clients'
import { activeUser } from '../helpers/otp'
import { useOutbox, withOutbox } from '../helpers/outbox'
import { expectSessionAlive, getMe, logInWith, sidOf } from '../helpers/sessions'
import { createStaff } from '../helpers/staff'

const box = useOutbox()

const POOL = 'user1'
const POOLS = { USER_POOLS: JSON.stringify({ [POOL]: {} }) }
const BASE = '/api/v1/oauth-clients'

let cast: Cast
beforeAll(async () => {
  cast = await withOutbox(newCast)
})

const getClient = (actor: Caller, id: string) => call('GET', `${BASE}/${id}`, { token: actor.access_token })
const patchClient = (actor: Caller, id: string, body: unknown) =>
  call('PATCH', `${BASE}/${id}`, { token: actor.access_token, json: body })
const deleteClient = (actor: Caller, id: string) => call('DELETE', `${BASE}/${id}`, { token: actor.access_token })
const rotate = (actor: Caller, id: string) => call('POST', `${BASE}/${id}/secret`, { token: actor.access_token })

/** Every row of every table, as text: where a secret must not appear. */
async function everythingStored(): Promise<string> {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
  ).all<{ name: string }>()
  const dumps = await Promise.all(results.map(({ name }) => env.DB.prepare(`SELECT * FROM "${name}"`).all()))
  return JSON.stringify(dumps.map((d) => d.results))
}

/** Asserts a 400 validation_error that names `field`, and returns its message. */
async function expectFieldError(res: Response, field: string): Promise<string> {
  const body = await expectError(res, 400, 'validation_error')
  expect(body.fields, JSON.stringify(body.fields)).toHaveProperty([field])
  return body.fields[field]
}

describe('POST /api/v1/oauth-clients', () => {
  it('registers a confidential web app with the defaults, its secret shown in this answer', async () => {
    const res = await postClient(cast.admin.access_token, webClientBody())
    expect(res.status).toBe(201)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await json(res)
    expect(body).toEqual({
      client_id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      name: 'Solar dashboard',
      type: 'confidential',
      pool: 'default',
      redirect_uris: ['https://app.example.tn/callback'],
      post_logout_redirect_uris: [],
      grant_types: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'profile', 'email', 'phone'],
      first_party: false,
      id_token_signed_response_alg: 'RS256',
      user_id: null,
      created_at: expect.any(String),
      updated_at: body.created_at,
      secret_rotated_at: null,
    })
  })

  it('stores only the SHA-256 of the secret, which appears nowhere else: not in storage, GET, the list or the audit', async () => {
    const created = await registerClient(cast.super_admin.access_token)
    const secret: string = created.client_secret
    const row = await clientRow(created.client_id)
    expect(row?.secret_hash).toBe(await sha256Hex(secret))
    expect(await everythingStored()).not.toContain(secret)
    const read = await json(await getClient(cast.admin, created.client_id))
    const list = await json(await call('GET', `${BASE}?limit=100`, { token: cast.admin.access_token }))
    for (const shown of [read, ...list.items]) {
      expect(shown).not.toHaveProperty('client_secret')
      expect(JSON.stringify(shown)).not.toMatch(/secret_hash|[0-9a-f]{64}/)
    }
    expect(JSON.stringify(await readAudit(cast.admin.access_token, 'limit=100'))).not.toContain(secret)
  })

  it('gives every client a different unguessable id', async () => {
    const ids = new Set<string>()
    for (let i = 0; i < 5; i++) ids.add((await registerClient(cast.admin.access_token)).client_id)
    expect(ids.size).toBe(5)
  })

  it('registers a SPA as a public client: no secret, none stored', async () => {
    const spa = await registerClient(
      cast.admin.access_token,
      webClientBody({
        name: 'Solar SPA',
        type: 'public',
        redirect_uris: ['https://spa.example.tn/', 'http://localhost:5173/callback'],
        post_logout_redirect_uris: ['https://spa.example.tn/bye'],
        first_party: true,
        id_token_signed_response_alg: 'EdDSA',
      }),
    )
    expect(spa).not.toHaveProperty('client_secret')
    expect(spa).toMatchObject({ type: 'public', first_party: true, id_token_signed_response_alg: 'EdDSA' })
    expect((await clientRow(spa.client_id))?.secret_hash).toBeNull()
  })

  it('registers a mobile app as a public client with a private-use scheme and loopback redirects (RFC 8252)', async () => {
    const uris = ['com.example.solar:/oauth2redirect', 'http://127.0.0.1:8400/cb', 'http://[::1]/cb']
    const app = await registerClient(
      cast.admin.access_token,
      webClientBody({ type: 'public', redirect_uris: uris, scopes: ['openid', 'phone', 'offline_access'] }),
    )
    expect(app).toMatchObject({ redirect_uris: uris, scopes: ['openid', 'phone', 'offline_access'] })
  })

  it('registers a machine client: confidential, client_credentials only, no redirect URI, acting as a client account', async () => {
    for (const account of [cast.client, cast.subclient]) {
      const machine = await registerClient(
        cast.admin.access_token,
        webClientBody({ name: 'Meter sync', redirect_uris: [], grant_types: ['client_credentials'], user_id: account.id }),
      )
      expect(machine).toMatchObject({ grant_types: ['client_credentials'], user_id: account.id, redirect_uris: [] })
      expect(machine.client_secret).toEqual(expect.any(String))
    }
  })

  it('registers a client of a user pool', async () => {
    const created = await registerClient(cast.admin.access_token, webClientBody({ pool: POOL }), POOLS)
    expect(created.pool).toBe(POOL)
    expect((await clientRow(created.client_id))?.pool).toBe(POOL)
  })

  it('drops duplicates in the lists', async () => {
    const created = await registerClient(
      cast.admin.access_token,
      webClientBody({
        redirect_uris: ['https://a.example.tn/cb', 'https://a.example.tn/cb'],
        scopes: ['openid', 'openid', 'email'],
        grant_types: ['authorization_code', 'authorization_code'],
      }),
    )
    expect(created).toMatchObject({
      redirect_uris: ['https://a.example.tn/cb'],
      scopes: ['openid', 'email'],
      grant_types: ['authorization_code'],
    })
  })
})

describe('what a client may be registered with: 400 validation_error naming the field', () => {
  const long = `https://app.example.tn/${'a'.repeat(2000)}`
  const many = Array.from({ length: 21 }, (_, i) => `https://app.example.tn/cb${i}`)
  it.each<[string, Record<string, unknown>, string]>([
    ['an empty name', { name: '   ' }, 'name'],
    ['a name over 100 characters', { name: 'n'.repeat(101) }, 'name'],
    ['a name with a control character', { name: 'Solar\u0007' }, 'name'],
    ['no name', { name: undefined }, 'name'],
    ['an unknown type', { type: 'spa' }, 'type'],
    ['no redirect_uris', { redirect_uris: undefined }, 'redirect_uris'],
    ['a redirect URI with a fragment', { redirect_uris: ['https://app.example.tn/cb#x'] }, 'redirect_uris.0'],
    ['a redirect URI with an empty fragment', { redirect_uris: ['https://app.example.tn/cb#'] }, 'redirect_uris.0'],
    ['http to a host that is not loopback', { redirect_uris: ['http://app.example.tn/cb'] }, 'redirect_uris.0'],
    ['http to a host that starts like localhost', { redirect_uris: ['http://localhost.evil.tn/cb'] }, 'redirect_uris.0'],
    ['a wildcard host', { redirect_uris: ['https://*.example.tn/cb'] }, 'redirect_uris.0'],
    ['a wildcard path', { redirect_uris: ['https://app.example.tn/*'] }, 'redirect_uris.0'],
    ['a relative URI', { redirect_uris: ['/callback'] }, 'redirect_uris.0'],
    ['https without //', { redirect_uris: ['https:app.example.tn/cb'] }, 'redirect_uris.0'],
    ['a javascript: URI', { redirect_uris: ['javascript:alert(1)'] }, 'redirect_uris.0'],
    ['a data: URI', { redirect_uris: ['data:text/html,hi'] }, 'redirect_uris.0'],
    ['a URI with credentials', { redirect_uris: ['https://user:pw@app.example.tn/cb'] }, 'redirect_uris.0'],
    ['a URI with a space', { redirect_uris: ['https://app.example.tn/c b'] }, 'redirect_uris.0'],
    ['a redirect URI over 2,000 characters', { redirect_uris: [long] }, 'redirect_uris.0'],
    ['21 redirect URIs', { redirect_uris: many }, 'redirect_uris'],
    ['the second URI bad', { redirect_uris: ['https://ok.example.tn/cb', 'http://bad.example.tn/cb'] }, 'redirect_uris.1'],
    ['a private-use scheme on a confidential client', { redirect_uris: ['com.example.app:/callback'] }, 'redirect_uris.0'],
    [
      'a post-logout URI with a fragment',
      { post_logout_redirect_uris: ['https://app.example.tn/bye#x'] },
      'post_logout_redirect_uris.0',
    ],
    ['a post-logout URI over http', { post_logout_redirect_uris: ['http://app.example.tn/bye'] }, 'post_logout_redirect_uris.0'],
    [
      'a private-use post-logout URI on a confidential client',
      { post_logout_redirect_uris: ['com.example.app:/bye'] },
      'post_logout_redirect_uris.0',
    ],
    ['21 post-logout URIs', { post_logout_redirect_uris: many }, 'post_logout_redirect_uris'],
    ['an unknown grant type', { grant_types: ['password'] }, 'grant_types.0'],
    ['the implicit grant', { grant_types: ['implicit'] }, 'grant_types.0'],
    ['no grant type', { grant_types: [] }, 'grant_types'],
    ['client_credentials on a public client', { type: 'public', grant_types: ['client_credentials'] }, 'grant_types'],
    ['refresh_token without authorization_code', { grant_types: ['client_credentials', 'refresh_token'] }, 'grant_types'],
    ['authorization_code without a redirect URI', { redirect_uris: [] }, 'redirect_uris'],
    ['an unknown scope', { scopes: ['openid', 'admin'] }, 'scopes.1'],
    ['no scope', { scopes: [] }, 'scopes'],
    ['an unknown pool', { pool: 'nosuchpool' }, 'pool'],
    ['a malformed pool', { pool: 'Bad Pool!' }, 'pool'],
    ['an unknown signing algorithm', { id_token_signed_response_alg: 'HS256' }, 'id_token_signed_response_alg'],
    ['none as the signing algorithm', { id_token_signed_response_alg: 'none' }, 'id_token_signed_response_alg'],
    ['first_party not a boolean', { first_party: 'yes' }, 'first_party'],
    ['a client secret chosen by the caller', { client_secret: 'mine' }, 'client_secret'],
    ['a client id chosen by the caller', { client_id: 'mine' }, 'client_id'],
    ['user_id on a public client', { type: 'public', user_id: 'x' }, 'user_id'],
    ['user_id without client_credentials', { user_id: 'x' }, 'user_id'],
  ])('refuses %s', async (_name, extra, field) => {
    const res = await postClient(cast.admin.access_token, webClientBody(extra), POOLS)
    await expectFieldError(res, field)
  })

  const machine = (userId: string, extra: Record<string, unknown> = {}) =>
    webClientBody({ redirect_uris: [], grant_types: ['client_credentials'], user_id: userId, ...extra })

  it('refuses a user_id that is not an active client or sub-client account', async () => {
    const suspended = await createStaff(cast.admin, 'client')
    expect((await call('PATCH', `/api/v1/users/${suspended.id}/suspend`, { token: cast.admin.access_token })).status).toBe(200)
    for (const id of [cast.end_user.id, cast.admin.id, cast.super_admin.id, suspended.id, 'no-such-user']) {
      const message = await expectFieldError(await postClient(cast.admin.access_token, machine(id)), 'user_id')
      expect(message).toMatch(/active client or sub-client/)
    }
  })

  it('refuses a user_id for a client of a user pool (staff belong to the default pool)', async () => {
    await expectFieldError(await postClient(cast.admin.access_token, machine(cast.client.id, { pool: POOL }), POOLS), 'user_id')
  })

  it('refuses a body that is not JSON, never a 500', async () => {
    const res = await call('POST', BASE, {
      token: cast.admin.access_token,
      body: '{"name":',
      headers: { 'content-type': 'application/json' },
    })
    await expectError(res, 400, 'invalid_json')
    await expectError(await postClient(cast.admin.access_token, ['not', 'an', 'object']), 400, 'validation_error')
  })

  it('stores nothing when the body is refused', async () => {
    const before = await env.DB.prepare('SELECT count(*) AS n FROM oauth_clients').first<{ n: number }>()
    await postClient(cast.admin.access_token, webClientBody({ redirect_uris: ['https://app.example.tn/cb#x'] }))
    expect(await env.DB.prepare('SELECT count(*) AS n FROM oauth_clients').first<{ n: number }>()).toEqual(before)
  })
})

describe('GET /api/v1/oauth-clients', () => {
  it('pages through every client by client_id, following next_cursor', async () => {
    const made = new Set<string>()
    for (let i = 0; i < 3; i++) made.add((await registerClient(cast.admin.access_token)).client_id)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = `limit=2${cursor ? `&cursor=${cursor}` : ''}`
      const res = await call('GET', `${BASE}?${query}`, { token: cast.admin.access_token })
      expect(res.status).toBe(200)
      const body = await json(res)
      expect(body.items.length).toBeLessThanOrEqual(2)
      seen.push(...body.items.map((c: { client_id: string }) => c.client_id))
      cursor = body.next_cursor
    } while (cursor)
    expect(seen).toEqual([...seen].sort())
    expect(new Set(seen).size).toBe(seen.length)
    for (const id of made) expect(seen).toContain(id)
  })

  it("lists one pool's clients with ?pool=", async () => {
    const own = await registerClient(cast.admin.access_token, webClientBody({ pool: POOL }), POOLS)
    const other = await registerClient(cast.admin.access_token)
    const res = await call('GET', `${BASE}?pool=${POOL}&limit=100`, { token: cast.admin.access_token, env: POOLS })
    const ids = (await json(res)).items.map((c: { client_id: string; pool: string }) => {
      expect(c.pool).toBe(POOL)
      return c.client_id
    })
    expect(ids).toContain(own.client_id)
    expect(ids).not.toContain(other.client_id)
  })

  it('answers 404 not_found for an unknown pool', async () => {
    await expectError(await call('GET', `${BASE}?pool=nosuchpool`, { token: cast.admin.access_token }), 404, 'not_found')
  })

  it.each(['limit=0', 'limit=101', 'limit=abc', 'cursor=a%20b', 'pool=Bad!'])('refuses %s with 400', async (query) => {
    await expectError(await call('GET', `${BASE}?${query}`, { token: cast.admin.access_token }), 400, 'validation_error')
  })
})

describe('GET /api/v1/oauth-clients/{client_id}', () => {
  it('reads a client without its secret', async () => {
    const { client_secret, ...shown } = await registerClient(cast.admin.access_token)
    expect(client_secret).toEqual(expect.any(String))
    const res = await getClient(cast.super_admin, shown.client_id)
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual(shown)
  })

  it('answers 404 not_found for an unknown client', async () => {
    await expectError(await getClient(cast.admin, 'no-such-client'), 404, 'not_found')
  })
})

describe('PATCH /api/v1/oauth-clients/{client_id}', () => {
  it('changes the fields given and leaves the others, and the secret, as they were', async () => {
    const created = await registerClient(cast.admin.access_token)
    const hash = (await clientRow(created.client_id))?.secret_hash
    const changes = {
      name: 'Solar dashboard v2',
      redirect_uris: ['https://v2.example.tn/callback', 'http://localhost:3000/cb'],
      post_logout_redirect_uris: ['https://v2.example.tn/'],
      scopes: ['openid', 'email', 'offline_access'],
      first_party: true,
      id_token_signed_response_alg: 'ES256',
    }
    const res = await patchClient(cast.admin, created.client_id, changes)
    expect(res.status, await res.clone().text()).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({ ...changes, grant_types: created.grant_types, type: 'confidential', pool: 'default' })
    expect(body.updated_at >= created.updated_at).toBe(true)
    expect(await json(await getClient(cast.admin, created.client_id))).toEqual(body)
    expect((await clientRow(created.client_id))?.secret_hash).toBe(hash)
  })

  it.each<[string, Record<string, unknown>, string]>([
    ['its type', { type: 'public' }, 'type'],
    ['its pool', { pool: 'default' }, 'pool'],
    ['its secret', { client_secret: 'mine' }, 'client_secret'],
    ['a redirect URI with a fragment', { redirect_uris: ['https://app.example.tn/cb#x'] }, 'redirect_uris.0'],
    ['a private-use scheme on a confidential client', { redirect_uris: ['com.example.app:/cb'] }, 'redirect_uris.0'],
    ['no redirect URI with authorization_code', { redirect_uris: [] }, 'redirect_uris'],
    ['an unknown scope', { scopes: ['root'] }, 'scopes.0'],
    ['refresh_token alone', { grant_types: ['refresh_token'] }, 'grant_types'],
    ['a name over 100 characters', { name: 'n'.repeat(101) }, 'name'],
    ['user_id without client_credentials', { user_id: 'x' }, 'user_id'],
  ])('refuses to change %s: 400', async (_name, patch, field) => {
    const created = await registerClient(cast.admin.access_token)
    await expectFieldError(await patchClient(cast.admin, created.client_id, patch), field)
    const { client_secret: _secret, ...before } = created
    expect(await json(await getClient(cast.admin, created.client_id))).toEqual(before)
  })

  it('applies the rules to the client as it will be: client_credentials stays confidential-only', async () => {
    const spa = await registerClient(cast.admin.access_token, webClientBody({ type: 'public' }))
    const res = await patchClient(cast.admin, spa.client_id, { grant_types: ['authorization_code', 'client_credentials'] })
    await expectFieldError(res, 'grant_types')
  })

  it('keeps user_id tied to client_credentials: dropping the grant needs user_id null too', async () => {
    const machine = await registerClient(
      cast.admin.access_token,
      webClientBody({ grant_types: ['authorization_code', 'client_credentials'], user_id: cast.client.id }),
    )
    await expectFieldError(await patchClient(cast.admin, machine.client_id, { grant_types: ['authorization_code'] }), 'user_id')
    const res = await patchClient(cast.admin, machine.client_id, { grant_types: ['authorization_code'], user_id: null })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ grant_types: ['authorization_code'], user_id: null })
  })

  it('checks a new user_id as at creation', async () => {
    const machine = await registerClient(
      cast.admin.access_token,
      webClientBody({ redirect_uris: [], grant_types: ['client_credentials'] }),
    )
    await expectFieldError(await patchClient(cast.admin, machine.client_id, { user_id: cast.end_user.id }), 'user_id')
    const res = await patchClient(cast.admin, machine.client_id, { user_id: cast.other_client.id })
    expect((await json(res)).user_id).toBe(cast.other_client.id)
  })

  it('answers 404 not_found for an unknown client', async () => {
    await expectError(await patchClient(cast.admin, 'no-such-client', { name: 'x' }), 404, 'not_found')
  })
})

/** A signed-in end user, a second session of theirs issued to `clientId` (as /oauth2/token would), their consent and a code. */
async function usedBy(clientId: string) {
  const user = await activeUser(box)
  const issued = await logInWith(user.phone)
  await env.DB.prepare('UPDATE sessions SET client_id = ?, scope = ? WHERE id = ?')
    .bind(clientId, 'openid profile', sidOf(issued.access_token))
    .run()
  const now = Date.now()
  await env.DB.prepare('INSERT INTO oauth_consents (user_id, client_id, scope, granted_at) VALUES (?, ?, ?, ?)')
    .bind(user.user.id, clientId, 'openid profile', now)
    .run()
  await env.DB.prepare(
    `INSERT INTO oauth_codes (hash, client_id, pool, user_id, browser_session_id, redirect_uri, scope, code_challenge,
       auth_time, amr, created_at, expires_at) VALUES (?, ?, 'default', ?, ?, ?, 'openid', 'x', ?, 'pwd', ?, ?)`,
  )
    .bind(
      `code-${clientId}`,
      clientId,
      user.user.id,
      sidOf(user.access_token),
      'https://app.example.tn/callback',
      now,
      now,
      now + 60_000,
    )
    .run()
  return { own: user, issued, userId: user.user.id as string }
}

const revokedAt = async (accessToken: string) =>
  (
    await env.DB.prepare('SELECT revoked_at FROM sessions WHERE id = ?')
      .bind(sidOf(accessToken))
      .first<{ revoked_at: number | null }>()
  )?.revoked_at

const countOf = async (table: string, clientId: string) =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE client_id = ?`).bind(clientId).first<{ n: number }>())?.n

describe('DELETE /api/v1/oauth-clients/{client_id}', () => {
  it('deletes the client, its consents and codes, and ends the sessions issued to it, nothing else', async () => {
    const created = await registerClient(cast.admin.access_token)
    const other = await registerClient(cast.admin.access_token)
    const { own, issued } = await usedBy(created.client_id)
    const untouched = await usedBy(other.client_id)
    const res = await deleteClient(cast.admin, created.client_id)
    expect(res.status).toBe(204)
    expect(await clientRow(created.client_id)).toBeNull()
    expect(await countOf('oauth_consents', created.client_id)).toBe(0)
    expect(await countOf('oauth_codes', created.client_id)).toBe(0)
    // An OAuth client's session: its access token is refused at once, its row revoked (its refresh
    // token works only at /oauth2/token, for its own client, which is gone).
    await expectError(await getMe(issued.access_token), 401, 'invalid_token')
    expect(await revokedAt(issued.access_token)).not.toBeNull()
    // The user's own JSON API session, and another client's, live on.
    await expectSessionAlive(own)
    expect((await getMe(untouched.issued.access_token)).status).toBe(200)
    expect(await revokedAt(untouched.issued.access_token)).toBeNull()
    expect(await countOf('oauth_consents', other.client_id)).toBe(1)
    await expectError(await getClient(cast.admin, created.client_id), 404, 'not_found')
  })

  it('answers 404 not_found for an unknown client, and for a second delete', async () => {
    const created = await registerClient(cast.admin.access_token)
    expect((await deleteClient(cast.super_admin, created.client_id)).status).toBe(204)
    await expectError(await deleteClient(cast.super_admin, created.client_id), 404, 'not_found')
    await expectError(await deleteClient(cast.admin, 'no-such-client'), 404, 'not_found')
  })
})

describe('POST /api/v1/oauth-clients/{client_id}/secret', () => {
  it('replaces the secret: the new one is shown once, the old hash is gone at once', async () => {
    const created = await registerClient(cast.admin.access_token)
    const res = await rotate(cast.admin, created.client_id)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const { client_secret, ...rest } = await json(res)
    expect(rest).toEqual({})
    expect(client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(client_secret).not.toBe(created.client_secret)
    const row = await clientRow(created.client_id)
    expect(row?.secret_hash).toBe(await sha256Hex(client_secret))
    expect(await everythingStored()).not.toContain(await sha256Hex(created.client_secret))
    expect(await everythingStored()).not.toContain(client_secret)
    const shown = await json(await getClient(cast.admin, created.client_id))
    expect(shown.secret_rotated_at).toEqual(expect.any(String))
    expect(shown).not.toHaveProperty('client_secret')
  })

  it('refuses a public client, which has no secret: 400', async () => {
    const spa = await registerClient(cast.admin.access_token, webClientBody({ type: 'public' }))
    await expectFieldError(await rotate(cast.admin, spa.client_id), 'client_id')
    expect((await clientRow(spa.client_id))?.secret_hash).toBeNull()
  })

  it('answers 404 not_found for an unknown client', async () => {
    await expectError(await rotate(cast.admin, 'no-such-client'), 404, 'not_found')
  })
})

describe('who may manage clients', () => {
  let id: string
  beforeAll(async () => {
    id = (await registerClient(cast.admin.access_token)).client_id
  })
  const requests = (): [string, string, unknown][] => [
    ['POST', BASE, webClientBody()],
    ['GET', BASE, undefined],
    ['GET', `${BASE}/${id}`, undefined],
    ['PATCH', `${BASE}/${id}`, { name: 'Renamed' }],
    ['POST', `${BASE}/${id}/secret`, undefined],
    ['DELETE', `${BASE}/${id}`, undefined],
  ]

  it.each(['client', 'subclient', 'end_user'] as const)('refuses a %s with 403 forbidden, changing nothing', async (who) => {
    for (const [method, path, body] of requests()) {
      await expectError(await call(method, path, { token: cast[who].access_token, json: body }), 403, 'forbidden')
    }
    expect((await clientRow(id))?.name).toBe('Solar dashboard')
  })

  it('refuses a call without a token with 401 unauthorized and a Bearer challenge', async () => {
    for (const [method, path, body] of requests()) {
      const res = await call(method, path, { json: body })
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
      await expectError(res, 401, 'unauthorized')
    }
  })

  it('refuses an admin signed in without a second factor where MFA_REQUIRED_ROLES names admins (SPEC §14)', async () => {
    const vars = { MFA_REQUIRED_ROLES: 'super_admin,admin' }
    for (const [method, path, body] of requests()) {
      const res = await call(method, path, { token: cast.admin.access_token, json: body, env: vars })
      await expectError(res, 403, 'mfa_required')
    }
  })
})

describe('the audit log', () => {
  it('records each change with the actor and the client id, never a secret', async () => {
    const created = await registerClient(cast.admin.access_token)
    await patchClient(cast.admin, created.client_id, { name: 'Renamed' })
    const rotated = await json(await rotate(cast.super_admin, created.client_id))
    await deleteClient(cast.admin, created.client_id)
    const events = (await readAudit(cast.super_admin.access_token, 'limit=100')).items.filter(
      (e) => e.detail?.client_id === created.client_id,
    )
    // Ids order events by the millisecond only: compared as a set.
    expect(events.map((e) => `${e.type} by ${e.actor_id}`).sort()).toEqual(
      [
        `oauth_client_created by ${cast.admin.id}`,
        `oauth_client_deleted by ${cast.admin.id}`,
        `oauth_client_secret_rotated by ${cast.super_admin.id}`,
        `oauth_client_updated by ${cast.admin.id}`,
      ].sort(),
    )
    expect(events.find((e) => e.type === 'oauth_client_updated')?.detail).toEqual({
      client_id: created.client_id,
      fields: ['name'],
    })
    const text = JSON.stringify(events)
    for (const secret of [created.client_secret, rotated.client_secret]) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain(await sha256Hex(secret))
    }
  })
})
