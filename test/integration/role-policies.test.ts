import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { readAudit } from '../helpers/audit'
import { login, newPhone, PASSWORD } from '../helpers/factories'
import {
  type Cast,
  claimsOf,
  getPlaces,
  getRolePolicies,
  grant,
  grantRole,
  newCast,
  newPolicy,
  postPlace,
  putPolicies,
  putRolePolicies,
  relogin,
} from '../helpers/iam'
import { activeUser, verify } from '../helpers/otp'
import { useOutbox, withOutbox } from '../helpers/outbox'
import { countTrips, listCalls } from '../helpers/round-trips'
import { refresh } from '../helpers/sessions'
import { createStaff, type Staff } from '../helpers/staff'

// SPEC §13 "Role permissions": PUT/GET /roles/{role}/policies (admin+). A user's permissions are its
// role's policies plus its own (a sub-client's still capped by its client's), at its next token.
// Role policies are this file's shared state: every test sets the roles it relies on first.

const box = useOutbox()

let cast: Cast
let read: string
let write: string
let all: string
beforeAll(async () => {
  cast = await withOutbox(newCast)
  read = await newPolicy(cast.admin, ['places:read'])
  write = await newPolicy(cast.admin, ['places:write'])
  all = await newPolicy(cast.admin, ['places:*'])
})

/** A new access token through POST /auth/refresh; throws unless 200. */
async function refreshed(s: { refresh_token: string }): Promise<{ access_token: string; refresh_token: string }> {
  const res = await refresh(s.refresh_token)
  if (res.status !== 200) throw new Error(`refresh failed: ${res.status} ${await res.text()}`)
  return json(res)
}

const ids = (body: { policies: Array<{ id: string }> }) => body.policies.map((p) => p.id)

describe('seed 004: end users of role particulier read /places', () => {
  it('refuses them before (403), and lets them read after PUT /roles/particulier/policies and a refresh', async () => {
    await grantRole(cast.admin, 'particulier', [])
    const user = await activeUser(box)
    expect(claimsOf(user.access_token)).toEqual({ role: 'particulier', perms: [] })
    const refused = await expectError(await getPlaces(user.access_token), 403, 'forbidden')
    expect(refused.detail).toContain('places:read')

    const res = await putRolePolicies(cast.admin, 'particulier', [read])
    expect(res.status, await res.clone().text()).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({ role: 'particulier', permissions: ['places:read'] })
    expect(ids(body)).toEqual([read])

    // The token in hand was issued before: it carries the permissions of then, until its next token.
    await expectError(await getPlaces(user.access_token), 403, 'forbidden')
    const next = await refreshed(user)
    expect(claimsOf(next.access_token)).toEqual({ role: 'particulier', perms: ['places:read'] })
    expect((await getPlaces(next.access_token)).status).toBe(200)
    await expectError(await postPlace(next.access_token), 403, 'forbidden')
  })

  it('gives the role’s permissions at a new password login and at a code sign-in', async () => {
    await grantRole(cast.admin, 'particulier', [read])
    const user = await activeUser(box)
    expect(claimsOf(user.access_token).perms).toEqual(['places:read']) // the register code's sign-in
    const byPassword = await json(await login({ phone: user.phone, password: PASSWORD }))
    expect(claimsOf(byPassword.access_token).perms).toEqual(['places:read'])
    expect((await getPlaces(byPassword.access_token)).status).toBe(200)
  })

  it('gives it to an account created by an OTP sign-up, in the batch that creates it', async () => {
    await grantRole(cast.admin, 'particulier', [read])
    const vars = { OTP_SIGNUP: 'true' }
    const phone = newPhone()
    expect((await login({ phone, use_otp: true }, { env: vars })).status).toBe(202)
    const res = await verify(phone, box.lastCode(phone), vars)
    expect(res.status, await res.clone().text()).toBe(200)
    expect(claimsOf((await json(res)).access_token)).toEqual({ role: 'particulier', perms: ['places:read'] })
  })

  it('takes the permission back at the next token when the role loses the policy', async () => {
    await grantRole(cast.admin, 'particulier', [read])
    const user = await activeUser(box)
    expect((await getPlaces(user.access_token)).status).toBe(200)
    await grantRole(cast.admin, 'particulier', [])
    const next = await refreshed(user)
    expect(claimsOf(next.access_token).perms).toEqual([])
    await expectError(await getPlaces(next.access_token), 403, 'forbidden')
  })

  it('follows a change to the policy itself at the next token', async () => {
    const policy = await newPolicy(cast.admin, ['places:read'])
    await grantRole(cast.admin, 'particulier', [policy])
    const user = await activeUser(box)
    const patched = await call('PATCH', `/api/v1/policies/${policy}`, {
      token: cast.admin.access_token,
      json: { permissions: ['places:read', 'places:write'] },
    })
    expect(patched.status).toBe(200)
    const next = await refreshed(user)
    expect(claimsOf(next.access_token).perms).toEqual(['places:read', 'places:write'])
    expect((await postPlace(next.access_token)).status).toBe(201)
    await grantRole(cast.admin, 'particulier', [])
  })
})

