import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { readAudit } from '../helpers/audit'
import { lastEmail } from '../helpers/email'
import { login, newEmail, newPhone, PASSWORD } from '../helpers/factories'
import { type Caller, type Cast, newCast, userRow } from '../helpers/iam'
import { requestReset } from '../helpers/otp'
import { useOutbox, withOutbox } from '../helpers/outbox'
import { expectSessionAlive, expectSessionDead, getMe } from '../helpers/sessions'
import { createStaff, type Staff, staffLogin } from '../helpers/staff'

// SPEC §13: clients manage their own sub-clients (edit, activate, deactivate, suspend, delete, a new
// password) through the /users/{id} routes of §6.4; admins set a new password for the staff they
// act on. A password set by someone else ends every session of the account.

const box = useOutbox()

const NEW_PASSWORD = 'Sfax-Wind7-2027'

type Action = 'edit' | 'activate' | 'deactivate' | 'suspend' | 'delete' | 'password'
const ACTIONS: Action[] = ['edit', 'activate', 'deactivate', 'suspend', 'delete', 'password']

/** One of the six actions, as `actor`, on user `id`. */
function act(actor: Caller, action: Action, id: string): Promise<Response> {
  const token = actor.access_token
  switch (action) {
    case 'edit':
      return call('PATCH', `/api/v1/users/${id}`, { token, json: { name: 'Mallory' } })
    case 'delete':
      return call('DELETE', `/api/v1/users/${id}`, { token })
    case 'password':
      return setPassword(actor, id)
    default:
      return call('PATCH', `/api/v1/users/${id}/${action}`, { token })
  }
}

/** POST /users/{id}/password as `actor`. */
const setPassword = (actor: Caller, id: string, password = NEW_PASSWORD) =>
  call('POST', `/api/v1/users/${id}/password`, { token: actor.access_token, json: { new_password: password } })

/** What the actions change, as stored: a refused action must leave all of it as it was. */
const stateOf = (id: string) =>
  env.DB.prepare('SELECT name, status, password_hash, role, parent_id FROM users WHERE id = ?').bind(id).first()

/** Both kinds of login of a staff account: the new password works, the old one no longer does. */
async function expectPasswordIs(s: Staff, password: string, old: string) {
  expect((await login({ username: s.username, password })).status).toBe(200)
  await expectError(await login({ username: s.username, password: old }), 401, 'invalid_credentials')
}

describe('who may act on whom through /users/{id} (refused: nothing changes)', () => {
  // One hierarchy: every row here is refused, so none changes what the next one sees.
  let cast: Cast
  let sibling: Staff
  beforeAll(async () => {
    cast = await withOutbox(newCast)
    sibling = await createStaff(cast.client, 'subclient')
  })

  type Actor = 'client' | 'subclient' | 'end_user' | 'admin'
  type Target = 'other_subclient' | 'other_client' | 'admin' | 'super_admin' | 'end_user' | 'sibling' | 'client' | 'subclient'
  const rows: Array<{ who: Actor; target: Target; status: number; code: string; note: string }> = [
    // A client acts only on sub-clients whose parent it is: anyone else is hidden (404, as a missing id).
    { who: 'client', target: 'other_subclient', status: 404, code: 'not_found', note: "another client's sub-client" },
    { who: 'client', target: 'other_client', status: 404, code: 'not_found', note: 'another client' },
    { who: 'client', target: 'admin', status: 404, code: 'not_found', note: 'an admin' },
    { who: 'client', target: 'super_admin', status: 404, code: 'not_found', note: 'a super admin' },
    { who: 'client', target: 'end_user', status: 404, code: 'not_found', note: 'an end user' },
    // Sub-clients and end users manage nobody: 403 whatever the target.
    { who: 'subclient', target: 'sibling', status: 403, code: 'forbidden', note: 'its sibling' },
    { who: 'subclient', target: 'client', status: 403, code: 'forbidden', note: 'its own client' },
    { who: 'end_user', target: 'subclient', status: 403, code: 'forbidden', note: 'a sub-client' },
    // An admin acts on no peer or superior.
    { who: 'admin', target: 'super_admin', status: 404, code: 'not_found', note: 'a super admin' },
  ]
  const idOf = (t: Target) => (t === 'sibling' ? sibling.id : cast[t].id)

  it.each(rows.flatMap((row) => ACTIONS.map((action) => ({ ...row, action }))))(
    'a $who acting on $note ($action) -> $status $code',
    async ({ who, target, status, code, action }) => {
      const id = idOf(target)
      const before = await stateOf(id)
      await expectError(await act(cast[who], action, id), status, code)
      expect(await stateOf(id)).toEqual(before)
    },
  )

  it('answers an unknown id as it answers another client’s sub-client (404)', async () => {
    for (const action of ACTIONS) await expectError(await act(cast.client, action, 'no-such-id'), 404, 'not_found')
  })

  it('keeps the refused targets’ sessions alive', async () => {
    await expectSessionAlive(await staffLogin(cast.other_subclient.username))
    await expectSessionAlive(await staffLogin(sibling.username))
  })
})

