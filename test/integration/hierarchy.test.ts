import { beforeAll, describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { login, newPhone, PASSWORD } from '../helpers/factories'
import {
  type Cast,
  claimsOf,
  EVERYONE,
  getPlaces,
  grant,
  listAll,
  newCast,
  newPolicy,
  postPlace,
  putPolicies,
  relogin,
  usernameCount,
  userRow,
  type Who,
} from '../helpers/iam'
import { activeUser } from '../helpers/otp'
import { useOutbox, withOutbox } from '../helpers/outbox'
import { createStaff, newUsername } from '../helpers/staff'

const box = useOutbox()

/**
 * One hierarchy shared by the matrices below: their allowed rows only add accounts and set the
 * same policy again, so they do not change what the next row sees.
 */
let cast: Cast
let readPolicy: string
beforeAll(async () => {
  cast = await withOutbox(newCast)
  readPolicy = await newPolicy(cast.admin, ['places:read'])
  await grant(cast.admin, cast.client.id, [readPolicy])
})

const createAs = (who: Who, path: string, body: Record<string, unknown>) =>
  call('POST', `/api/v1/${path}`, { token: cast[who].access_token, json: { password: PASSWORD, ...body } })

describe('who can create whom', () => {
  interface CreateRow {
    who: Who
    path: 'admins' | 'clients' | 'subclients'
    note: string
    clientId?: (c: Cast) => string
    status: number
    code?: string
    role?: string
    parent?: (c: Cast) => string
  }
  const denied = (who: Who, path: CreateRow['path'], clientId?: CreateRow['clientId'], note = ''): CreateRow => ({
    who,
    path,
    note,
    clientId,
    status: 403,
    code: 'forbidden',
  })
  const rows: CreateRow[] = [
    { who: 'super_admin', path: 'admins', note: '', status: 201, role: 'admin' },
    denied('admin', 'admins'),
    denied('client', 'admins'),
    denied('subclient', 'admins'),
    denied('end_user', 'admins'),

    { who: 'super_admin', path: 'clients', note: '', status: 201, role: 'client' },
    { who: 'admin', path: 'clients', note: '', status: 201, role: 'client' },
    denied('client', 'clients'),
    denied('subclient', 'clients'),
    denied('end_user', 'clients'),

    {
      who: 'super_admin',
      path: 'subclients',
      note: 'naming a client',
      clientId: (c) => c.client.id,
      status: 201,
      role: 'subclient',
      parent: (c) => c.client.id,
    },
    {
      who: 'admin',
      path: 'subclients',
      note: 'naming a client',
      clientId: (c) => c.client.id,
      status: 201,
      role: 'subclient',
      parent: (c) => c.client.id,
    },
    { who: 'admin', path: 'subclients', note: 'without client_id', status: 400, code: 'validation_error' },
    {
      who: 'admin',
      path: 'subclients',
      note: 'naming a sub-client as client',
      clientId: (c) => c.subclient.id,
      status: 404,
      code: 'not_found',
    },
    {
      who: 'admin',
      path: 'subclients',
      note: 'naming an admin as client',
      clientId: (c) => c.admin.id,
      status: 404,
      code: 'not_found',
    },
    {
      who: 'admin',
      path: 'subclients',
      note: 'naming an end user as client',
      clientId: (c) => c.end_user.id,
      status: 404,
      code: 'not_found',
    },
    { who: 'admin', path: 'subclients', note: 'naming no one', clientId: () => 'no-such-id', status: 404, code: 'not_found' },
    { who: 'client', path: 'subclients', note: 'for itself', status: 201, role: 'subclient', parent: (c) => c.client.id },
    {
      who: 'client',
      path: 'subclients',
      note: 'naming itself',
      clientId: (c) => c.client.id,
      status: 201,
      role: 'subclient',
      parent: (c) => c.client.id,
    },
    denied('client', 'subclients', (c) => c.other_client.id, "naming another client's id"),
    denied('subclient', 'subclients'),
    denied('subclient', 'subclients', (c) => c.client.id, 'naming its own parent'),
    denied('end_user', 'subclients'),
    denied('end_user', 'subclients', (c) => c.client.id, 'naming a client'),
  ]

  it.each(rows)('$who POST /$path $note -> $status', async (row) => {
    const username = newUsername('new')
    const body = { username, ...(row.clientId ? { client_id: row.clientId(cast) } : {}) }
    const res = await createAs(row.who, row.path, body)
    if (row.status === 201) {
      expect(res.status, await res.clone().text()).toBe(201)
      const user = await json(res)
      expect(user).toMatchObject({ username, role: row.role, status: 'active', parent_id: row.parent?.(cast) ?? null })
      expect(JSON.stringify(user)).not.toMatch(/password|hash/i)
      expect(await userRow(user.id)).toMatchObject({ role: row.role, parent_id: row.parent?.(cast) ?? null })
    } else {
      await expectError(res, row.status, row.code as string)
      expect(await usernameCount(username)).toBe(0)
    }
  })

  it('names client_id in the fields of the 400 when an admin leaves it out', async () => {
    const body = await expectError(await createAs('admin', 'subclients', { username: newUsername() }), 400, 'validation_error')
    expect(body.fields).toHaveProperty('client_id')
  })
})

describe('who can see whom', () => {
  const rows: Array<{ who: Who; path: string; status: number; role: string }> = [
    ...EVERYONE.map((who) => ({ who, path: 'admins', status: who === 'super_admin' ? 200 : 403, role: 'admin' })),
    ...EVERYONE.map((who) => ({
      who,
      path: 'clients',
      status: who === 'super_admin' || who === 'admin' ? 200 : 403,
      role: 'client',
    })),
    ...EVERYONE.map((who) => ({
      who,
      path: 'subclients',
      status: who === 'subclient' || who === 'end_user' ? 403 : 200,
      role: 'subclient',
    })),
  ]

  it.each(rows)('$who GET /$path -> $status', async ({ who, path, status, role }) => {
    const res = await call('GET', `/api/v1/${path}`, { token: cast[who].access_token })
    if (status === 403) {
      await expectError(res, 403, 'forbidden')
      return
    }
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toEqual({ items: expect.any(Array), next_cursor: expect.toBeOneOf([null, expect.any(String)]) })
    expect(body.items.length).toBeGreaterThan(0)
    for (const item of body.items) expect(item.role).toBe(role)
  })

  it('lists the admins a super admin made, and only admins', async () => {
    const admins = await listAll('/api/v1/admins', cast.super_admin.access_token)
    expect(admins.map((u) => u.id)).toContain(cast.admin.id)
    expect(new Set(admins.map((u) => u.role))).toEqual(new Set(['admin']))
  })

  it('lists every client to an admin, and only clients', async () => {
    const clients = await listAll('/api/v1/clients', cast.admin.access_token)
    expect(clients.map((u) => u.id)).toEqual(expect.arrayContaining([cast.client.id, cast.other_client.id]))
    expect(new Set(clients.map((u) => u.role))).toEqual(new Set(['client']))
  })

  it("shows an admin every client's sub-clients, and only one client's with ?client_id=", async () => {
    const all = await listAll('/api/v1/subclients', cast.admin.access_token)
    expect(all.map((u) => u.id)).toEqual(expect.arrayContaining([cast.subclient.id, cast.other_subclient.id]))
    const mine = await listAll(`/api/v1/subclients?client_id=${cast.other_client.id}`, cast.admin.access_token)
    expect(mine.map((u) => u.id)).toEqual([cast.other_subclient.id])
  })

  it("shows a client only its own sub-clients, even when it asks for another client's", async () => {
    const c = await newCast(box)
    const second = await createStaff(c.client, 'subclient')
    const expected = [c.subclient.id, second.id].sort()
    const own = await listAll('/api/v1/subclients', c.client.access_token)
    expect(own.map((u) => u.id).sort()).toEqual(expected)
    for (const u of own) expect(u.parent_id).toBe(c.client.id)
    const asked = await listAll(`/api/v1/subclients?client_id=${c.other_client.id}`, c.client.access_token)
    expect(asked.map((u) => u.id).sort()).toEqual(expected)
  })

  it('pages with ?limit= and next_cursor, newest first, each item once', async () => {
    const c = await newCast(box)
    const second = await createStaff(c.client, 'subclient')
    const path = `/api/v1/subclients?client_id=${c.client.id}&limit=1`
    const first = await json(await call('GET', path, { token: c.admin.access_token }))
    expect(first.items).toHaveLength(1)
    expect(first.next_cursor).toEqual(expect.any(String))
    const next = await json(await call('GET', `${path}&cursor=${first.next_cursor}`, { token: c.admin.access_token }))
    expect(next.items).toHaveLength(1)
    expect(next.next_cursor).toBeNull()
    expect([first.items[0].id, next.items[0].id].sort()).toEqual([c.subclient.id, second.id].sort())
    expect(first.items[0].id > next.items[0].id).toBe(true)
  })

  it('pages the admins list too', async () => {
    const c = await newCast(box)
    await createStaff(c.super_admin, 'admin')
    const first = await json(await call('GET', '/api/v1/admins?limit=1', { token: c.super_admin.access_token }))
    expect(first.items).toHaveLength(1)
    expect(first.next_cursor).toEqual(expect.any(String))
    const next = await json(
      await call('GET', `/api/v1/admins?limit=1&cursor=${first.next_cursor}`, { token: c.super_admin.access_token }),
    )
    expect(next.items).toHaveLength(1)
    expect(next.items[0].id).not.toBe(first.items[0].id)
    expect(next.items[0].role).toBe('admin')
  })

  it('refuses a limit above 100 with 400 validation_error', async () => {
    const res = await call('GET', '/api/v1/clients?limit=101', { token: cast.admin.access_token })
    const body = await expectError(res, 400, 'validation_error')
    expect(body.fields).toHaveProperty('limit')
  })
})

describe('staff login', () => {
  it('logs a client in by username, whatever its case', async () => {
    const username = `Mixed.${newUsername('Case')}`
    const created = await createAs('admin', 'clients', { username })
    expect(created.status).toBe(201)
    expect((await json(created)).username).toBe(username.toLowerCase())
    for (const typed of [username, username.toUpperCase(), username.toLowerCase()]) {
      const res = await login({ username: typed, password: PASSWORD })
      expect(res.status, typed).toBe(200)
      const body = await json(res)
      expect(body.user).toMatchObject({ username: username.toLowerCase(), role: 'client' })
      expect(claimsOf(body.access_token).role).toBe('client')
    }
  })

  it('refuses a wrong password for a username with 401 invalid_credentials', async () => {
    const username = newUsername()
    expect((await createAs('admin', 'clients', { username })).status).toBe(201)
    await expectError(await login({ username, password: 'Wrong-Pass-2026' }), 401, 'invalid_credentials')
  })

  it('logs a client created with a phone in by phone and password', async () => {
    const phone = newPhone()
    expect((await createAs('admin', 'clients', { username: newUsername(), phone })).status).toBe(201)
    // Typed the national way: the same number (SPEC §4).
    const national = `${phone.slice(4, 6)} ${phone.slice(6, 9)} ${phone.slice(9)}`
    const res = await login({ phone: national, password: PASSWORD })
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ phone, role: 'client' })
  })

  it('logs a client created with an email in by email and password', async () => {
    const email = `${newUsername('mail')}@example.tn`
    expect((await createAs('admin', 'clients', { username: newUsername(), email: email.toUpperCase() })).status).toBe(201)
    const res = await login({ email, password: PASSWORD })
    expect(res.status).toBe(200)
    expect((await json(res)).user).toMatchObject({ email, role: 'client' })
  })

  it('logs a client in by a code texted to its phone', async () => {
    const phone = newPhone()
    expect((await createAs('admin', 'clients', { username: newUsername(), phone })).status).toBe(201)
    const sent = await login({ phone, use_otp: true })
    expect(sent.status).toBe(202)
    const res = await call('POST', '/api/v1/auth/verify', { json: { phone, code: box.lastCode(phone) } })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.user).toMatchObject({ phone, role: 'client', phone_verified: true })
    expect(claimsOf(body.access_token)).toEqual({ role: 'client', perms: [] })
  })
})