describe('PUT and GET /api/v1/roles/{role}/policies', () => {
  it('answers the role’s policies, oldest first, and the union of their permissions', async () => {
    await grantRole(cast.admin, 'particulier', [write, read])
    const res = await getRolePolicies(cast.admin, 'particulier')
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.role).toBe('particulier')
    expect(ids(body)).toEqual([read, write])
    expect(body.permissions).toEqual(['places:read', 'places:write'])
    expect(Object.keys(body.policies[0]).sort()).toEqual(['created_at', 'description', 'id', 'name', 'permissions', 'updated_at'])
  })

  it('replaces the set: a second PUT drops what the first gave; the same PUT twice answers the same', async () => {
    const first = await json(await putRolePolicies(cast.admin, 'particulier', [read, write]))
    expect(ids(first).sort()).toEqual([read, write].sort())
    const second = await putRolePolicies(cast.admin, 'particulier', [all])
    expect(second.status).toBe(200)
    const body = await json(second)
    expect(body).toMatchObject({ role: 'particulier', permissions: ['places:*'] })
    expect(ids(body)).toEqual([all])
    expect(await json(await putRolePolicies(cast.admin, 'particulier', [all]))).toEqual(body)
    expect(await json(await getRolePolicies(cast.admin, 'particulier'))).toEqual(body)
    const rows = await env.DB.prepare("SELECT policy_id FROM role_policies WHERE role = 'particulier'").all()
    expect(rows.results).toEqual([{ policy_id: all }])
  })

  it('empties the set with policy_ids: [], and takes a repeated id once', async () => {
    const twice = await json(await putRolePolicies(cast.admin, 'particulier', [read, read]))
    expect(ids(twice)).toEqual([read])
    const empty = await putRolePolicies(cast.admin, 'particulier', [])
    expect(empty.status).toBe(200)
    expect(await json(empty)).toEqual({ role: 'particulier', policies: [], permissions: [] })
  })

  it('drops a deleted policy from the role (ON DELETE CASCADE)', async () => {
    const doomed = await newPolicy(cast.admin, ['audit:read'])
    await grantRole(cast.admin, 'particulier', [read, doomed])
    expect((await call('DELETE', `/api/v1/policies/${doomed}`, { token: cast.admin.access_token })).status).toBe(204)
    const body = await json(await getRolePolicies(cast.admin, 'particulier'))
    expect(ids(body)).toEqual([read])
    expect(body.permissions).toEqual(['places:read'])
  })

  it('is open to super admins too', async () => {
    expect((await putRolePolicies(cast.super_admin, 'particulier', [read])).status).toBe(200)
    expect((await getRolePolicies(cast.super_admin, 'particulier')).status).toBe(200)
  })

  it('audits every PUT as role_policies_set, with the role and the ids', async () => {
    expect((await putRolePolicies(cast.admin, 'client', [read])).status).toBe(200)
    const events = await readAudit(cast.admin.access_token, `user_id=${cast.admin.id}&type=role_policies_set`)
    expect(events.items[0]).toMatchObject({ actor_id: cast.admin.id, detail: { role: 'client', policy_ids: [read] } })
    await grantRole(cast.admin, 'client', [])
  })

  it.each(['client', 'subclient', 'end_user'] as const)('refuses a %s with 403 forbidden, changing nothing', async (who) => {
    await grantRole(cast.admin, 'particulier', [read])
    await expectError(await putRolePolicies(cast[who], 'particulier', [all]), 403, 'forbidden')
    await expectError(await putRolePolicies(cast[who], who === 'end_user' ? 'particulier' : who, [all]), 403, 'forbidden')
    await expectError(await getRolePolicies(cast[who], 'particulier'), 403, 'forbidden')
    expect(ids(await json(await getRolePolicies(cast.admin, 'particulier')))).toEqual([read])
  })

  it('refuses a call without a token with 401', async () => {
    await expectError(await call('GET', '/api/v1/roles/particulier/policies'), 401, 'unauthorized')
    const res = await call('PUT', '/api/v1/roles/particulier/policies', { json: { policy_ids: [] } })
    await expectError(res, 401, 'unauthorized')
  })

  it.each(['overlord', 'PARTICULIER', 'agriculteur', 'root'])('answers an unknown role (%s) with 404 not_found', async (role) => {
    await expectError(await getRolePolicies(cast.admin, role), 404, 'not_found')
    await expectError(await putRolePolicies(cast.admin, role, [read]), 404, 'not_found')
    const rows = await env.DB.prepare('SELECT count(*) AS n FROM role_policies WHERE role = ?').bind(role).first<{ n: number }>()
    expect(rows?.n).toBe(0)
  })

  it('knows the end-user roles of END_USER_ROLES: adding one is configuration', async () => {
    const vars = { END_USER_ROLES: 'particulier,agriculteur' }
    const res = await putRolePolicies(cast.admin, 'agriculteur', [read], vars)
    expect(res.status, await res.clone().text()).toBe(200)
    expect(await json(await getRolePolicies(cast.admin, 'agriculteur', vars))).toMatchObject({ permissions: ['places:read'] })
  })

  it.each(['admin', 'super_admin'])('refuses policies for %s (who holds * already) with 400', async (role) => {
    const body = await expectError(await putRolePolicies(cast.super_admin, role, [read]), 400, 'validation_error')
    expect(body.fields).toHaveProperty('role')
  })

  it('refuses an unknown policy id with 400 on policy_ids, changing nothing', async () => {
    await grantRole(cast.admin, 'particulier', [read])
    const body = await expectError(
      await putRolePolicies(cast.admin, 'particulier', [write, 'no-such-policy']),
      400,
      'validation_error',
    )
    expect(body.fields).toEqual({ policy_ids: 'Unknown policy' })
    expect(ids(await json(await getRolePolicies(cast.admin, 'particulier')))).toEqual([read])
  })

  it.each([
    ['an unknown field', { policy_ids: [], role: 'admin' }, 'role'],
    ['no policy_ids', {}, 'policy_ids'],
    ['policy_ids not a list', { policy_ids: 'x' }, 'policy_ids'],
  ])('refuses a body with %s with 400', async (_, body, field) => {
    const res = await call('PUT', '/api/v1/roles/particulier/policies', { token: cast.admin.access_token, json: body })
    expect((await expectError(res, 400, 'validation_error')).fields).toHaveProperty(field)
  })

  it('is in the OpenAPI document', async () => {
    const doc = await json(await call('GET', '/api/v1/openapi.json'))
    expect(Object.keys(doc.paths['/api/v1/roles/{role}/policies']).sort()).toEqual(['get', 'put'])
    expect(Object.keys(doc.paths['/api/v1/users/{id}/password'])).toEqual(['post'])
  })
})

