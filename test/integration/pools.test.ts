import { env } from 'cloudflare:workers'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { call, expectError, json } from '../helpers/app'
import { lastEmail } from '../helpers/email'
import { newEmail, newIp, newPhone, PASSWORD } from '../helpers/factories'
import { useOutbox } from '../helpers/outbox'
import { createSuperAdmin } from '../helpers/staff'

// SPEC §12. Two pools besides `default`; the second overrides some settings. The resend cooldown,
// shared by every pool (a phone gets one code a minute, whatever the pool), is off here so one
// person can register in both pools within a test.
const vars = {
  USER_POOLS: JSON.stringify({
    user1: {},
    user2: { app_name: 'Rides', end_user_roles: ['driver', 'rider'], password_min_length: 12, otp_signup: true },
    strict: { email_verification: 'required' },
  }),
  OTP_RESEND_COOLDOWN_SECONDS: '0',
}
const OTHER_PASSWORD = 'Sellers-Mark3t-2026'

const box = useOutbox()

/** `path` (under /api/v1) of `pool`; `default`'s own routes for `default`. */
const at = (pool: string, path: string) => (pool === 'default' ? `/api/v1${path}` : `/api/v1/pools/${pool}${path}`)

function send(pool: string, method: string, path: string, opts: { json?: unknown; token?: string } = {}) {
  return call(method, at(pool, path), { ...opts, env: vars, ip: newIp() })
}

/** Registers and verifies an account in `pool`; its token response. */
async function signUpIn(pool: string, body: { phone?: string; email?: string; password?: string }) {
  const reg = await send(pool, 'POST', '/auth/register', { json: { password: PASSWORD, name: 'Amel', ...body } })
  expect(reg.status, await reg.clone().text()).toBe(201)
  const address = (body.phone ?? body.email) as string
  const id = body.phone ? { phone: body.phone } : { email: body.email }
  const res = await send(pool, 'POST', '/auth/verify', { json: { ...id, code: box.lastCode(address) } })
  expect(res.status, await res.clone().text()).toBe(200)
  return json(res)
}

describe('one phone, one account per pool', () => {
  it('registers the same phone and email in two pools as two accounts with their own passwords', async () => {
    const [phone, email] = [newPhone(), newEmail()]
    const one = await signUpIn('user1', { phone, email, password: PASSWORD })
    const two = await signUpIn('user2', { phone, email, password: `${OTHER_PASSWORD}!` })
    expect(one.user).toMatchObject({ pool: 'user1', phone, email, role: 'particulier' })
    expect(two.user).toMatchObject({ pool: 'user2', phone, email, role: 'driver' })
    expect(two.user.id).not.toBe(one.user.id)

    const login = (pool: string, password: string) => send(pool, 'POST', '/auth/login', { json: { phone, password } })
    expect((await login('user1', PASSWORD)).status).toBe(200)
    expect((await login('user2', `${OTHER_PASSWORD}!`)).status).toBe(200)
    await expectError(await login('user1', `${OTHER_PASSWORD}!`), 401, 'invalid_credentials')
    await expectError(await login('user2', PASSWORD), 401, 'invalid_credentials')
    // `default` has no account for this phone.
    await expectError(await login('default', PASSWORD), 401, 'invalid_credentials')
    const byEmail = await send('user2', 'POST', '/auth/login', { json: { email, password: `${OTHER_PASSWORD}!` } })
    expect((await json(byEmail)).user.id).toBe(two.user.id)
  })

  it("issues tokens with the pool's issuer and a pool claim", async () => {
    const { access_token } = await signUpIn('user1', { phone: newPhone() })
    expect(decodeJwt(access_token)).toMatchObject({ iss: 'https://auth.test/pools/user1', pool: 'user1', aud: 'edge-auth-test' })
    const { access_token: plain } = await signUpIn('default', { phone: newPhone() })
    expect(decodeJwt(plain)).toMatchObject({ iss: 'https://auth.test', pool: 'default' })
  })

  it('keeps a device id of one pool free in the others', async () => {
    const a = await signUpIn('user1', { phone: newPhone() })
    const b = await signUpIn('user2', { phone: newPhone(), password: `${OTHER_PASSWORD}!` })
    const device = { device_id: `inv-${crypto.randomUUID()}`, type: 'inverter' }
    expect((await send('user1', 'POST', '/me/devices', { json: device, token: a.access_token })).status).toBe(201)
    expect((await send('user2', 'POST', '/me/devices', { json: device, token: b.access_token })).status).toBe(201)
    await expectError(await send('user1', 'POST', '/me/devices', { json: device, token: a.access_token }), 409, 'device_taken')
  })
})