describe('staff creation conflicts and password policy', () => {
  it('refuses a username already taken, in any case, with 409 username_taken', async () => {
    const username = newUsername('dup')
    expect((await createAs('admin', 'clients', { username })).status).toBe(201)
    await expectError(await createAs('admin', 'clients', { username: username.toUpperCase() }), 409, 'username_taken')
    await expectError(await createAs('super_admin', 'admins', { username }), 409, 'username_taken')
    expect(await usernameCount(username)).toBe(1)
  })

  it("refuses another account's phone with 409 phone_taken", async () => {
    const user = await activeUser(box)
    await expectError(await createAs('admin', 'clients', { username: newUsername(), phone: user.phone }), 409, 'phone_taken')
    const phone = newPhone()
    expect((await createAs('admin', 'clients', { username: newUsername(), phone })).status).toBe(201)
    const username = newUsername()
    await expectError(await createAs('client', 'subclients', { username, phone }), 409, 'phone_taken')
    expect(await usernameCount(username)).toBe(0)
  })

  it("refuses another account's email, in any case, with 409 email_taken", async () => {
    const email = `${newUsername('mail')}@example.tn`
    expect((await createAs('admin', 'clients', { username: newUsername(), email })).status).toBe(201)
    const username = newUsername()
    await expectError(await createAs('admin', 'clients', { username, email: email.toUpperCase() }), 409, 'email_taken')
    expect(await usernameCount(username)).toBe(0)
  })

  it.each([
    ['too short', () => 'Ab1-xyz'],
    ['without a digit or upper-case letter', () => 'only-lower-case-letters'],
    ['too common', () => 'Password1'],
  ])('refuses a weak password (%s) with 400 validation_error', async (_, password) => {
    const username = newUsername()
    const res = await createAs('admin', 'clients', { username, password: password() })
    const body = await expectError(res, 400, 'validation_error')
    expect(body.fields).toHaveProperty('password')
    expect(await usernameCount(username)).toBe(0)
  })

  it('refuses a password equal to the username with 400 validation_error', async () => {
    const username = `Ab1${newUsername('x')}`
    const body = await expectError(await createAs('admin', 'clients', { username, password: username }), 400, 'validation_error')
    expect(body.fields).toHaveProperty('password')
  })
})

