import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { patchMe } from '../helpers/account'
import { call, expectError, json } from '../helpers/app'
import { emailUser } from '../helpers/email'
import { newEmail, newPhone, PASSWORD } from '../helpers/factories'
import { activeUser, newIp } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { countRows, getMe, logInWith, sidOf } from '../helpers/sessions'
import { createSuperAdmin } from '../helpers/staff'

const box = useOutbox()

let deviceCounter = 0
/** A device id no other test of this file uses. */
const newDeviceId = () => `inv-${Date.now()}-${++deviceCounter}`

function addDevice(token: string, body: unknown): Promise<Response> {
  return call('POST', '/api/v1/me/devices', { token, json: body })
}

/** The user's row as stored, for checking that a refused request changed nothing. */
function userRow(id: string) {
  return env.DB.prepare(
    'SELECT name, surname, email, role, status, phone_verified, email_verified, updated_at FROM users WHERE id = ?',
  )
    .bind(id)
    .first()
}

describe('PATCH /api/v1/me', () => {
  it('updates name and surname and answers the updated user', async () => {
    const { access_token, user } = await activeUser(box)
    const res = await patchMe(access_token, { name: 'Leila', surname: 'Ben Salem' })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ id: user.id, name: 'Leila', surname: 'Ben Salem', phone: user.phone })
    expect(await json(await getMe(access_token))).toMatchObject({ name: 'Leila', surname: 'Ben Salem' })
  })

  it('holds a new email as pending (SPEC §6.2), normalised', async () => {
    const { access_token } = await activeUser(box)
    const email = newEmail()
    const res = await patchMe(access_token, { email: `  ${email.toUpperCase()} `, current_password: PASSWORD })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({
      email: null,
      pending_email: email,
      email_verified: false,
      phone_verified: true,
      is_verified: true,
    })
  })

  it('refuses an email another account has verified with 409 email_taken', async () => {
    const holder = await emailUser(box, {})
    const { access_token, user } = await activeUser(box)
    // The send limits now run first (no hash for a refused change): the holder's own code was sent just now.
    await env.DB.prepare('UPDATE otp_challenges SET created_at = created_at - 61000 WHERE destination = ?')
      .bind(`email:${holder.email}`)
      .run()
    await expectError(await patchMe(access_token, { email: holder.email, current_password: PASSWORD }), 409, 'email_taken')
    expect((await userRow(user.id))?.email).toBeNull()
  })

  it('takes an email another account holds unverified: typing an address locks its owner out of nothing', async () => {
    // A squatter signs up with its phone and someone else's email, which it cannot verify.
    const phone = newPhone()
    const email = newEmail()
    const reg = await call('POST', '/api/v1/auth/register', { json: { phone, email, password: PASSWORD }, ip: newIp() })
    expect(reg.status).toBe(201)
    const squatter = await json(await call('POST', '/api/v1/auth/verify', { json: { phone, code: box.lastCode(phone) } }))
    expect((await json(await getMe(squatter.access_token))).email).toBe(email) // its profile is cached now

    const owner = await activeUser(box)
    const res = await patchMe(owner.access_token, { email, current_password: PASSWORD })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ pending_email: email, email_verified: false })
    // SPEC §6.2: a pending email reserves nothing; confirming it takes it from the squatter.
    expect((await userRow(squatter.user.id))?.email).toBe(email)
    const code = box.lastCode(email)
    const confirmed = await call('POST', '/api/v1/auth/email/verify', { token: owner.access_token, json: { code } })
    expect(await json(confirmed)).toMatchObject({ email, email_verified: true, pending_email: null })
    expect((await userRow(squatter.user.id))?.email).toBeNull()
    expect((await json(await getMe(squatter.access_token))).email).toBeNull()
    const events = await env.DB.prepare("SELECT detail FROM audit_events WHERE type = 'user_updated' AND subject_id = ?")
      .bind(squatter.user.id)
      .all<{ detail: string }>()
    expect(events.results.map((e) => JSON.parse(e.detail))).toEqual([{ email: 'released', reason: 'claimed_by_another_account' }])
  })

  it('refuses an unknown field (role) with 400 validation_error and changes nothing', async () => {
    const { access_token, user } = await activeUser(box)
    const before = await userRow(user.id)
    const body = await expectError(await patchMe(access_token, { name: 'Mallory', role: 'admin' }), 400, 'validation_error')
    expect(body.fields).toHaveProperty('role')
    expect(await userRow(user.id)).toEqual(before)
    expect(before).toMatchObject({ role: 'particulier' })
  })

  it('refuses is_verified with 400 validation_error and changes nothing', async () => {
    const { access_token, user } = await activeUser(box)
    await patchMe(access_token, { email: newEmail(), current_password: PASSWORD })
    const before = await userRow(user.id)
    const body = await expectError(
      await patchMe(access_token, { is_verified: true, email_verified: true }),
      400,
      'validation_error',
    )
    expect(body.fields).toHaveProperty('is_verified')
    expect(await userRow(user.id)).toEqual(before)
    expect(before).toMatchObject({ email_verified: 0 })
  })
})