describe('nothing crosses pools', () => {
  it("refuses a pool's access token on another pool's routes and on default's", async () => {
    const { access_token } = await signUpIn('user1', { phone: newPhone() })
    expect((await send('user1', 'GET', '/me', { token: access_token })).status).toBe(200)
    for (const pool of ['user2', 'default']) {
      await expectError(await send(pool, 'GET', '/me', { token: access_token }), 401, 'invalid_token')
    }
    const fromDefault = await signUpIn('default', { phone: newPhone() })
    await expectError(await send('user1', 'GET', '/me', { token: fromDefault.access_token }), 401, 'invalid_token')
  })

  it("refuses a pool's refresh token on another pool's routes, and the token still works in its own", async () => {
    const { refresh_token } = await signUpIn('user1', { phone: newPhone() })
    await expectError(await send('user2', 'POST', '/auth/refresh', { json: { refresh_token } }), 401, 'invalid_token')
    await expectError(await send('default', 'POST', '/auth/refresh', { json: { refresh_token } }), 401, 'invalid_token')
    expect((await send('user1', 'POST', '/auth/refresh', { json: { refresh_token } })).status).toBe(200)
  })

  it("refuses a code sent for one pool's account in another pool holding the same phone", async () => {
    const phone = newPhone()
    await signUpIn('user1', { phone })
    await signUpIn('user2', { phone, password: `${OTHER_PASSWORD}!` })
    expect((await send('user1', 'POST', '/auth/reset-password', { json: { phone } })).status).toBe(202)
    const code = box.lastCode(phone)
    const confirm = (pool: string) =>
      send(pool, 'POST', '/auth/confirm-reset', { json: { phone, code, new_password: 'Brand-New-Passw0rd-26' } })
    await expectError(await confirm('user2'), 400, 'invalid_code')
    await expectError(await confirm('default'), 400, 'invalid_code')
    expect((await confirm('user1')).status).toBe(200)
    // Only user1's password changed.
    const login = (pool: string, password: string) => send(pool, 'POST', '/auth/login', { json: { phone, password } })
    expect((await login('user1', 'Brand-New-Passw0rd-26')).status).toBe(200)
    expect((await login('user2', `${OTHER_PASSWORD}!`)).status).toBe(200)
  })

  it('refuses a sign-in code of one pool in another, where it counts as a wrong guess', async () => {
    const phone = newPhone()
    await signUpIn('user1', { phone })
    await signUpIn('user2', { phone, password: `${OTHER_PASSWORD}!` })
    expect((await send('user2', 'POST', '/auth/login', { json: { phone, use_otp: true } })).status).toBe(202)
    const code = box.lastCode(phone)
    await expectError(await send('user1', 'POST', '/auth/verify', { json: { phone, code } }), 400, 'invalid_code')
    const signedIn = await send('user2', 'POST', '/auth/verify', { json: { phone, code } })
    expect((await json(signedIn)).user).toMatchObject({ pool: 'user2', phone })
  })

  it("sends a pool's email links to that pool's pages, where alone they work", async () => {
    const email = newEmail()
    await signUpIn('user1', { email })
    expect((await send('user1', 'POST', '/auth/reset-password', { json: { email } })).status).toBe(202)
    const text = lastEmail(box, email)
    expect(text).toContain('http://localhost:8787/api/v1/pools/user1/auth/email/reset?token=')
    const token = /reset\?token=([A-Za-z0-9_-]+)/.exec(text)?.[1] as string
    const open = (pool: string) => send(pool, 'GET', `/auth/email/reset?token=${token}`)
    expect((await open('user2')).status).toBe(400)
    expect((await open('default')).status).toBe(400)
    const page = await open('user1')
    expect(page.status).toBe(200)
    // The form posts to the pool's own route.
    expect(await page.text()).toContain('action="/api/v1/pools/user1/auth/email/reset?ui_locales=en"')
    const post = (pool: string) =>
      call('POST', at(pool, '/auth/email/reset'), {
        body: new URLSearchParams({ token, new_password: 'Brand-New-Passw0rd-26' }),
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        env: vars,
      })
    await expectError(await post('user2'), 400, 'invalid_code')
    expect((await post('user1')).status).toBe(200)
  })

  it("keeps a pool's lockout to that pool", async () => {
    const phone = newPhone()
    const lockout = { ...vars, LOGIN_LOCKOUT_THRESHOLD: '2' }
    const login = (pool: string, password: string) =>
      call('POST', at(pool, '/auth/login'), { json: { phone, password }, env: lockout, ip: newIp() })
    await signUpIn('user1', { phone })
    await signUpIn('user2', { phone, password: `${OTHER_PASSWORD}!` })
    for (let i = 0; i < 3; i++) await login('user1', 'Wrong-Passw0rd-000')
    await expectError(await login('user1', 'Wrong-Passw0rd-000'), 429, 'rate_limited')
    expect((await login('user2', `${OTHER_PASSWORD}!`)).status).toBe(200)
  })
})

