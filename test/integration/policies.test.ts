import { beforeAll, describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { activeUser } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { assignPolicies, createPolicy, newPolicyName, type Policy, permsOf, placeBody } from '../helpers/policies'
import { refresh } from '../helpers/sessions'
import { createStaff, createSuperAdmin, type Staff } from '../helpers/staff'

const box = useOutbox()

let root: Staff
let admin: Staff
beforeAll(async () => {
  root = await createSuperAdmin()
  admin = await createStaff(root, 'admin')
})

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

const post = (token: string | undefined, body: unknown) => call('POST', '/api/v1/policies', { token, json: body })
const patch = (token: string, id: string, body: unknown) => call('PATCH', `/api/v1/policies/${id}`, { token, json: body })
const del = (token: string, id: string) => call('DELETE', `/api/v1/policies/${id}`, { token })
const get = (token: string, id: string) => call('GET', `/api/v1/policies/${id}`, { token })
const list = (token: string, query = '') => call('GET', `/api/v1/policies${query}`, { token })

/** A new token pair through POST /auth/refresh; throws unless 200. */
async function refreshed(s: { refresh_token: string }): Promise<{ access_token: string; refresh_token: string }> {
  const res = await refresh(s.refresh_token)
  if (res.status !== 200) throw new Error(`refresh failed: ${res.status} ${await res.text()}`)
  return json(res)
}

describe('POST /api/v1/policies', () => {
  it('creates a policy with sorted, deduplicated permissions (201)', async () => {
    const name = newPolicyName('chargers')
    const res = await post(admin.access_token, {
      name,
      description: 'Read and write the charger directory',
      permissions: ['places:write', 'places:read', 'places:write'],
    })
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(Object.keys(body).sort()).toEqual(['created_at', 'description', 'id', 'name', 'permissions', 'updated_at'])
    expect(body).toMatchObject({
      name,
      description: 'Read and write the charger directory',
      permissions: ['places:read', 'places:write'],
    })
    expect(body.id).toEqual(expect.any(String))
    expect(body.created_at).toMatch(ISO)
    expect(body.updated_at).toBe(body.created_at)
    expect(await json(await get(admin.access_token, body.id))).toEqual(body)
  })

  it('is open to super admins too, and a missing description is null', async () => {
    const res = await post(root.access_token, { name: newPolicyName(), permissions: ['*'] })
    expect(res.status).toBe(201)
    expect(await json(res)).toMatchObject({ description: null, permissions: ['*'] })
  })

  it('refuses a name that exists with 400 validation_error on fields.name', async () => {
    const p = await createPolicy(admin.access_token, ['places:read'])
    const body = await expectError(
      await post(admin.access_token, { name: p.name, permissions: ['places:write'] }),
      400,
      'validation_error',
    )
    expect(body.fields).toHaveProperty('name')
  })

  it('refuses a malformed permission with 400 validation_error naming it', async () => {
    const body = await expectError(
      await post(admin.access_token, { name: newPolicyName(), permissions: ['places:read', 'Places'] }),
      400,
      'validation_error',
    )
    expect(Object.keys(body.fields)).toEqual(['permissions.1'])
  })

  it.each([
    ['no permissions', { permissions: [] }, 'permissions'],
    ['a missing permissions list', {}, 'permissions'],
    ['an unknown field', { permissions: ['places:read'], created_by: 'me' }, 'created_by'],
  ])('refuses %s with 400 validation_error', async (_, extra, field) => {
    const body = await expectError(await post(admin.access_token, { name: newPolicyName(), ...extra }), 400, 'validation_error')
    expect(body.fields).toHaveProperty([field])
  })

  it('refuses a client, a sub-client and an end user with 403 forbidden, and a call without a token with 401', async () => {
    const client = await createStaff(admin, 'client')
    const sub = await createStaff(client, 'subclient')
    const endUser = await activeUser(box)
    for (const token of [client.access_token, sub.access_token, endUser.access_token]) {
      await expectError(await post(token, { name: newPolicyName(), permissions: ['places:read'] }), 403, 'forbidden')
    }
    await expectError(await post(undefined, { name: newPolicyName(), permissions: ['places:read'] }), 401, 'unauthorized')
  })
})

describe('GET /api/v1/policies', () => {
  it('lists every policy for an admin, newest first, a page at a time', async () => {
    const created = [
      await createPolicy(admin.access_token, ['places:read']),
      await createPolicy(admin.access_token, ['places:write']),
      await createPolicy(admin.access_token, ['places:*']),
    ]
    const seen: Policy[] = []
    let cursor: string | null = null
    do {
      const res = await list(admin.access_token, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.status).toBe(200)
      const body = await json(res)
      expect(Object.keys(body).sort()).toEqual(['items', 'next_cursor'])
      expect(body.items.length).toBeLessThanOrEqual(2)
      seen.push(...body.items)
      cursor = body.next_cursor
    } while (cursor)

    const ids = seen.map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
    const ours = ids.filter((id) => created.some((p) => p.id === id))
    expect(ours).toEqual(created.map((p) => p.id).reverse())
    expect(seen.find((p) => p.id === created[0]?.id)).toEqual(created[0])
  })

  it('refuses a cursor that no page gave with 400 validation_error on fields.cursor', async () => {
    for (const cursor of ['garbage', "' OR 1=1", '0199']) {
      const body = await expectError(
        await list(admin.access_token, `?cursor=${encodeURIComponent(cursor)}`),
        400,
        'validation_error',
      )
      expect(body.fields.cursor).toMatch(/next_cursor/)
    }
  })

  it('answers next_cursor null on the last page', async () => {
    await createPolicy(admin.access_token, ['places:read'])
    const body = await json(await list(admin.access_token, '?limit=100'))
    expect(body.next_cursor).toBeNull()
    expect(body.items.length).toBeGreaterThan(0)
  })

  it.each(['?limit=0', '?limit=101', '?limit=ten'])('refuses %s with 400 validation_error', async (query) => {
    const body = await expectError(await list(admin.access_token, query), 400, 'validation_error')
    expect(body.fields).toHaveProperty('limit')
  })
})

describe('GET /api/v1/policies/{id}', () => {
  it('reads one policy for an admin', async () => {
    const p = await createPolicy(admin.access_token, ['places:read'], { description: 'readers' })
    const res = await get(root.access_token, p.id)
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual(p)
  })

  it('answers 404 not_found for an unknown id', async () => {
    await expectError(await get(admin.access_token, '01900000-0000-7000-8000-000000000000'), 404, 'not_found')
  })
})

describe('PATCH /api/v1/policies/{id}', () => {
  it('changes the name, description and permissions', async () => {
    const p = await createPolicy(admin.access_token, ['places:read'], { description: 'before' })
    const name = newPolicyName('renamed')
    const res = await patch(admin.access_token, p.id, {
      name,
      description: null,
      permissions: ['places:write', 'places:read', 'places:read'],
    })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({ id: p.id, name, description: null, permissions: ['places:read', 'places:write'] })
    expect(body.created_at).toBe(p.created_at)
    expect(Date.parse(body.updated_at)).toBeGreaterThanOrEqual(Date.parse(p.updated_at))
    expect(await json(await get(admin.access_token, p.id))).toEqual(body)
  })

  it('leaves out what is not sent', async () => {
    const p = await createPolicy(admin.access_token, ['places:read'], { description: 'kept' })
    const body = await json(await patch(admin.access_token, p.id, { permissions: ['places:*'] }))
    expect(body).toMatchObject({ name: p.name, description: 'kept', permissions: ['places:*'] })
  })

  it("refuses another policy's name with 400 validation_error on fields.name", async () => {
    const a = await createPolicy(admin.access_token, ['places:read'])
    const b = await createPolicy(admin.access_token, ['places:read'])
    const body = await expectError(await patch(admin.access_token, b.id, { name: a.name }), 400, 'validation_error')
    expect(body.fields).toHaveProperty('name')
    expect((await json(await get(admin.access_token, b.id))).name).toBe(b.name)
  })

  it('refuses a malformed or empty permission list with 400 validation_error', async () => {
    const p = await createPolicy(admin.access_token, ['places:read'])
    let body = await expectError(await patch(admin.access_token, p.id, { permissions: ['a:b:c'] }), 400, 'validation_error')
    expect(body.fields).toHaveProperty(['permissions.0'])
    body = await expectError(await patch(admin.access_token, p.id, { permissions: [] }), 400, 'validation_error')
    expect(body.fields).toHaveProperty('permissions')
    expect((await json(await get(admin.access_token, p.id))).permissions).toEqual(['places:read'])
  })

  it('answers 404 not_found for an unknown id', async () => {
    await expectError(
      await patch(admin.access_token, '01900000-0000-7000-8000-000000000000', { name: newPolicyName() }),
      404,
      'not_found',
    )
  })
})

describe('DELETE /api/v1/policies/{id}', () => {
  it('deletes (204); the policy is then 404, and so is a second delete', async () => {
    const p = await createPolicy(admin.access_token, ['places:read'])
    const res = await del(admin.access_token, p.id)
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    await expectError(await get(admin.access_token, p.id), 404, 'not_found')
    await expectError(await del(admin.access_token, p.id), 404, 'not_found')
  })
})

describe('who may change policies', () => {
  it('refuses PATCH and DELETE to a client, a sub-client and an end user with 403 forbidden, changing nothing', async () => {
    const p = await createPolicy(admin.access_token, ['places:read'])
    const client = await createStaff(admin, 'client')
    expect((await assignPolicies(admin.access_token, client.id, [p.id])).status).toBe(200)
    const sub = await createStaff(client, 'subclient')
    const endUser = await activeUser(box)
    for (const token of [client.access_token, sub.access_token, endUser.access_token]) {
      await expectError(await patch(token, p.id, { permissions: ['*'] }), 403, 'forbidden')
      await expectError(await del(token, p.id), 403, 'forbidden')
    }
    expect(await json(await get(admin.access_token, p.id))).toEqual(p)
  })
})

describe('a client reading policies', () => {
  it('sees only the policies attached to it', async () => {
    const mine = await createPolicy(admin.access_token, ['places:read'])
    const other = await createPolicy(admin.access_token, ['places:write'])
    const client = await createStaff(admin, 'client')
    expect((await assignPolicies(admin.access_token, client.id, [mine.id])).status).toBe(200)

    const res = await list(client.access_token)
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ items: [mine], next_cursor: null })
    const one = await get(client.access_token, mine.id)
    expect(one.status).toBe(200)
    expect(await json(one)).toEqual(mine)
    await expectError(await get(client.access_token, other.id), 404, 'not_found')
  })

  it('pages its own policies with limit and cursor like every list, newest first', async () => {
    const mine = [
      await createPolicy(admin.access_token, ['places:read']),
      await createPolicy(admin.access_token, ['places:write']),
      await createPolicy(admin.access_token, ['places:*']),
    ]
    const client = await createStaff(admin, 'client')
    await assignPolicies(
      admin.access_token,
      client.id,
      mine.map((p) => p.id),
    )

    const first = await json(await list(client.access_token, '?limit=2'))
    expect(first.items).toEqual([mine[2], mine[1]])
    expect(first.next_cursor).toEqual(expect.any(String))
    const second = await json(await list(client.access_token, `?limit=2&cursor=${first.next_cursor}`))
    expect(second).toEqual({ items: [mine[0]], next_cursor: null })
  })

  it('refuses a sub-client and an end user with 403 forbidden', async () => {
    const p = await createPolicy(admin.access_token, ['places:read'])
    const client = await createStaff(admin, 'client')
    const sub = await createStaff(client, 'subclient')
    expect((await assignPolicies(admin.access_token, sub.id, [p.id])).status).toBe(200)
    const endUser = await activeUser(box)
    for (const token of [sub.access_token, endUser.access_token]) {
      await expectError(await list(token), 403, 'forbidden')
      await expectError(await get(token, p.id), 403, 'forbidden')
    }
  })
})