describe("a client reaching another client's sub-client", () => {
  it('cannot read it: 404 not_found, as for an id that does not exist', async () => {
    const c = await newCast(box)
    const a = await call('GET', `/api/v1/users/${c.other_subclient.id}`, { token: c.client.access_token })
    const missing = await call('GET', '/api/v1/users/no-such-id', { token: c.client.access_token })
    await expectError(a, 404, 'not_found')
    await expectError(missing, 404, 'not_found')
    await expectError(await call('GET', `/api/v1/users/${c.other_client.id}`, { token: c.client.access_token }), 404, 'not_found')
    const own = await call('GET', `/api/v1/users/${c.subclient.id}`, { token: c.client.access_token })
    expect(own.status).toBe(200)
    expect(await json(own)).toMatchObject({ id: c.subclient.id, parent_id: c.client.id })
  })

  it('cannot set its policies: 404 not_found, while its own sub-client is allowed', async () => {
    const c = await newCast(box)
    await expectError(await putPolicies(c.client, c.other_subclient.id, []), 404, 'not_found')
    expect((await putPolicies(c.client, c.subclient.id, [])).status).toBe(200)
  })

  it('cannot suspend it: 404 not_found, as for an unknown id, while its own sub-client can be (SPEC §13)', async () => {
    const c = await newCast(box)
    for (const id of [c.other_subclient.id, 'no-such-id']) {
      await expectError(await call('PATCH', `/api/v1/users/${id}/suspend`, { token: c.client.access_token }), 404, 'not_found')
    }
    expect(await userRow(c.other_subclient.id)).toMatchObject({ status: 'active' })
    expect((await relogin(c.other_subclient)).role).toBe('subclient')
    expect((await call('PATCH', `/api/v1/users/${c.subclient.id}/suspend`, { token: c.client.access_token })).status).toBe(200)
    expect(await userRow(c.subclient.id)).toMatchObject({ status: 'suspended' })
  })
})