describe('DELETE /api/v1/me', () => {
  it('refuses a wrong password with 401 invalid_credentials and keeps the account', async () => {
    const { access_token, user } = await activeUser(box)
    const res = await call('DELETE', '/api/v1/me', { token: access_token, json: { password: 'Wrong-Passw0rd' } })
    await expectError(res, 401, 'invalid_credentials')
    expect((await getMe(access_token)).status).toBe(200)
    expect(await countRows('users', 'id', user.id)).toBe(1)
  })

  it('deletes the account with the right password: tokens, login, row, sessions and devices all gone', async () => {
    const signedIn = await activeUser(box)
    const other = await logInWith(signedIn.phone)
    expect((await addDevice(signedIn.access_token, { device_id: newDeviceId(), type: 'inverter' })).status).toBe(201)
    const id = signedIn.user.id

    const res = await call('DELETE', '/api/v1/me', { token: signedIn.access_token, json: { password: PASSWORD } })
    expect(res.status).toBe(204)

    for (const session of [signedIn, other]) {
      await expectError(await getMe(session.access_token), 401, 'invalid_token')
      // A route that never reads the user row: only the revocation mark can refuse the token.
      await expectError(await call('GET', '/api/v1/me/devices', { token: session.access_token }), 401, 'invalid_token')
      const refresh = await call('POST', '/api/v1/auth/refresh', { json: { refresh_token: session.refresh_token } })
      await expectError(refresh, 401, 'invalid_token')
    }
    const login = await call('POST', '/api/v1/auth/login', { json: { phone: signedIn.phone, password: PASSWORD } })
    await expectError(login, 401, 'invalid_credentials')

    expect(await countRows('users', 'id', id)).toBe(0)
    expect(await countRows('sessions', 'user_id', id)).toBe(0)
    expect(await countRows('devices', 'user_id', id)).toBe(0)
    const history = await env.DB.prepare('SELECT count(*) AS n FROM refresh_token_history WHERE session_id IN (?, ?)')
      .bind(sidOf(signedIn.access_token), sidOf(other.access_token))
      .first<{ n: number }>()
    expect(history?.n).toBe(0)
  })

  it('frees the phone for a new registration', async () => {
    const signedIn = await activeUser(box)
    expect((await call('DELETE', '/api/v1/me', { token: signedIn.access_token, json: { password: PASSWORD } })).status).toBe(204)
    // The register code sent at sign-up is still inside the default resend cooldown.
    const reg = await call('POST', '/api/v1/auth/register', {
      json: { phone: signedIn.phone, password: PASSWORD },
      ip: newIp(),
      env: { OTP_RESEND_COOLDOWN_SECONDS: '0' },
    })
    expect(reg.status).toBe(201)
  })
})