describe("each pool's settings", () => {
  it("applies the pool's password rules", async () => {
    const phone = newPhone()
    // 12 characters in user2, 8 elsewhere.
    const body = { phone, password: 'Short-Pw0rd' }
    const refused = await send('user2', 'POST', '/auth/register', { json: body })
    expect((await expectError(refused, 400, 'validation_error')).fields.password).toMatch(/12/)
    expect((await send('user1', 'POST', '/auth/register', { json: body })).status).toBe(201)
  })

  it("signs up by code in the pool with otp_signup only, with the pool's first end-user role", async () => {
    const phone = newPhone()
    expect((await send('user1', 'POST', '/auth/login', { json: { phone, use_otp: true } })).status).toBe(202)
    expect(box.to(phone)).toHaveLength(0) // user1: no sign-up by code, nobody to text
    expect((await send('user2', 'POST', '/auth/login', { json: { phone, use_otp: true } })).status).toBe(202)
    const res = await send('user2', 'POST', '/auth/verify', { json: { phone, code: box.lastCode(phone) } })
    expect((await json(res)).user).toMatchObject({ pool: 'user2', phone, role: 'driver', status: 'active' })
  })

  it("applies the pool's email_verification", async () => {
    const [phone, email] = [newPhone(), newEmail()]
    await signUpIn('strict', { phone, email })
    await signUpIn('user1', { phone, email })
    const byEmail = (pool: string) => send(pool, 'POST', '/auth/login', { json: { email, password: PASSWORD } })
    await expectError(await byEmail('strict'), 403, 'email_not_verified')
    expect((await byEmail('user1')).status).toBe(200)
  })

  it("names the pool's app in its texts", async () => {
    const phone = newPhone()
    await send('user2', 'POST', '/auth/register', { json: { phone, password: `${OTHER_PASSWORD}!` } })
    expect(box.to(phone).at(-1)?.text).toMatch(/^Your Rides verification code is \d{6}/)
  })
})