describe('a client managing its own sub-clients', () => {
  let cast: Cast
  beforeAll(async () => {
    cast = await withOutbox(newCast)
  })
  /** A fresh sub-client of the cast's client, signed in. */
  const newSub = () => createStaff(cast.client, 'subclient')

  it('edits its name, surname, email and phone (200), the new contacts unverified', async () => {
    const sub = await newSub()
    const phone = newPhone()
    const email = newEmail()
    const res = await call('PATCH', `/api/v1/users/${sub.id}`, {
      token: cast.client.access_token,
      json: { name: 'Amira', surname: 'Trabelsi', email, phone },
    })
    expect(res.status, await res.clone().text()).toBe(200)
    expect(await json(res)).toMatchObject({
      id: sub.id,
      name: 'Amira',
      surname: 'Trabelsi',
      email,
      phone,
      email_verified: false,
      phone_verified: false,
      role: 'subclient',
      parent_id: cast.client.id,
    })
    const events = await readAudit(cast.admin.access_token, `user_id=${sub.id}&type=user_updated`)
    expect(events.items[0]).toMatchObject({ actor_id: cast.client.id, subject_id: sub.id })
  })

  it('cannot change its role (403), nor give it another client’s phone (409)', async () => {
    const sub = await newSub()
    for (const role of ['client', 'particulier', 'admin']) {
      await expectError(
        await call('PATCH', `/api/v1/users/${sub.id}`, { token: cast.client.access_token, json: { role } }),
        403,
        'forbidden',
      )
    }
    const taken = await createStaff(cast.admin, 'client', { phone: newPhone() })
    const takenPhone = (await json(await call('GET', `/api/v1/users/${taken.id}`, { token: cast.admin.access_token }))).phone
    await expectError(
      await call('PATCH', `/api/v1/users/${sub.id}`, { token: cast.client.access_token, json: { phone: takenPhone } }),
      409,
      'phone_taken',
    )
    expect(await userRow(sub.id)).toMatchObject({ role: 'subclient', parent_id: cast.client.id })
  })

  it.each(['deactivate', 'suspend'] as const)('can %s it: every session ends and it cannot sign in (403)', async (action) => {
    const sub = await newSub()
    const res = await act(cast.client, action, sub.id)
    expect(res.status, await res.clone().text()).toBe(200)
    expect((await json(res)).status).toBe(action === 'suspend' ? 'suspended' : 'deactivated')
    await expectSessionDead(sub)
    await expectError(await login({ username: sub.username, password: PASSWORD }), 403, 'account_disabled')
    const events = await readAudit(cast.admin.access_token, `user_id=${sub.id}&type=status_changed`)
    expect(events.items[0]).toMatchObject({ actor_id: cast.client.id, detail: { from: 'active', to: expect.any(String) } })
  })

  it('can activate it again, and it signs in', async () => {
    const sub = await newSub()
    expect((await act(cast.client, 'suspend', sub.id)).status).toBe(200)
    const res = await act(cast.client, 'activate', sub.id)
    expect(res.status).toBe(200)
    expect((await json(res)).status).toBe('active')
    expect((await staffLogin(sub.username)).role).toBe('subclient')
  })

  it('can delete it (204): its row and sessions are gone', async () => {
    const sub = await newSub()
    const res = await act(cast.client, 'delete', sub.id)
    expect(res.status).toBe(204)
    expect(await userRow(sub.id)).toBeNull()
    await expectSessionDead(sub)
    await expectError(await call('GET', `/api/v1/users/${sub.id}`, { token: cast.client.access_token }), 404, 'not_found')
    const events = await readAudit(cast.admin.access_token, `user_id=${sub.id}&type=user_deleted`)
    expect(events.items[0]).toMatchObject({ actor_id: cast.client.id })
  })

  it('sets it a new password: the old one stops working and every session ends', async () => {
    const sub = await newSub()
    const second = await staffLogin(sub.username)
    const res = await setPassword(cast.client, sub.id)
    expect(res.status, await res.clone().text()).toBe(200)
    expect(await json(res)).toEqual({ message: 'Password set', detail: expect.any(String) })
    await expectSessionDead(sub)
    await expectSessionDead(second)
    await expectPasswordIs(sub, NEW_PASSWORD, PASSWORD)
  })

  it('audits the new password (password_set) and the sessions it ended, with no secret in them', async () => {
    const sub = await newSub()
    expect((await setPassword(cast.client, sub.id)).status).toBe(200)
    const set = await readAudit(cast.admin.access_token, `user_id=${sub.id}&type=password_set`)
    expect(set.items).toHaveLength(1)
    expect(set.items[0]).toMatchObject({ actor_id: cast.client.id, subject_id: sub.id })
    const revoked = await readAudit(cast.admin.access_token, `user_id=${sub.id}&type=sessions_revoked`)
    expect(revoked.items[0]).toMatchObject({ actor_id: cast.client.id, detail: { reason: 'password_set', count: 1 } })
    expect(JSON.stringify([set, revoked])).not.toContain(NEW_PASSWORD)
  })

  it('stores the new password as an scrypt hash with the configured parameters', async () => {
    const sub = await newSub()
    expect((await setPassword(cast.client, sub.id)).status).toBe(200)
    const row = await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
      .bind(sub.id)
      .first<{ password_hash: string }>()
    expect(row?.password_hash).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/)
    expect(row?.password_hash).not.toContain(NEW_PASSWORD)
  })

  it.each([
    ['too short', 'Ab1-xyz'],
    ['too common', 'Password1'],
    ['without a digit or upper-case letter', 'only-lower-case-letters'],
  ])('refuses a weak password (%s) with 400 on new_password, changing nothing', async (_, password) => {
    const sub = await newSub()
    const before = await stateOf(sub.id)
    const body = await expectError(await setPassword(cast.client, sub.id, password), 400, 'validation_error')
    expect(body.fields).toHaveProperty('new_password')
    expect(await stateOf(sub.id)).toEqual(before)
    await expectSessionAlive(sub)
  })

  it('refuses the sub-client’s own username as its password (400)', async () => {
    const sub = await newSub()
    const body = await expectError(await setPassword(cast.client, sub.id, `${sub.username}`), 400, 'validation_error')
    expect(body.fields).toHaveProperty('new_password')
  })

  it('refuses a body with an unknown field or no new_password (400)', async () => {
    const sub = await newSub()
    const path = `/api/v1/users/${sub.id}/password`
    const token = cast.client.access_token
    const extra = await call('POST', path, { token, json: { new_password: NEW_PASSWORD, old_password: PASSWORD } })
    expect((await expectError(extra, 400, 'validation_error')).fields).toHaveProperty('old_password')
    await expectError(await call('POST', path, { token, json: {} }), 400, 'validation_error')
    await expectError(
      await call('POST', path, { token, body: 'x', headers: { 'content-type': 'text/plain' } }),
      415,
      'unsupported_media_type',
    )
    await expectSessionAlive(sub)
  })

  it('refuses a call without a token (401)', async () => {
    const sub = await newSub()
    await expectError(
      await call('POST', `/api/v1/users/${sub.id}/password`, { json: { new_password: NEW_PASSWORD } }),
      401,
      'unauthorized',
    )
  })
})