describe('who can attach policies to whom', () => {
  type Target = 'super_admin' | 'admin' | 'other_admin' | 'client' | 'subclient' | 'other_client' | 'other_subclient' | 'end_user'
  const rows: Array<{ who: Who; target: Target; status: number; code?: string; perms?: string[] }> = [
    { who: 'super_admin', target: 'client', status: 200 },
    { who: 'super_admin', target: 'subclient', status: 200 },
    { who: 'super_admin', target: 'admin', status: 400, code: 'validation_error' },
    { who: 'super_admin', target: 'end_user', status: 400, code: 'validation_error' },
    { who: 'super_admin', target: 'super_admin', status: 404, code: 'not_found' },
    { who: 'admin', target: 'client', status: 200 },
    { who: 'admin', target: 'subclient', status: 200 },
    // Attached, but capped by its parent, which holds nothing.
    { who: 'admin', target: 'other_subclient', status: 200, perms: [] },
    { who: 'admin', target: 'end_user', status: 400, code: 'validation_error' },
    { who: 'admin', target: 'admin', status: 404, code: 'not_found' },
    { who: 'admin', target: 'other_admin', status: 404, code: 'not_found' },
    { who: 'admin', target: 'super_admin', status: 404, code: 'not_found' },
    { who: 'client', target: 'subclient', status: 200 },
    { who: 'client', target: 'client', status: 404, code: 'not_found' },
    { who: 'client', target: 'other_client', status: 404, code: 'not_found' },
    { who: 'client', target: 'other_subclient', status: 404, code: 'not_found' },
    { who: 'client', target: 'end_user', status: 404, code: 'not_found' },
    { who: 'subclient', target: 'subclient', status: 404, code: 'not_found' },
    { who: 'subclient', target: 'client', status: 404, code: 'not_found' },
    { who: 'end_user', target: 'end_user', status: 404, code: 'not_found' },
    { who: 'end_user', target: 'client', status: 404, code: 'not_found' },
  ]
  let otherAdmin: string
  beforeAll(async () => {
    otherAdmin = (await createStaff(cast.super_admin, 'admin')).id
  })
  const idOf = (t: Target) => (t === 'other_admin' ? otherAdmin : cast[t].id)

  it.each(rows)('$who PUT /users/{$target}/policies -> $status', async ({ who, target, status, code, perms }) => {
    // The policy holds only places:read, which the cast's client holds, so clients pass the ceiling.
    const res = await putPolicies(cast[who], idOf(target), [readPolicy])
    if (status === 200) {
      expect(res.status, await res.clone().text()).toBe(200)
      const body = await json(res)
      expect(body.policies.map((p: { id: string }) => p.id)).toEqual([readPolicy])
      expect(body.permissions).toEqual(perms ?? ['places:read'])
    } else {
      await expectError(res, status, code as string)
    }
  })
})