describe('unknown pools', () => {
  it('answers 404 not_found under an unknown pool', async () => {
    await expectError(
      await send('nope', 'POST', '/auth/login', { json: { phone: newPhone(), password: PASSWORD } }),
      404,
      'not_found',
    )
    await expectError(await send('nope', 'GET', '/me'), 404, 'not_found')
    // Without USER_POOLS, only `default` exists.
    const res = await call('POST', '/api/v1/pools/user1/auth/login', { json: { phone: newPhone(), password: PASSWORD } })
    await expectError(res, 404, 'not_found')
  })

  it('refuses an invalid USER_POOLS as a configuration error', async () => {
    const res = await call('GET', '/api/v1/me', { env: { USER_POOLS: '{"Bad Id":{}}' } })
    expect(res.status).toBe(500)
  })
})

describe('staff administer every pool', () => {
  it("lists one pool's users with ?pool=, and every pool's without", async () => {
    const admin = await createSuperAdmin()
    const phone = newPhone()
    const one = await signUpIn('user1', { phone })
    const two = await signUpIn('user2', { phone, password: `${OTHER_PASSWORD}!` })
    const list = async (query: string) =>
      json(await call('GET', `/api/v1/users?${query}`, { token: admin.access_token, env: vars }))
    const inOne = await list(`pool=user1&q=${encodeURIComponent(phone)}`)
    expect(inOne.items.map((u: { id: string }) => u.id)).toEqual([one.user.id])
    expect(inOne.items[0].pool).toBe('user1')
    const all = await list(`q=${encodeURIComponent(phone)}`)
    expect(all.items.map((u: { id: string }) => u.id).sort()).toEqual([one.user.id, two.user.id].sort())
    await expectError(await call('GET', '/api/v1/users?pool=nope', { token: admin.access_token, env: vars }), 404, 'not_found')
  })

  it("acts on a pool's user: suspends it, ends its sessions, and audits the event with the pool", async () => {
    const admin = await createSuperAdmin()
    const two = await signUpIn('user2', { phone: newPhone(), password: `${OTHER_PASSWORD}!` })
    const read = await call('GET', `/api/v1/users/${two.user.id}`, { token: admin.access_token, env: vars })
    expect((await json(read)).pool).toBe('user2')
    const res = await call('PATCH', `/api/v1/users/${two.user.id}/suspend`, { token: admin.access_token, env: vars })
    expect(res.status).toBe(200)
    await expectError(await send('user2', 'GET', '/me', { token: two.access_token }), 401, 'invalid_token')
    const events = await json(
      await call('GET', `/api/v1/audit?user_id=${two.user.id}&type=status_changed`, { token: admin.access_token, env: vars }),
    )
    expect(events.items[0]).toMatchObject({ type: 'status_changed', subject_id: two.user.id, pool: 'user2' })
    const row = await env.DB.prepare("SELECT pool FROM audit_events WHERE subject_id = ? AND type = 'user_registered'")
      .bind(two.user.id)
      .first()
    expect(row).toEqual({ pool: 'user2' })
  })

  it('still acts on the users of a pool removed from USER_POOLS', async () => {
    const admin = await createSuperAdmin()
    const one = await signUpIn('user1', { phone: newPhone() })
    // The same deployment without the pool: its routes are gone, its users are still there.
    const res = await call('PATCH', `/api/v1/users/${one.user.id}/suspend`, { token: admin.access_token })
    expect(await json(res)).toMatchObject({ id: one.user.id, pool: 'user1', status: 'suspended' })
  })

  it("refuses to give a pool's user a role its pool does not have (staff belong to default)", async () => {
    const admin = await createSuperAdmin()
    const two = await signUpIn('user2', { phone: newPhone(), password: `${OTHER_PASSWORD}!` })
    const patch = (role: string) =>
      call('PATCH', `/api/v1/users/${two.user.id}`, { json: { role }, token: admin.access_token, env: vars })
    await expectError(await patch('admin'), 400, 'validation_error')
    await expectError(await patch('particulier'), 400, 'validation_error')
    expect(await json(await patch('rider'))).toMatchObject({ role: 'rider', pool: 'user2' })
  })
})
