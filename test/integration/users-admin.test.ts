import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { login, newEmail, newPhone, PASSWORD } from '../helpers/factories'
import { type Caller, type Cast, claimsOf, createNamed, EVERYONE, listAll, newCast, userRow } from '../helpers/iam'
import { activeUser, newIp, registerPending } from '../helpers/otp'
import { useOutbox, withOutbox } from '../helpers/outbox'
import { countRows, expectSessionAlive, expectSessionDead, getMe, logInWith } from '../helpers/sessions'
import { createStaff, newUsername, staffLogin } from '../helpers/staff'

const box = useOutbox()

/** A hierarchy for the tests that change nothing (or only add accounts); the others make their own. */
let cast: Cast
beforeAll(async () => {
  cast = await withOutbox(newCast)
})

const getUser = (actor: Caller, id: string) => call('GET', `/api/v1/users/${id}`, { token: actor.access_token })
const patchUser = (actor: Caller, id: string, body: unknown) =>
  call('PATCH', `/api/v1/users/${id}`, { token: actor.access_token, json: body })
const setStatus = (actor: Caller, id: string, action: 'activate' | 'deactivate' | 'suspend') =>
  call('PATCH', `/api/v1/users/${id}/${action}`, { token: actor.access_token })
const deleteUser = (actor: Caller, id: string) => call('DELETE', `/api/v1/users/${id}`, { token: actor.access_token })

/** GET /users with a query string, as `actor`; expects 200 and returns the body. */
async function listUsers(actor: Caller, query: Record<string, string>) {
  const res = await call('GET', `/api/v1/users?${new URLSearchParams(query)}`, { token: actor.access_token })
  expect(res.status, await res.clone().text()).toBe(200)
  return json(res)
}

const ids = (items: Array<{ id: string }>) => items.map((u) => u.id).sort()