describe('staff: own policies plus the role’s, a sub-client capped by its client', () => {
  /** A client of its own with one sub-client, both signed in. */
  async function family(): Promise<{ client: Staff; sub: Staff }> {
    const client = await createStaff(cast.admin, 'client')
    return { client, sub: await createStaff(client, 'subclient') }
  }

  it('gives a client its role’s policies plus its own', async () => {
    await grantRole(cast.admin, 'client', [read])
    const { client } = await family()
    expect(claimsOf((await relogin(client)).access_token).perms).toEqual(['places:read'])
    await grant(cast.admin, client.id, [write])
    expect(claimsOf((await relogin(client)).access_token).perms).toEqual(['places:read', 'places:write'])
    await grantRole(cast.admin, 'client', [])
  })

  it('caps a sub-client’s role policies by its client: nothing while the client holds nothing', async () => {
    await grantRole(cast.admin, 'client', [])
    await grantRole(cast.admin, 'subclient', [all])
    const { client, sub } = await family()
    expect(claimsOf(sub.access_token).perms).toEqual([])
    await expectError(await getPlaces(sub.access_token), 403, 'forbidden')

    await grant(cast.admin, client.id, [read])
    const next = await refreshed(sub)
    expect(claimsOf(next.access_token).perms).toEqual(['places:read'])
    expect((await getPlaces(next.access_token)).status).toBe(200)
    await expectError(await postPlace(next.access_token), 403, 'forbidden')
    await grantRole(cast.admin, 'subclient', [])
  })

  it('counts the client role’s policies in the ceiling', async () => {
    await grantRole(cast.admin, 'client', [all])
    await grantRole(cast.admin, 'subclient', [read])
    const { sub } = await family()
    expect(claimsOf(sub.access_token).perms).toEqual(['places:read'])
    await grantRole(cast.admin, 'client', [])
    expect(claimsOf((await relogin(sub)).access_token).perms).toEqual([])
    await grantRole(cast.admin, 'subclient', [])
  })

  it('gives a sub-client nothing from its client’s suspended account', async () => {
    await grantRole(cast.admin, 'subclient', [read])
    const { client, sub } = await family()
    await grant(cast.admin, client.id, [read])
    expect(claimsOf((await relogin(sub)).access_token).perms).toEqual(['places:read'])
    expect((await call('PATCH', `/api/v1/users/${client.id}/suspend`, { token: cast.admin.access_token })).status).toBe(200)
    expect(claimsOf((await relogin(sub)).access_token).perms).toEqual([])
    await grantRole(cast.admin, 'subclient', [])
  })

  it('lets a client grant its sub-client what its role gives it, and no more (403)', async () => {
    await grantRole(cast.admin, 'client', [read])
    const { client, sub } = await family()
    const res = await putPolicies(client, sub.id, [read])
    expect(res.status, await res.clone().text()).toBe(200)
    expect((await json(res)).permissions).toEqual(['places:read'])
    await expectError(await putPolicies(client, sub.id, [write]), 403, 'forbidden')
    await grantRole(cast.admin, 'client', [])
  })

  it('keeps admins at * whatever the roles below hold', async () => {
    await grantRole(cast.admin, 'client', [read])
    expect(claimsOf((await relogin(cast.admin)).access_token).perms).toEqual(['*'])
    await grantRole(cast.admin, 'client', [])
  })
})