describe('devices', () => {
  it('registers a device: 201 with device_id, type and registered_at', async () => {
    const { access_token } = await activeUser(box)
    const res = await addDevice(access_token, { device_id: 'inv-001', type: 'inverter' })
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(Object.keys(body).sort()).toEqual(['device_id', 'registered_at', 'type'])
    expect(body).toMatchObject({ device_id: 'inv-001', type: 'inverter' })
    expect(new Date(body.registered_at).toISOString()).toBe(body.registered_at)
  })

  it('answers the same device id again, for the same user, with 409 device_taken', async () => {
    const { access_token } = await activeUser(box)
    const deviceId = newDeviceId()
    expect((await addDevice(access_token, { device_id: deviceId, type: 'inverter' })).status).toBe(201)
    await expectError(await addDevice(access_token, { device_id: deviceId, type: 'meter' }), 409, 'device_taken')
  })

  it("answers another user's device id with 409 device_taken and leaves it with its owner", async () => {
    const owner = await activeUser(box)
    const other = await activeUser(box)
    const deviceId = newDeviceId()
    expect((await addDevice(owner.access_token, { device_id: deviceId, type: 'inverter' })).status).toBe(201)
    await expectError(await addDevice(other.access_token, { device_id: deviceId, type: 'inverter' }), 409, 'device_taken')
    const list = await json(await call('GET', '/api/v1/me/devices', { token: owner.access_token }))
    expect(list.items.map((d: { device_id: string }) => d.device_id)).toEqual([deviceId])
  })

  it('lists the devices at GET /me/devices and in the user object of GET /me', async () => {
    const { access_token } = await activeUser(box)
    const deviceId = newDeviceId()
    const added = await json(await addDevice(access_token, { device_id: deviceId, type: 'battery' }))

    const res = await call('GET', '/api/v1/me/devices', { token: access_token })
    expect(res.status).toBe(200)
    const list = await json(res)
    expect(list.items).toEqual([added])
    expect((await json(await getMe(access_token))).devices).toEqual([added])
  })

  it('pages GET /me/devices with limit and cursor, oldest first, without gaps or repeats', async () => {
    const { access_token } = await activeUser(box)
    const ids = [newDeviceId(), newDeviceId(), newDeviceId()]
    for (const device_id of ids) expect((await addDevice(access_token, { device_id, type: 'inverter' })).status).toBe(201)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
      const body = await json(await call('GET', `/api/v1/me/devices${query}`, { token: access_token }))
      expect(body.items.length).toBeLessThanOrEqual(2)
      seen.push(...body.items.map((d: { device_id: string }) => d.device_id))
      cursor = body.next_cursor
    } while (cursor)
    // The pages join up into the whole list, in its order (by registration time, then id).
    const whole = await json(await call('GET', '/api/v1/me/devices', { token: access_token }))
    expect(seen).toEqual(whole.items.map((d: { device_id: string }) => d.device_id))
    expect([...seen].sort()).toEqual([...ids].sort())
    await expectError(await call('GET', '/api/v1/me/devices?limit=0', { token: access_token }), 400, 'validation_error')
  })

  it('removes a device with 204, and answers 404 not_found the second time', async () => {
    const { access_token } = await activeUser(box)
    const deviceId = newDeviceId()
    expect((await addDevice(access_token, { device_id: deviceId, type: 'inverter' })).status).toBe(201)

    const res = await call('DELETE', `/api/v1/me/devices/${deviceId}`, { token: access_token })
    expect(res.status).toBe(204)
    expect((await json(await call('GET', '/api/v1/me/devices', { token: access_token }))).items).toEqual([])
    await expectError(await call('DELETE', `/api/v1/me/devices/${deviceId}`, { token: access_token }), 404, 'not_found')
  })

  it("answers 404 to removing another user's device and keeps it", async () => {
    const owner = await activeUser(box)
    const other = await activeUser(box)
    const deviceId = newDeviceId()
    expect((await addDevice(owner.access_token, { device_id: deviceId, type: 'inverter' })).status).toBe(201)
    await expectError(await call('DELETE', `/api/v1/me/devices/${deviceId}`, { token: other.access_token }), 404, 'not_found')
    expect((await json(await getMe(owner.access_token))).devices).toHaveLength(1)
  })

  it('refuses a bad device body with 400 validation_error', async () => {
    const { access_token } = await activeUser(box)
    const bodies = [
      {},
      { device_id: newDeviceId() },
      { type: 'inverter' },
      { device_id: '', type: 'inverter' },
      { device_id: 'has space', type: 'inverter' },
      { device_id: 'x'.repeat(129), type: 'inverter' },
      { device_id: newDeviceId(), type: 'inverter', user_id: 'someone-else' },
    ]
    for (const body of bodies) await expectError(await addDevice(access_token, body), 400, 'validation_error')
    expect((await json(await call('GET', '/api/v1/me/devices', { token: access_token }))).items).toEqual([])
  })
})

