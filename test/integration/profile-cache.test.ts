import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, json } from '../helpers/app'
import { activeUser, newIp, sessionIdOf, verify } from '../helpers/otp'
import { useOutbox } from '../helpers/outbox'
import { createSuperAdmin } from '../helpers/staff'

const box = useOutbox()

const me = async (token: string) => json(await call('GET', '/api/v1/me', { token }))

describe('GET /api/v1/me profile cache', () => {
  it('serves calls after the login without reading D1', async () => {
    const { access_token, user } = await activeUser(box)
    // A change made behind the service's back shows that the answers do not come from D1.
    await env.DB.prepare('UPDATE users SET name = ? WHERE id = ?').bind('Changed In D1', user.id).run()
    expect((await me(access_token)).name).toBe('Ahmed')
    expect((await me(access_token)).name).toBe('Ahmed')
  })

  // Another isolate (here: an env of its own, so its own memory) knows nothing of the login.
  it('fills KV from D1 in an isolate that did not see the login, then serves from KV', async () => {
    const other = { AUTH_STATE_CACHE_SECONDS: '0' }
    const { access_token, user } = await activeUser(box)
    expect(await env.KV.get(`pf:${user.id}`)).toBeNull()
    expect((await call('GET', '/api/v1/me', { token: access_token, env: other }).then(json)).name).toBe('Ahmed')
    expect(await env.KV.get(`pf:${user.id}`, 'json')).toMatchObject({ id: user.id, name: 'Ahmed' })
    await env.DB.prepare('UPDATE users SET name = ? WHERE id = ?').bind('Changed In D1', user.id).run()
    expect((await call('GET', '/api/v1/me', { token: access_token, env: other }).then(json)).name).toBe('Ahmed')
  })

  it('refuses a cached profile older than the session: a new login shows its own last_login', async () => {
    const other = { AUTH_STATE_CACHE_SECONDS: '0' }
    const first = await activeUser(box)
    await call('GET', '/api/v1/me', { token: first.access_token, env: other }) // KV now holds the profile
    const cached = (await env.KV.get(`pf:${first.user.id}`, 'json')) as { last_login: string }
    const again = await call('POST', '/api/v1/auth/login', {
      json: { phone: first.phone, use_otp: true },
      env: { OTP_RESEND_COOLDOWN_SECONDS: '0' },
      ip: newIp(),
    })
    expect(again.status).toBe(202)
    const verified = await json(await verify(first.phone, box.lastCode(first.phone), other))
    const body = await call('GET', '/api/v1/me', { token: verified.access_token, env: other }).then(json)
    expect(Date.parse(body.last_login)).toBeGreaterThan(Date.parse(cached.last_login))
    expect(body.last_login).toBe(verified.user.last_login)
  })

  it('drops the cached profile when the user changes it', async () => {
    const { access_token } = await activeUser(box)
    await me(access_token)
    const res = await call('PATCH', '/api/v1/me', { token: access_token, json: { name: 'Salma' } })
    expect(res.status).toBe(200)
    expect((await me(access_token)).name).toBe('Salma')
  })

  it('drops the cached profile when a device is added or removed', async () => {
    const { access_token } = await activeUser(box)
    await me(access_token)
    const deviceId = `inv-${Date.now()}`
    expect(
      (await call('POST', '/api/v1/me/devices', { token: access_token, json: { device_id: deviceId, type: 'inverter' } })).status,
    ).toBe(201)
    expect((await me(access_token)).devices.map((d: { device_id: string }) => d.device_id)).toEqual([deviceId])
    expect((await call('DELETE', `/api/v1/me/devices/${deviceId}`, { token: access_token })).status).toBe(204)
    expect((await me(access_token)).devices).toEqual([])
  })

  it('never serves a cached profile of another user', async () => {
    const a = await activeUser(box)
    const b = await activeUser(box)
    await me(a.access_token)
    await env.KV.put(`pf:${b.user.id}`, JSON.stringify({ ...a.user, name: 'Not B', last_login: new Date().toISOString() }))
    // Read by an isolate that did not see the login, so the copy in KV is what it finds.
    const body = await call('GET', '/api/v1/me', { token: b.access_token, env: { AUTH_STATE_CACHE_SECONDS: '0' } }).then(json)
    expect(body.id).toBe(b.user.id)
    expect(body.name).not.toBe('Not B')
  })
})

describe('auth state remembered by the isolate (AUTH_STATE_CACHE_SECONDS)', () => {
  // A mark written straight into KV stands for one made by another isolate or location.
  it('sees a mark made elsewhere once its copy ages out; with 0, at the next request', async () => {
    const remembering = { AUTH_STATE_CACHE_SECONDS: '60' }
    const { access_token } = await activeUser(box, { env: remembering })
    expect((await call('GET', '/api/v1/me', { token: access_token, env: remembering })).status).toBe(200)
    await env.KV.put(`rv:s:${sessionIdOf(access_token)}`, '1')
    // This isolate read the session's state less than 60 s ago: it answers from memory.
    expect((await call('GET', '/api/v1/me', { token: access_token, env: remembering })).status).toBe(200)
    // An isolate that remembers nothing reads KV and refuses the token.
    const res = await call('GET', '/api/v1/me', { token: access_token, env: { AUTH_STATE_CACHE_SECONDS: '0' } })
    expect(res.status).toBe(401)
  })

  it('sees a logout made in this isolate at once, however long it remembers', async () => {
    const remembering = { AUTH_STATE_CACHE_SECONDS: '60' }
    const { access_token } = await activeUser(box, { env: remembering })
    expect((await call('GET', '/api/v1/me', { token: access_token, env: remembering })).status).toBe(200)
    expect((await call('POST', '/api/v1/auth/logout', { token: access_token, env: remembering })).status).toBe(204)
    expect((await call('GET', '/api/v1/me', { token: access_token, env: remembering })).status).toBe(401)
  })

  it('sees an admin suspension made in this isolate at once', async () => {
    const remembering = { AUTH_STATE_CACHE_SECONDS: '60' }
    const { access_token, user } = await activeUser(box, { env: remembering })
    const admin = await createSuperAdmin()
    expect((await call('GET', '/api/v1/me', { token: access_token, env: remembering })).status).toBe(200)
    const suspended = await call('PATCH', `/api/v1/users/${user.id}/suspend`, { token: admin.access_token, env: remembering })
    expect(suspended.status).toBe(200)
    expect((await call('GET', '/api/v1/me', { token: access_token, env: remembering })).status).toBe(401)
  })
})
