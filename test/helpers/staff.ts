import { env } from 'cloudflare:workers'
import { hashPassword } from '../../src/crypto/password'
import { newId } from '../../src/crypto/random'
import { call, json } from './app'
import { PASSWORD } from './factories'

let n = 0
/** A unique valid username. */
export function newUsername(prefix = 'staff'): string {
  n++
  return `${prefix}${Date.now().toString(36)}${n}`
}

export interface Staff {
  id: string
  username: string
  role: string
  access_token: string
  refresh_token: string
}

/** Logs a staff account in with username + password. */
export async function staffLogin(username: string, password = PASSWORD): Promise<Staff> {
  const res = await call('POST', '/api/v1/auth/login', { json: { username, password } })
  if (res.status !== 200) throw new Error(`staff login failed: ${res.status} ${await res.text()}`)
  const body = await json(res)
  return { id: body.user.id, username, role: body.user.role, access_token: body.access_token, refresh_token: body.refresh_token }
}

/**
 * A super admin, inserted the way `npm run create-super-admin` does (the CLI itself is tested in
 * Node, test/node/), then logged in through the API.
 */
export async function createSuperAdmin(): Promise<Staff> {
  const username = newUsername('root')
  const now = Date.now()
  await env.DB.prepare(
    `INSERT INTO users (id, username, password_hash, role, status, phone_verified, email_verified, created_at, updated_at)
     VALUES (?, ?, ?, 'super_admin', 'active', 0, 0, ?, ?)`,
  )
    .bind(newId(now), username, await hashPassword(PASSWORD, { logN: 10, r: 8, p: 1 }), now, now)
    .run()
  return staffLogin(username)
}

/** Creates staff through the API as `creator` (POST /admins, /clients or /subclients) and logs it in. */
export async function createStaff(
  creator: Staff,
  kind: 'admin' | 'client' | 'subclient',
  extra: Record<string, unknown> = {},
): Promise<Staff> {
  const username = newUsername(kind)
  const res = await call('POST', `/api/v1/${kind}s`, {
    token: creator.access_token,
    json: { username, password: PASSWORD, ...extra },
  })
  if (res.status !== 201) throw new Error(`create ${kind} failed: ${res.status} ${await res.text()}`)
  return staffLogin(username)
}
