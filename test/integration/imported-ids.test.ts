import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, json } from '../helpers/app'
import { createSuperAdmin } from '../helpers/staff'

// `npm run import-users` keeps another service's ids (SPEC §13): `42`, a MongoDB ObjectId. The
// account lists page by id, so such an id must be a cursor they accept (it was UUIDs only).
const IMPORTED = ['42', '65a1b2c3d4e5f6a7b8c9d0e1', 'legacy:user.7']

async function insertImported(role: string): Promise<void> {
  const now = Date.now()
  for (const [i, id] of IMPORTED.entries()) {
    await env.DB.prepare(
      `INSERT INTO users (id, email, role, status, phone_verified, email_verified, created_at, updated_at)
       VALUES (?, ?, ?, 'active', 0, 1, ?, ?)`,
    )
      .bind(id, `imported-${i}-${role}@example.tn`, role, now, now)
      .run()
  }
}

describe('accounts with imported ids', () => {
  it('are listed page by page, each id a cursor GET /users accepts', async () => {
    const root = await createSuperAdmin()
    await insertImported('particulier')
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = `role=particulier&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
      const res = await call('GET', `/api/v1/users?${query}`, { token: root.access_token })
      expect(res.status).toBe(200)
      const body = await json(res)
      seen.push(...body.items.map((u: { id: string }) => u.id))
      cursor = body.next_cursor
    } while (cursor)
    expect(seen.filter((id) => IMPORTED.includes(id)).sort()).toEqual([...IMPORTED].sort())
    expect(new Set(seen).size).toBe(seen.length)

    const one = await call('GET', '/api/v1/users/legacy:user.7', { token: root.access_token })
    expect(one.status).toBe(200)
    expect((await json(one)).id).toBe('legacy:user.7')
  })

  it('still refuse a cursor no account id can be', async () => {
    const root = await createSuperAdmin()
    const res = await call('GET', `/api/v1/users?cursor=${encodeURIComponent('a b')}`, { token: root.access_token })
    expect(res.status).toBe(400)
    expect((await json(res)).fields).toEqual({ cursor: 'Must be a next_cursor from a previous page' })
  })
})
