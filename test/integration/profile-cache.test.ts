import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { call, json } from '../helpers/app'
import { activeUser } from '../helpers/otp'
import { type Outbox, outbox } from '../helpers/outbox'

let box: Outbox
beforeEach(() => {
  box = outbox()
})
afterEach(() => box.restore())

const me = async (token: string) => json(await call('GET', '/api/v1/me', { token }))

describe('GET /api/v1/me profile cache', () => {
  it('serves the second call from KV, without reading D1', async () => {
    const { access_token, user } = await activeUser(box)
    expect((await me(access_token)).name).toBe('Ahmed')
    expect(await env.KV.get(`pf:${user.id}`, 'json')).toMatchObject({ id: user.id, name: 'Ahmed' })
    // A change made behind the service's back shows that the answer did not come from D1.
    await env.DB.prepare('UPDATE users SET name = ? WHERE id = ?').bind('Changed In D1', user.id).run()
    expect((await me(access_token)).name).toBe('Ahmed')
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
    await env.KV.put(`pf:${b.user.id}`, JSON.stringify({ id: a.user.id, name: 'Not B' }))
    const body = await me(b.access_token)
    expect(body.id).toBe(b.user.id)
    expect(body.name).not.toBe('Not B')
  })
})