describe('GET /api/v1/users', () => {
  it('lists users to an admin and a super admin as { items, next_cursor }', async () => {
    for (const actor of [cast.admin, cast.super_admin]) {
      const body = await listUsers(actor, {})
      expect(body).toEqual({ items: expect.any(Array), next_cursor: expect.toBeOneOf([null, expect.any(String)]) })
      expect(body.items.length).toBeGreaterThan(0)
      for (const user of body.items) expect(JSON.stringify(user)).not.toMatch(/password|hash/i)
    }
  })

  it.each(['client', 'subclient', 'end_user'] as const)('refuses a %s with 403 forbidden', async (who) => {
    await expectError(await call('GET', '/api/v1/users', { token: cast[who].access_token }), 403, 'forbidden')
  })

  it('refuses a call without a token with 401 unauthorized', async () => {
    await expectError(await call('GET', '/api/v1/users'), 401, 'unauthorized')
  })

  it('filters by role', async () => {
    const client = await createStaff(cast.admin, 'client')
    const clients = await listAll('/api/v1/users?role=client', cast.admin.access_token)
    expect(clients.map((u) => u.id)).toEqual(expect.arrayContaining([client.id, cast.client.id]))
    expect(new Set(clients.map((u) => u.role))).toEqual(new Set(['client']))
    const particuliers = await listAll('/api/v1/users?role=particulier', cast.admin.access_token)
    expect(particuliers.map((u) => u.id)).toContain(cast.end_user.id)
    expect(new Set(particuliers.map((u) => u.role))).toEqual(new Set(['particulier']))
  })

  it('filters by status', async () => {
    const user = await activeUser(box)
    expect((await setStatus(cast.admin, user.user.id, 'suspend')).status).toBe(200)
    const suspended = await listAll('/api/v1/users?status=suspended', cast.admin.access_token)
    expect(suspended.map((u) => u.id)).toContain(user.user.id)
    expect(new Set(suspended.map((u) => u.status))).toEqual(new Set(['suspended']))
    const active = await listAll('/api/v1/users?status=active', cast.admin.access_token)
    expect(active.map((u) => u.id)).not.toContain(user.user.id)
    expect(active.map((u) => u.id)).toContain(cast.end_user.id)
  })

  it('refuses an unknown status with 400 validation_error', async () => {
    const res = await call('GET', '/api/v1/users?status=banned', { token: cast.admin.access_token })
    expect((await expectError(res, 400, 'validation_error')).fields).toHaveProperty('status')
  })

  it('searches the phone', async () => {
    const user = await activeUser(box)
    expect(ids((await listUsers(cast.admin, { q: user.phone })).items)).toEqual([user.user.id])
  })

  it('searches the email, whatever its case', async () => {
    const email = newEmail()
    const res = await call('POST', '/api/v1/clients', {
      token: cast.admin.access_token,
      json: { username: newUsername(), password: PASSWORD, email },
    })
    const client = await json(res)
    expect(ids((await listUsers(cast.admin, { q: email })).items)).toEqual([client.id])
    expect(ids((await listUsers(cast.admin, { q: email.toUpperCase() })).items)).toEqual([client.id])
  })

  it('searches the username', async () => {
    const client = await createStaff(cast.admin, 'client')
    const { items } = await listUsers(cast.admin, { q: client.username })
    expect(ids(items)).toContain(client.id)
    for (const u of items) expect(u.username).toContain(client.username)
  })

  it('searches the name', async () => {
    const user = await activeUser(box)
    const tag = newUsername('Tag')
    expect((await patchUser(cast.admin, user.user.id, { name: `Leila ${tag}` })).status).toBe(200)
    expect(ids((await listUsers(cast.admin, { q: tag })).items)).toEqual([user.user.id])
  })

  it('treats % and _ in q literally', async () => {
    const tag = newUsername('lit')
    const underscore = await createNamed(cast.admin, 'client', `${tag}_a`)
    const letter = await createNamed(cast.admin, 'client', `${tag}xa`)
    const user = await activeUser(box)
    expect((await patchUser(cast.admin, user.user.id, { name: `Promo ${tag}% off` })).status).toBe(200)

    // Unescaped, `_` would match the x and `%` would match both usernames.
    expect(ids((await listUsers(cast.admin, { q: `${tag}_a` })).items)).toEqual([underscore.id])
    expect(ids((await listUsers(cast.admin, { q: `${tag}%` })).items)).toEqual([user.user.id])
    expect(ids((await listUsers(cast.admin, { q: '%' })).items)).toEqual([user.user.id])
    expect(ids((await listUsers(cast.admin, { q: tag })).items)).toEqual(ids([underscore, letter, user.user]))
  })

  it('pages with limit and cursor, newest first, each user once', async () => {
    const tag = newUsername('page')
    const a = await createNamed(cast.admin, 'client', `${tag}a`)
    const b = await createNamed(cast.admin, 'client', `${tag}b`)
    const first = await listUsers(cast.admin, { q: tag, limit: '1' })
    expect(first.items).toHaveLength(1)
    expect(first.next_cursor).toEqual(expect.any(String))
    const next = await listUsers(cast.admin, { q: tag, limit: '1', cursor: first.next_cursor })
    expect(next.items).toHaveLength(1)
    expect(next.next_cursor).toBeNull()
    expect(ids([...first.items, ...next.items])).toEqual(ids([a, b]))
    expect(first.items[0].id > next.items[0].id).toBe(true)
  })

  it('hides from an admin the admins and super admins it may not read, as GET /users/{id} does', async () => {
    const admins = await listAll('/api/v1/users?role=admin', cast.admin.access_token)
    const roots = await listAll('/api/v1/users?role=super_admin', cast.admin.access_token)
    expect([...admins, ...roots]).toEqual([])
    const everyone = await listAll(`/api/v1/users?q=${cast.admin.username}`, cast.admin.access_token)
    expect(everyone).toEqual([])
    expect(ids(await listAll('/api/v1/users?role=admin', cast.super_admin.access_token))).toContain(cast.admin.id)
  })
})

describe('GET /api/v1/users/{id}', () => {
  it.each(EVERYONE)('lets a %s read itself', async (who) => {
    const res = await getUser(cast[who], cast[who].id)
    expect(res.status).toBe(200)
    const user = await json(res)
    expect(user).toMatchObject({ id: cast[who].id, role: who === 'end_user' ? 'particulier' : who, devices: [] })
    expect(JSON.stringify(user)).not.toMatch(/password|hash/i)
  })

  it('lets an admin read an end user, a client and a sub-client', async () => {
    for (const id of [cast.end_user.id, cast.client.id, cast.subclient.id]) {
      const res = await getUser(cast.admin, id)
      expect(res.status).toBe(200)
      expect((await json(res)).id).toBe(id)
    }
  })

  it('lets a super admin read an admin', async () => {
    const res = await getUser(cast.super_admin, cast.admin.id)
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ id: cast.admin.id, role: 'admin' })
  })

  it('answers 404 to an end user reading someone else, as for an id that does not exist', async () => {
    const other = await activeUser(box)
    await expectError(await getUser(cast.end_user, other.user.id), 404, 'not_found')
    await expectError(await getUser(cast.end_user, cast.admin.id), 404, 'not_found')
    await expectError(await getUser(cast.end_user, 'no-such-id'), 404, 'not_found')
  })

  it('answers 404 to an admin reading a super admin or another admin', async () => {
    const peer = await createStaff(cast.super_admin, 'admin')
    await expectError(await getUser(cast.admin, cast.super_admin.id), 404, 'not_found')
    await expectError(await getUser(cast.admin, peer.id), 404, 'not_found')
  })
})