describe('no privilege escalation', () => {
  it('refuses a client granting its sub-client a permission it does not hold, naming it', async () => {
    const c = await newCast(box)
    const read = await newPolicy(c.admin, ['places:read'])
    const readWrite = await newPolicy(c.admin, ['places:read', 'places:write', 'audit:read'])
    await grant(c.admin, c.client.id, [read])

    const body = await expectError(await putPolicies(c.client, c.subclient.id, [readWrite]), 403, 'forbidden')
    expect(body.detail).toContain('places:write')
    expect(body.detail).toContain('audit:read')
    expect(body.detail).not.toContain('places:read')
    expect(claimsOf((await relogin(c.subclient)).access_token).perms).toEqual([])

    const res = await putPolicies(c.client, c.subclient.id, [read])
    expect(res.status).toBe(200)
    expect((await json(res)).permissions).toEqual(['places:read'])
  })

  it('refuses a client granting a wildcard it holds only part of', async () => {
    const c = await newCast(box)
    const read = await newPolicy(c.admin, ['places:read'])
    const all = await newPolicy(c.admin, ['places:*'])
    const star = await newPolicy(c.admin, ['*'])
    await grant(c.admin, c.client.id, [read])
    await expectError(await putPolicies(c.client, c.subclient.id, [all]), 403, 'forbidden')
    const body = await expectError(await putPolicies(c.client, c.subclient.id, [star]), 403, 'forbidden')
    expect(body.detail).toContain('*')
  })

  it('lets a client holding places:* grant places:write', async () => {
    const c = await newCast(box)
    await grant(c.admin, c.client.id, [await newPolicy(c.admin, ['places:*'])])
    const res = await putPolicies(c.client, c.subclient.id, [await newPolicy(c.admin, ['places:write'])])
    expect(res.status).toBe(200)
    expect((await json(res)).permissions).toEqual(['places:write'])
  })

  const patch = (actor: { access_token: string }, id: string, body: Record<string, unknown>) =>
    call('PATCH', `/api/v1/users/${id}`, { token: actor.access_token, json: body })

  it('refuses an admin changing the role of another admin or of a super admin with 404', async () => {
    const c = await newCast(box)
    const peer = await createStaff(c.super_admin, 'admin')
    await expectError(await patch(c.admin, peer.id, { role: 'client' }), 404, 'not_found')
    await expectError(await patch(c.admin, c.super_admin.id, { role: 'client' }), 404, 'not_found')
    expect(await userRow(peer.id)).toMatchObject({ role: 'admin' })
    expect(await userRow(c.super_admin.id)).toMatchObject({ role: 'super_admin' })
  })

  it('refuses an admin giving the role admin (403), and lets a super admin do it', async () => {
    const c = await newCast(box)
    const body = await expectError(await patch(c.admin, c.end_user.id, { role: 'admin' }), 403, 'forbidden')
    expect(body.detail).toContain('admin')
    expect(await userRow(c.end_user.id)).toMatchObject({ role: 'particulier' })
    const res = await patch(c.super_admin, c.end_user.id, { role: 'admin' })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ id: c.end_user.id, role: 'admin' })
  })

  it('refuses the role super_admin to everyone, a super admin included', async () => {
    const c = await newCast(box)
    for (const actor of [c.super_admin, c.admin]) {
      await expectError(await patch(actor, c.end_user.id, { role: 'super_admin' }), 403, 'forbidden')
      await expectError(await patch(actor, c.client.id, { role: 'super_admin' }), 403, 'forbidden')
    }
    const admin = await createStaff(c.super_admin, 'admin')
    await expectError(await patch(c.super_admin, admin.id, { role: 'super_admin' }), 403, 'forbidden')
    expect(await userRow(admin.id)).toMatchObject({ role: 'admin' })
  })

  it('answers 400 validation_error for a role that does not exist, naming the roles that do', async () => {
    const c = await newCast(box)
    for (const role of ['overlord', 'PARTICULIER', 'Admin', '']) {
      const body = await expectError(await patch(c.super_admin, c.end_user.id, { role }), 400, 'validation_error')
      expect(body.fields?.role).toMatch(/^Unknown role; one of: super_admin, admin, client, subclient, particulier/)
    }
    expect(await userRow(c.end_user.id)).toMatchObject({ role: 'particulier' })
  })

  it('refuses giving the role subclient through PATCH (a sub-client needs a parent)', async () => {
    const c = await newCast(box)
    await expectError(await patch(c.admin, c.end_user.id, { role: 'subclient' }), 403, 'forbidden')
  })

  it.each(EVERYONE.flatMap((who) => ['super_admin', 'admin', 'particulier'].map((role) => ({ who, role }))))(
    '$who cannot change its own role to $role (403)',
    async ({ who, role }) => {
      const res = await patch(cast[who], cast[who].id, { role })
      const body = await expectError(res, 403, 'forbidden')
      expect(body.detail).toMatch(/own role/)
      expect((await userRow(cast[who].id))?.role).toBe(who === 'end_user' ? 'particulier' : who)
    },
  )

  it('refuses a client editing anyone but its own sub-clients (404), and their role (403)', async () => {
    const c = await newCast(box)
    for (const id of [c.other_subclient.id, c.end_user.id, c.client.id, c.other_client.id, c.admin.id]) {
      await expectError(await patch(c.client, id, { name: 'Mallory' }), 404, 'not_found')
    }
    await expectError(await patch(c.client, c.subclient.id, { role: 'client' }), 403, 'forbidden')
    expect(await userRow(c.subclient.id)).toMatchObject({ role: 'subclient', parent_id: c.client.id })
    expect((await patch(c.client, c.subclient.id, { name: 'Amira' })).status).toBe(200)
  })

  it('refuses a sub-client or an end user editing anyone (403)', async () => {
    const c = await newCast(box)
    await expectError(await patch(c.subclient, c.end_user.id, { name: 'Mallory' }), 403, 'forbidden')
    await expectError(await patch(c.end_user, c.subclient.id, { name: 'Mallory' }), 403, 'forbidden')
  })
})