describe('admins setting a new password', () => {
  let cast: Cast
  beforeAll(async () => {
    cast = await withOutbox(newCast)
  })

  it.each(['client', 'subclient'] as const)('an admin sets a %s’s password; its sessions end', async (kind) => {
    const target = kind === 'client' ? await createStaff(cast.admin, 'client') : await createStaff(cast.client, 'subclient')
    const res = await setPassword(cast.admin, target.id)
    expect(res.status, await res.clone().text()).toBe(200)
    await expectSessionDead(target)
    await expectPasswordIs(target, NEW_PASSWORD, PASSWORD)
    const events = await readAudit(cast.admin.access_token, `user_id=${target.id}&type=password_set`)
    expect(events.items[0]).toMatchObject({ actor_id: cast.admin.id, subject_id: target.id })
  })

  it('a super admin sets an admin’s password; an admin cannot set another admin’s (404)', async () => {
    const admin = await createStaff(cast.super_admin, 'admin')
    const peer = await createStaff(cast.super_admin, 'admin')
    await expectError(await setPassword(cast.admin, peer.id), 404, 'not_found')
    await expectSessionAlive(peer)
    expect((await setPassword(cast.super_admin, admin.id)).status).toBe(200)
    await expectSessionDead(admin)
    await expectPasswordIs(admin, NEW_PASSWORD, PASSWORD)
  })

  it('nobody sets a super admin’s password, nor their own through this route (404)', async () => {
    await expectError(await setPassword(cast.admin, cast.super_admin.id), 404, 'not_found')
    await expectError(await setPassword(cast.super_admin, cast.super_admin.id), 404, 'not_found')
    await expectError(await setPassword(cast.client, cast.client.id), 404, 'not_found')
  })

  it('refuses an end user’s password (403): end users choose their own, by a reset code', async () => {
    const before = await stateOf(cast.end_user.id)
    const body = await expectError(await setPassword(cast.admin, cast.end_user.id), 403, 'forbidden')
    expect(body.detail).toMatch(/reset/)
    expect(await stateOf(cast.end_user.id)).toEqual(before)
    expect((await getMe(cast.end_user.access_token)).status).toBe(200)
  })

  it('ends a reset code sent before the new password (400 invalid_code)', async () => {
    const phone = newPhone()
    const client = await createStaff(cast.admin, 'client', { phone })
    // A code login verifies the phone, the only kind of address a reset code goes to.
    expect((await login({ phone, use_otp: true })).status).toBe(202)
    expect((await call('POST', '/api/v1/auth/verify', { json: { phone, code: box.lastCode(phone) } })).status).toBe(200)
    // A second code to the same phone at once: the resend cooldown is off for this request.
    expect((await requestReset(phone, { OTP_RESEND_COOLDOWN_SECONDS: '0' })).status).toBe(202)
    const code = box.lastCode(phone)
    expect((await setPassword(cast.admin, client.id)).status).toBe(200)
    const res = await call('POST', '/api/v1/auth/confirm-reset', { json: { phone, code, new_password: 'Gabes-Sun9-2028' } })
    await expectError(res, 400, 'invalid_code')
    await expectPasswordIs(client, NEW_PASSWORD, PASSWORD)
  })

  it('tells the account’s verified email that its password was changed', async () => {
    const email = newEmail()
    const client = await createStaff(cast.admin, 'client', { email })
    await env.DB.prepare('UPDATE users SET email_verified = 1 WHERE id = ?').bind(client.id).run()
    box.clear()
    expect((await setPassword(cast.admin, client.id)).status).toBe(200)
    const text = lastEmail(box, email)
    expect(text).toMatch(/password/i)
    expect(text).not.toContain(NEW_PASSWORD)
  })
})