describe('PATCH /api/v1/users/{id}', () => {
  it('lets an admin edit the name, email and phone of an end user', async () => {
    const user = await activeUser(box)
    const email = newEmail()
    const phone = newPhone()
    const res = await patchUser(cast.admin, user.user.id, {
      name: 'Leila',
      surname: 'Trabelsi',
      email: email.toUpperCase(),
      phone,
    })
    expect(res.status).toBe(200)
    // Contact details set by someone else are not proven by the user: unverified until confirmed.
    expect(await json(res)).toMatchObject({
      id: user.user.id,
      name: 'Leila',
      surname: 'Trabelsi',
      email,
      phone,
      email_verified: false,
      phone_verified: false,
      role: 'particulier',
    })
    expect(await json(await getUser(cast.admin, user.user.id))).toMatchObject({ name: 'Leila', email, phone })
    // Not a role change: the user's session lives on.
    expect((await getMe(user.access_token)).status).toBe(200)
  })

  it('refuses an unknown field with 400 validation_error and changes nothing', async () => {
    const user = await activeUser(box)
    const res = await patchUser(cast.admin, user.user.id, { name: 'Leila', is_verified: false, status: 'active' })
    const body = await expectError(res, 400, 'validation_error')
    expect(body.fields).toHaveProperty('is_verified')
    expect(body.fields).toHaveProperty('status')
    expect((await json(await getUser(cast.admin, user.user.id))).name).toBe('Ahmed')
  })

  it('refuses the email of another verified account with 409 email_taken', async () => {
    const email = newEmail()
    const holder = await activeUser(box)
    expect((await patchUser(cast.admin, holder.user.id, { email })).status).toBe(200)
    const user = await activeUser(box)
    await expectError(await patchUser(cast.admin, user.user.id, { email }), 409, 'email_taken')
    expect((await json(await getUser(cast.admin, user.user.id))).email).toBeNull()
  })

  it('refuses the phone of another account with 409 phone_taken', async () => {
    const holder = await activeUser(box)
    const user = await activeUser(box)
    await expectError(await patchUser(cast.admin, user.user.id, { phone: holder.phone }), 409, 'phone_taken')
    expect((await json(await getUser(cast.admin, user.user.id))).phone).toBe(user.phone)
  })

  it('answers 404 to an admin editing another admin or a super admin', async () => {
    const peer = await createStaff(cast.super_admin, 'admin')
    await expectError(await patchUser(cast.admin, peer.id, { name: 'Mallory' }), 404, 'not_found')
    await expectError(await patchUser(cast.admin, cast.super_admin.id, { name: 'Mallory' }), 404, 'not_found')
  })

  it('gives an end user the role client, ending its sessions; its next token carries the new role', async () => {
    const user = await activeUser(box)
    const res = await patchUser(cast.admin, user.user.id, { role: 'client' })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ id: user.user.id, role: 'client', parent_id: null })

    await expectError(await getMe(user.access_token), 401, 'invalid_token')
    await expectSessionDead(user)
    const next = await logInWith(user.phone)
    expect(next.user.role).toBe('client')
    expect(claimsOf(next.access_token)).toEqual({ role: 'client', perms: [] })
    await expectSessionAlive(next)
  })

  it('refuses to change the role of a client that still has sub-clients', async () => {
    const c = await newCast(box)
    const body = await expectError(await patchUser(c.admin, c.client.id, { role: 'particulier' }), 400, 'validation_error')
    expect(body.fields).toHaveProperty('role')
    expect(await userRow(c.client.id)).toMatchObject({ role: 'client' })
    expect((await getMe(c.client.access_token)).status).toBe(200)
  })
})