describe('the sub-client permission ceiling', () => {
  it('takes a permission from a sub-client at its next token when its parent client loses it', async () => {
    const c = await newCast(box)
    const p1 = await newPolicy(c.admin, ['places:read', 'places:write'])
    const p2 = await newPolicy(c.admin, ['places:read'])
    await grant(c.admin, c.client.id, [p1])
    await grant(c.client, c.subclient.id, [p1])

    const before = await relogin(c.subclient)
    expect(claimsOf(before.access_token).perms).toEqual(['places:read', 'places:write'])
    expect((await postPlace(before.access_token)).status).toBe(201)

    await grant(c.admin, c.client.id, [p2])
    const after = await relogin(c.subclient)
    expect(claimsOf(after.access_token).perms).toEqual(['places:read'])
    const body = await expectError(await postPlace(after.access_token), 403, 'forbidden')
    expect(body.detail).toContain('places:write')
    expect((await getPlaces(after.access_token)).status).toBe(200)

    // Its own policy is untouched: only the ceiling moved, and the client can no longer re-grant it.
    const client = await relogin(c.client)
    expect(claimsOf(client.access_token).perms).toEqual(['places:read'])
    await expectError(await putPolicies(client, c.subclient.id, [p1]), 403, 'forbidden')
  })

  it("caps a sub-client's wildcard at its parent's permissions", async () => {
    const c = await newCast(box)
    await grant(c.admin, c.client.id, [await newPolicy(c.admin, ['places:read'])])
    await grant(c.admin, c.subclient.id, [await newPolicy(c.admin, ['places:*'])])
    const sub = await relogin(c.subclient)
    expect(claimsOf(sub.access_token).perms).toEqual(['places:read'])
    expect((await getPlaces(sub.access_token)).status).toBe(200)
    await expectError(await postPlace(sub.access_token), 403, 'forbidden')
  })

  it('gives a sub-client nothing its own policies do not name, whatever its parent holds', async () => {
    const c = await newCast(box)
    await grant(c.admin, c.client.id, [await newPolicy(c.admin, ['places:*'])])
    const sub = await relogin(c.subclient)
    expect(claimsOf(sub.access_token).perms).toEqual([])
    await expectError(await getPlaces(sub.access_token), 403, 'forbidden')
  })
})