describe('DELETE /me for a super admin', () => {
  const deleteMe = (token: string) => call('DELETE', '/api/v1/me', { token, json: { password: PASSWORD } })
  /** Leaves `keep` as the only active super admins (others of this file are suspended). */
  const onlyActiveSuperAdmins = (...keep: string[]) =>
    env.DB.prepare(
      `UPDATE users SET status = 'suspended' WHERE role = 'super_admin' AND id NOT IN (${keep.map(() => '?').join(', ')})`,
    )
      .bind(...keep)
      .run()
  const activeSuperAdmins = async () =>
    (
      await env.DB.prepare("SELECT count(*) AS n FROM users WHERE role = 'super_admin' AND status = 'active'").first<{
        n: number
      }>()
    )?.n

  it('refuses the only active super admin (403), logs nothing out, and allows it once another exists', async () => {
    const root = await createSuperAdmin()
    await onlyActiveSuperAdmins(root.id)
    await expectError(await deleteMe(root.access_token), 403, 'forbidden')
    expect((await getMe(root.access_token)).status).toBe(200)

    const second = await createSuperAdmin()
    expect((await deleteMe(root.access_token)).status).toBe(204)
    expect(await countRows('users', 'id', root.id)).toBe(0)
    expect(await countRows('users', 'id', second.id)).toBe(1)
  })

  it('keeps one of two super admins deleting themselves at once', async () => {
    const [a, b] = [await createSuperAdmin(), await createSuperAdmin()]
    await onlyActiveSuperAdmins(a.id, b.id)
    const statuses = (await Promise.all([deleteMe(a.access_token), deleteMe(b.access_token)])).map((r) => r.status).sort()
    expect(statuses).toEqual([204, 403])
    expect(await activeSuperAdmins()).toBe(1)
  })
})

describe('DELETE /me for a passwordless account (OTP sign-up)', () => {
  it('works once the account has set a password through the reset flow, which needs only the phone', async () => {
    const vars = { OTP_SIGNUP: 'true', OTP_RESEND_COOLDOWN_SECONDS: '0' }
    const phone = newPhone()
    expect((await call('POST', '/api/v1/auth/login', { json: { phone, use_otp: true }, env: vars, ip: newIp() })).status).toBe(
      202,
    )
    const signedUp = await call('POST', '/api/v1/auth/verify', { json: { phone, code: box.lastCode(phone) }, env: vars })
    expect(signedUp.status).toBe(200)
    const { access_token } = await json(signedUp)
    // No password yet: DELETE /me cannot be confirmed.
    await expectError(
      await call('DELETE', '/api/v1/me', { token: access_token, json: { password: PASSWORD } }),
      401,
      'invalid_credentials',
    )

    expect((await call('POST', '/api/v1/auth/reset-password', { json: { phone }, env: vars, ip: newIp() })).status).toBe(202)
    const reset = await call('POST', '/api/v1/auth/confirm-reset', {
      json: { phone, code: box.lastCode(phone), new_password: 'Carthage-Vent7-2027' },
      env: vars,
      ip: newIp(),
    })
    expect(reset.status).toBe(200)
    const again = await logInWith(phone, { password: 'Carthage-Vent7-2027' })
    const res = await call('DELETE', '/api/v1/me', { token: again.access_token, json: { password: 'Carthage-Vent7-2027' } })
    expect(res.status).toBe(204)
  })
})