describe('no round trip for the role’s policies', () => {
  it('refreshes a sub-client (its own, its role’s and its client’s policies) in one D1 call and no KV call', async () => {
    await grantRole(cast.admin, 'client', [read])
    await grantRole(cast.admin, 'subclient', [all])
    const sub = await createStaff(await createStaff(cast.admin, 'client'), 'subclient')
    const count = await countTrips(() => refresh(sub.refresh_token))
    expect(count.response.status).toBe(200)
    expect(count.before, listCalls(count)).toEqual({ d1: 1, kvRead: 0, kvWrite: 0 })
    expect(claimsOf((await json(count.response)).access_token).perms).toEqual(['places:read'])
    await grantRole(cast.admin, 'client', [])
    await grantRole(cast.admin, 'subclient', [])
  })

  it('logs an end user of a role with policies in by password in two D1 calls and no KV call', async () => {
    await grantRole(cast.admin, 'particulier', [read])
    const user = await activeUser(box)
    const count = await countTrips(() => login({ phone: user.phone, password: PASSWORD }))
    expect(count.response.status).toBe(200)
    expect(count.before, listCalls(count)).toEqual({ d1: 2, kvRead: 0, kvWrite: 0 })
    expect(claimsOf((await json(count.response)).access_token).perms).toEqual(['places:read'])
  })
})