describe('activate, deactivate, suspend', () => {
  const NO_COOLDOWN = { OTP_RESEND_COOLDOWN_SECONDS: '0' }

  it('suspends an end user: its tokens stop at once, its password login is refused, activation restores it', async () => {
    const user = await activeUser(box)
    const res = await setStatus(cast.admin, user.user.id, 'suspend')
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ id: user.user.id, status: 'suspended' })

    await expectSessionDead(user)
    await expectError(await login({ phone: user.phone, password: PASSWORD }), 403, 'account_disabled')

    const activated = await setStatus(cast.admin, user.user.id, 'activate')
    expect(activated.status).toBe(200)
    expect((await json(activated)).status).toBe('active')
    await expectSessionAlive(await logInWith(user.phone))
  })

  it('activates a pending account (an admin vouching for it): it may log in, its phone still unverified', async () => {
    const { phone } = await registerPending(box, { env: NO_COOLDOWN })
    const id = await env.DB.prepare('SELECT id FROM users WHERE phone = ?').bind(phone).first<string>('id')
    const res = await setStatus(cast.admin, id as string, 'activate')
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ status: 'active', is_verified: false, phone_verified: false })
    expect((await login({ phone: phone, password: PASSWORD })).status).toBe(200)
    // A login code then proves the phone.
    const asked = await call('POST', '/api/v1/auth/login', { json: { phone, use_otp: true }, env: NO_COOLDOWN, ip: newIp() })
    expect(asked.status).toBe(202)
    const verified = await call('POST', '/api/v1/auth/verify', {
      json: { phone, code: box.lastCode(phone) },
      env: NO_COOLDOWN,
      ip: newIp(),
    })
    expect(verified.status, await verified.clone().text()).toBe(200)
    expect((await json(verified)).user).toMatchObject({ status: 'active', is_verified: true, phone_verified: true })
  })

  it('deactivates an end user, with the same revocation', async () => {
    const user = await activeUser(box)
    const res = await setStatus(cast.admin, user.user.id, 'deactivate')
    expect(res.status).toBe(200)
    expect((await json(res)).status).toBe('deactivated')
    await expectSessionDead(user)
    await expectError(await login({ phone: user.phone, password: PASSWORD }), 403, 'account_disabled')
    expect((await setStatus(cast.admin, user.user.id, 'activate')).status).toBe(200)
    expect((await login({ phone: user.phone, password: PASSWORD })).status).toBe(200)
  })

  it('refuses a code login to a suspended account', async () => {
    const user = await activeUser(box)
    expect((await setStatus(cast.admin, user.user.id, 'suspend')).status).toBe(200)
    box.clear()
    // No resend cooldown: the sign-up code was just sent to this phone.
    const sent = await call('POST', '/api/v1/auth/login', {
      json: { phone: user.phone, use_otp: true },
      ip: newIp(),
      env: { OTP_RESEND_COOLDOWN_SECONDS: '0' },
    })
    expect(sent.status).toBe(202)
    expect(box.to(user.phone)).toEqual([])
  })

  it('answers 404 to an admin suspending another admin, and lets a super admin do it', async () => {
    const peer = await createStaff(cast.super_admin, 'admin')
    await expectError(await setStatus(cast.admin, peer.id, 'suspend'), 404, 'not_found')
    await expectError(await setStatus(cast.admin, peer.id, 'deactivate'), 404, 'not_found')
    expect(await userRow(peer.id)).toMatchObject({ status: 'active' })
    expect((await call('GET', '/api/v1/clients', { token: peer.access_token })).status).toBe(200)

    const res = await setStatus(cast.super_admin, peer.id, 'suspend')
    expect(res.status).toBe(200)
    expect((await json(res)).status).toBe('suspended')
    await expectError(await call('GET', '/api/v1/clients', { token: peer.access_token }), 401, 'invalid_token')
    const login = await call('POST', '/api/v1/auth/login', { json: { username: peer.username, password: PASSWORD } })
    await expectError(login, 403, 'account_disabled')
  })

  it('answers 404 to an admin suspending a super admin or itself', async () => {
    const c = await newCast(box)
    await expectError(await setStatus(c.admin, c.super_admin.id, 'suspend'), 404, 'not_found')
    await expectError(await setStatus(c.admin, c.admin.id, 'suspend'), 404, 'not_found')
    await expectError(await setStatus(c.super_admin, c.super_admin.id, 'deactivate'), 404, 'not_found')
    expect((await getMe(c.admin.access_token)).status).toBe(200)
    expect((await getMe(c.super_admin.access_token)).status).toBe(200)
  })

  it.each(['subclient', 'end_user'] as const)('refuses a %s changing anyone’s status with 403', async (who) => {
    const c = await newCast(box)
    for (const action of ['activate', 'deactivate', 'suspend'] as const) {
      await expectError(await setStatus(c[who], c.subclient.id, action), 403, 'forbidden')
      await expectError(await setStatus(c[who], c.end_user.id, action), 403, 'forbidden')
    }
    expect(await userRow(c.subclient.id)).toMatchObject({ status: 'active' })
    expect(await userRow(c.end_user.id)).toMatchObject({ status: 'active' })
  })

  it('refuses a client changing the status of anyone but its own sub-clients with 404 (SPEC §13)', async () => {
    const c = await newCast(box)
    for (const action of ['activate', 'deactivate', 'suspend'] as const) {
      await expectError(await setStatus(c.client, c.other_subclient.id, action), 404, 'not_found')
      await expectError(await setStatus(c.client, c.end_user.id, action), 404, 'not_found')
    }
    expect(await userRow(c.other_subclient.id)).toMatchObject({ status: 'active' })
    expect(await userRow(c.end_user.id)).toMatchObject({ status: 'active' })
  })
})