describe('PUT /api/v1/users/{id}/policies', () => {
  it("replaces a client's policies and answers them with the resulting permissions", async () => {
    const read = await createPolicy(admin.access_token, ['places:read'])
    const write = await createPolicy(admin.access_token, ['places:write', 'places:read'])
    const client = await createStaff(admin, 'client')

    const res = await assignPolicies(admin.access_token, client.id, [read.id, write.id, read.id])
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(Object.keys(body).sort()).toEqual(['permissions', 'policies'])
    expect(body.permissions).toEqual(['places:read', 'places:write'])
    expect(body.policies.map((p: Policy) => p.id).sort()).toEqual([read.id, write.id].sort())

    const replaced = await json(await assignPolicies(admin.access_token, client.id, [read.id]))
    expect(replaced).toEqual({ policies: [read], permissions: ['places:read'] })
    const emptied = await json(await assignPolicies(admin.access_token, client.id, []))
    expect(emptied).toEqual({ policies: [], permissions: [] })
  })

  it('gives a sub-client at most what its parent holds', async () => {
    const parentPolicy = await createPolicy(admin.access_token, ['places:read'])
    const wide = await createPolicy(admin.access_token, ['places:*'])
    const client = await createStaff(admin, 'client')
    await assignPolicies(admin.access_token, client.id, [parentPolicy.id])
    const sub = await createStaff(client, 'subclient')

    const body = await json(await assignPolicies(admin.access_token, sub.id, [wide.id]))
    expect(body.permissions).toEqual(['places:read'])
  })

  it('refuses an unknown policy id with 400 validation_error on fields.policy_ids, changing nothing', async () => {
    const p = await createPolicy(admin.access_token, ['places:read'])
    const client = await createStaff(admin, 'client')
    await assignPolicies(admin.access_token, client.id, [p.id])
    const body = await expectError(
      await assignPolicies(admin.access_token, client.id, [p.id, '01900000-0000-7000-8000-000000000000']),
      400,
      'validation_error',
    )
    expect(body.fields).toHaveProperty('policy_ids')
    expect((await json(await list(client.access_token))).items).toEqual([p])
  })

  it('refuses an end user as the holder with 400 validation_error on fields.policy_ids', async () => {
    const p = await createPolicy(admin.access_token, ['places:read'])
    const endUser = await activeUser(box)
    const body = await expectError(await assignPolicies(admin.access_token, endUser.user.id, [p.id]), 400, 'validation_error')
    expect(body.fields).toHaveProperty('policy_ids')
  })

  it('refuses an admin as the holder: 404 not_found for a peer admin, 400 validation_error for a super admin', async () => {
    const p = await createPolicy(admin.access_token, ['places:read'])
    const peer = await createStaff(root, 'admin')
    // An admin cannot act on another admin at all: as if it did not exist.
    await expectError(await assignPolicies(admin.access_token, peer.id, [p.id]), 404, 'not_found')
    // A super admin may act on an admin, but policies are for clients and sub-clients.
    const body = await expectError(await assignPolicies(root.access_token, peer.id, [p.id]), 400, 'validation_error')
    expect(body.fields).toHaveProperty('policy_ids')
  })

  it('answers 404 not_found for an unknown user', async () => {
    const p = await createPolicy(admin.access_token, ['places:read'])
    await expectError(await assignPolicies(admin.access_token, '01900000-0000-7000-8000-000000000000', [p.id]), 404, 'not_found')
  })

  it('refuses a body without policy_ids with 400 validation_error', async () => {
    const client = await createStaff(admin, 'client')
    const res = await call('PUT', `/api/v1/users/${client.id}/policies`, { token: admin.access_token, json: {} })
    const body = await expectError(res, 400, 'validation_error')
    expect(body.fields).toHaveProperty('policy_ids')
  })

  it('lets a client attach to its own sub-client only policies it holds itself', async () => {
    const held = await createPolicy(admin.access_token, ['places:read', 'places:write'])
    const readOnly = await createPolicy(admin.access_token, ['places:read'])
    const wider = await createPolicy(admin.access_token, ['places:*'])
    const client = await createStaff(admin, 'client')
    await assignPolicies(admin.access_token, client.id, [held.id])
    const fresh = await refreshed(client)
    const sub = await createStaff({ ...client, ...fresh }, 'subclient')

    const ok = await assignPolicies(fresh.access_token, sub.id, [readOnly.id])
    expect(ok.status).toBe(200)
    expect((await json(ok)).permissions).toEqual(['places:read'])
    await expectError(await assignPolicies(fresh.access_token, sub.id, [wider.id]), 403, 'forbidden')
  })

  it("refuses a client another client's sub-client and itself with 404 not_found", async () => {
    const p = await createPolicy(admin.access_token, ['places:read'])
    const client = await createStaff(admin, 'client')
    const otherClient = await createStaff(admin, 'client')
    const othersSub = await createStaff(otherClient, 'subclient')
    await expectError(await assignPolicies(client.access_token, othersSub.id, [p.id]), 404, 'not_found')
    await expectError(await assignPolicies(client.access_token, client.id, [p.id]), 404, 'not_found')
  })
})