describe('places', () => {
  it('lets a client holding places:* read and write', async () => {
    const c = await newCast(box)
    await grant(c.admin, c.client.id, [await newPolicy(c.admin, ['places:*'])])
    const client = await relogin(c.client)
    expect(claimsOf(client.access_token).perms).toEqual(['places:*'])
    expect((await getPlaces(client.access_token)).status).toBe(200)
    expect((await postPlace(client.access_token)).status).toBe(201)
  })

  it.each(['super_admin', 'admin'] as const)('lets a %s (who holds *) read and write without any policy', async (who) => {
    expect(claimsOf(cast[who].access_token).perms).toEqual(['*'])
    const created = await postPlace(cast[who].access_token)
    expect(created.status).toBe(201)
    const place = await json(created)
    expect(place).toMatchObject({ kind: 'ev_charger', lat: 36.8, lng: 10.18, address: null })
    const list = await json(await getPlaces(cast[who].access_token))
    expect(list.items.map((p: { id: string }) => p.id)).toContain(place.id)
  })

  it('lets a client holding only places:read read but not write', async () => {
    const c = await newCast(box)
    await grant(c.admin, c.client.id, [await newPolicy(c.admin, ['places:read'])])
    const client = await relogin(c.client)
    expect((await getPlaces(client.access_token)).status).toBe(200)
    await expectError(await postPlace(client.access_token), 403, 'forbidden')
  })

  it.each(['client', 'subclient', 'end_user'] as const)('refuses a %s without permissions with 403 forbidden', async (who) => {
    const c = await newCast(box)
    const body = await expectError(await getPlaces(c[who].access_token), 403, 'forbidden')
    expect(body.detail).toContain('places:read')
    await expectError(await postPlace(c[who].access_token), 403, 'forbidden')
  })

  it('refuses a call without a token with 401 unauthorized', async () => {
    await expectError(await call('GET', '/api/v1/places'), 401, 'unauthorized')
    await expectError(await call('POST', '/api/v1/places', { json: { name: 'x' } }), 401, 'unauthorized')
  })

  it('refuses a latitude of 200 with 400 validation_error', async () => {
    const res = await postPlace(cast.admin.access_token, { name: 'Nowhere', kind: 'ev_charger', lat: 200, lng: 10 })
    const body = await expectError(res, 400, 'validation_error')
    expect(body.fields).toHaveProperty('lat')
  })
})