describe('DELETE /api/v1/users/{id}', () => {
  it('lets an admin delete an end user: 204, its token stops, its row is gone', async () => {
    const user = await activeUser(box)
    const res = await deleteUser(cast.admin, user.user.id)
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    await expectSessionDead(user)
    expect(await countRows('users', 'id', user.user.id)).toBe(0)
    expect(await countRows('sessions', 'user_id', user.user.id)).toBe(0)
    await expectError(await getUser(cast.admin, user.user.id), 404, 'not_found')
    await expectError(await login({ phone: user.phone, password: PASSWORD }), 401, 'invalid_credentials')
  })

  it('answers 404 to an admin deleting a super admin or another admin, and keeps them', async () => {
    const peer = await createStaff(cast.super_admin, 'admin')
    await expectError(await deleteUser(cast.admin, cast.super_admin.id), 404, 'not_found')
    await expectError(await deleteUser(cast.admin, peer.id), 404, 'not_found')
    expect(await countRows('users', 'id', cast.super_admin.id)).toBe(1)
    expect(await countRows('users', 'id', peer.id)).toBe(1)
  })

  it('refuses deleting a client that still has sub-clients (400, nothing changed), and deletes it once they are gone', async () => {
    const c = await newCast(box)
    const body = await expectError(await deleteUser(c.admin, c.client.id), 400, 'validation_error')
    expect(body.fields?.id).toMatch(/sub-clients/)
    expect(await countRows('users', 'id', c.client.id)).toBe(1)
    const alive = await expectSessionAlive(c.client)
    // The client itself is refused the same way, before anything is revoked.
    const own = await call('DELETE', '/api/v1/me', { token: alive.access_token, json: { password: PASSWORD } })
    await expectError(own, 400, 'validation_error')
    await expectSessionAlive(alive)

    expect((await deleteUser(c.admin, c.subclient.id)).status).toBe(204)
    expect((await deleteUser(c.admin, c.client.id)).status).toBe(204)
    expect(await countRows('users', 'id', c.client.id)).toBe(0)
  })

  it('lets a super admin delete an admin', async () => {
    const peer = await createStaff(cast.super_admin, 'admin')
    expect((await deleteUser(cast.super_admin, peer.id)).status).toBe(204)
    await expectError(await getMe(peer.access_token), 401, 'invalid_token')
    await expectError(
      await call('POST', '/api/v1/auth/login', { json: { username: peer.username, password: PASSWORD } }),
      401,
      'invalid_credentials',
    )
  })

  it("refuses a client deleting another client's sub-client or an end user with 404; its own goes (SPEC §13)", async () => {
    const c = await newCast(box)
    await expectError(await deleteUser(c.client, c.other_subclient.id), 404, 'not_found')
    await expectError(await deleteUser(c.client, c.end_user.id), 404, 'not_found')
    expect((await staffLogin(c.other_subclient.username)).id).toBe(c.other_subclient.id)
    expect(await userRow(c.end_user.id)).toMatchObject({ status: 'active' })
    expect((await deleteUser(c.client, c.subclient.id)).status).toBe(204)
    expect(await userRow(c.subclient.id)).toBeNull()
  })
})
