import { applyD1Migrations, createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { importJWK, type JWK, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import worker from '../../src'
import { sha256Hex } from '../../src/crypto/hash'
import { ACCESS_TOKEN_TYPE } from '../../src/crypto/jwt'
import { hashPassword } from '../../src/crypto/password'
import { PASSWORD } from '../helpers/factories'

// SPEC §12: a deployment that existed before pools keeps its users and their sessions. The data is
// written with the schema of migrations 0000–0005, then 0006 is applied, and the Worker serves it.
const before = env.TEST_MIGRATIONS.filter((m) => m.name < '0006')
const db = env.UPGRADE_DB
const SESSION = '01900000-0000-7000-8000-000000000001'

async function fetchWith(method: string, path: string, init: { json?: unknown; token?: string } = {}) {
  const headers: Record<string, string> = { 'cf-connecting-ip': '203.0.113.9', 'content-type': 'application/json' }
  if (init.token) headers.authorization = `Bearer ${init.token}`
  const ctx = createExecutionContext()
  const body = init.json === undefined ? undefined : JSON.stringify(init.json)
  const res = await worker.fetch(new Request(`http://localhost${path}`, { method, headers, body }), { ...env, DB: db }, ctx)
  await waitOnExecutionContext(ctx)
  return res
}

describe('migration 0006 (user pools) on existing data', () => {
  it('keeps existing users, their sessions and devices, all in default', async () => {
    expect(before.length).toBeGreaterThan(0)
    await applyD1Migrations(db, before)
    const now = Date.now()
    const hash = await hashPassword(PASSWORD, { logN: 10, r: 8, p: 1 })
    await db.batch([
      db
        .prepare(
          `INSERT INTO users (id, phone, password_hash, role, status, phone_verified, email_verified, created_at, updated_at)
           VALUES ('old-user', '+21698111222', ?, 'particulier', 'active', 1, 0, ?, ?)`,
        )
        .bind(hash, now, now),
      db
        .prepare(`INSERT INTO devices (device_id, user_id, type, registered_at) VALUES ('inv-1', 'old-user', 'inverter', ?)`)
        .bind(now),
    ])
    // A session opened before the upgrade, and an access token of then (no `pool` claim).
    const refreshToken = 'refresh-token-issued-before-pools-0123456789'
    const refreshHash = await sha256Hex(refreshToken)
    await db
      .prepare(
        `INSERT INTO sessions (id, user_id, refresh_hash, created_at, last_used_at, expires_at) VALUES (?, 'old-user', ?, ?, ?, ?)`,
      )
      .bind(SESSION, refreshHash, now, now, now + 86_400_000)
      .run()

    const [key] = JSON.parse(env.JWT_PRIVATE_KEYS) as JWK[]
    const oldToken = await new SignJWT({ sid: SESSION, role: 'particulier', perms: [] })
      .setProtectedHeader({ alg: 'EdDSA', typ: ACCESS_TOKEN_TYPE, kid: key?.kid as string })
      .setIssuer(String(env.JWT_ISSUER))
      .setAudience(env.JWT_AUDIENCE)
      .setSubject('old-user')
      .setJti('old-jti')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(await importJWK(key as JWK, 'EdDSA'))

    await applyD1Migrations(db, env.TEST_MIGRATIONS)

    expect((await fetchWith('GET', '/api/v1/me', { token: oldToken })).status).toBe(200)
    const refreshed = await fetchWith('POST', '/api/v1/auth/refresh', { json: { refresh_token: refreshToken } })
    expect(refreshed.status).toBe(200)

    const user = await db.prepare("SELECT pool FROM users WHERE id = 'old-user'").first()
    expect(user).toEqual({ pool: 'default' })
    expect(await db.prepare("SELECT pool, device_id FROM devices WHERE user_id = 'old-user'").all()).toMatchObject({
      results: [{ pool: 'default', device_id: 'inv-1' }],
    })
    expect(await db.prepare("SELECT pool FROM sessions WHERE user_id = 'old-user'").first()).toEqual({ pool: 'default' })

    const res = await fetchWith('POST', '/api/v1/auth/login', { json: { phone: '+21698111222', password: PASSWORD } })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { access_token: string; user: { id: string; pool: string; devices: unknown[] } }
    expect(body.user).toMatchObject({ id: 'old-user', pool: 'default', devices: [{ device_id: 'inv-1' }] })
    expect((await fetchWith('GET', '/api/v1/me', { token: body.access_token })).status).toBe(200)
  })
})