/** A client holding a policy of `parentPerms`, and its sub-client holding one of `subPerms`. */
async function clientWithSubclient(parentPerms: string[], subPerms: string[]) {
  const parentPolicy = await createPolicy(admin.access_token, parentPerms)
  const client = await createStaff(admin, 'client')
  await assignPolicies(admin.access_token, client.id, [parentPolicy.id])
  const sub = await createStaff(client, 'subclient')
  await assignPolicies(admin.access_token, sub.id, [(await createPolicy(admin.access_token, subPerms)).id])
  return { parentPolicy, client, sub }
}

describe('when policy changes take effect', () => {
  it("applies a changed policy at the holder's next token, not to its current one", async () => {
    const p = await createPolicy(admin.access_token, ['places:read'])
    const client = await createStaff(admin, 'client')
    await assignPolicies(admin.access_token, client.id, [p.id])
    const before = await refreshed(client)
    expect(permsOf(before.access_token)).toEqual(['places:read'])
    expect((await call('GET', '/api/v1/places', { token: before.access_token })).status).toBe(200)
    await expectError(await call('POST', '/api/v1/places', { token: before.access_token, json: placeBody() }), 403, 'forbidden')

    expect((await patch(admin.access_token, p.id, { permissions: ['places:read', 'places:write'] })).status).toBe(200)
    // The current token still carries the old permissions.
    await expectError(await call('POST', '/api/v1/places', { token: before.access_token, json: placeBody() }), 403, 'forbidden')

    const after = await refreshed(before)
    expect(permsOf(after.access_token)).toEqual(['places:read', 'places:write'])
    const created = await call('POST', '/api/v1/places', { token: after.access_token, json: placeBody('Station Sfax') })
    expect(created.status).toBe(201)
    expect(await json(created)).toMatchObject({ name: 'Station Sfax', kind: 'ev_charger' })
  })

  it("takes a deleted policy out of its holders' next tokens", async () => {
    const p = await createPolicy(admin.access_token, ['places:read'])
    const client = await createStaff(admin, 'client')
    await assignPolicies(admin.access_token, client.id, [p.id])
    const before = await refreshed(client)
    expect(permsOf(before.access_token)).toEqual(['places:read'])

    expect((await del(admin.access_token, p.id)).status).toBe(204)
    const after = await refreshed(before)
    expect(permsOf(after.access_token)).toEqual([])
    await expectError(await call('GET', '/api/v1/places', { token: after.access_token }), 403, 'forbidden')
    expect((await json(await list(after.access_token))).items).toEqual([])
  })

  it('takes from a sub-client, at its next token, a permission its parent loses', async () => {
    const { parentPolicy, sub } = await clientWithSubclient(['places:read', 'places:write'], ['places:*'])
    const before = await refreshed(sub)
    expect(permsOf(before.access_token)).toEqual(['places:read', 'places:write'])

    await patch(admin.access_token, parentPolicy.id, { permissions: ['places:read'] })
    const after = await refreshed(before)
    expect(permsOf(after.access_token)).toEqual(['places:read'])
    await expectError(await call('POST', '/api/v1/places', { token: after.access_token, json: placeBody() }), 403, 'forbidden')
    expect((await call('GET', '/api/v1/places', { token: after.access_token })).status).toBe(200)
  })

  for (const action of ['suspend', 'deactivate'] as const) {
    it(`takes every permission from a sub-client, at its next token, while its parent client is ${action}d`, async () => {
      const { client, sub } = await clientWithSubclient(['places:read'], ['places:read'])
      const before = await refreshed(sub)
      expect(permsOf(before.access_token)).toEqual(['places:read'])

      expect((await call('PATCH', `/api/v1/users/${client.id}/${action}`, { token: admin.access_token })).status).toBe(200)
      const during = await refreshed(before)
      expect(permsOf(during.access_token)).toEqual([])
      await expectError(await call('GET', '/api/v1/places', { token: during.access_token }), 403, 'forbidden')

      expect((await call('PATCH', `/api/v1/users/${client.id}/activate`, { token: admin.access_token })).status).toBe(200)
      expect(permsOf((await refreshed(during)).access_token)).toEqual(['places:read'])
    })
  }
})
